"""假药 counterfeit: one code sold at several institutions in different regions within a short window."""

from __future__ import annotations

import pytest

from loaders.workspace import Workspace
from tests.workbench.events_builder import event, write
from workbench.screens.run import screen

pytestmark = pytest.mark.usefixtures("engine")

CODE = "81234560000000000012"
CHONGQING, CHENGDU = ("P50010100001", "500101"), ("P51010400002", "510104")


@pytest.fixture
def ws(tmp_path) -> Workspace:
    return Workspace(tmp_path / "ws")


def _sale(n: int, where: tuple[str, str], day: float, **fields) -> dict:
    return event(n, day=day, institution_code=where[0], region_code=where[1], **fields)


def _leads(ws: Workspace, **params) -> list[dict]:
    return screen(ws, ["counterfeit"], {k: str(v) for k, v in params.items()}).to_pylist()


def test_one_code_sold_in_two_regions_within_days_is_a_lead(ws):
    write(ws, [_sale(0, CHONGQING, 0), _sale(1, CHENGDU, 2)])
    [lead] = _leads(ws)
    assert (lead["trace_code"], lead["institution_code"]) == (CODE, CHONGQING[0])
    assert lead["institutions"] == f"{CHONGQING[0]}|{CHENGDU[0]}"
    assert "2 个地区的 2 家机构" in lead["explanation_zh"]


def test_the_same_sales_a_month_apart_are_not_counterfeit(ws):
    write(ws, [_sale(0, CHONGQING, 0), _sale(1, CHENGDU, 30)])
    assert _leads(ws) == []
    assert len(_leads(ws, window_days=40)) == 1


def test_two_institutions_of_one_region_need_a_second_region(ws):
    write(ws, [_sale(0, CHONGQING, 0), _sale(1, ("P50010100003", "500101"), 1)])
    assert _leads(ws) == []
    assert len(_leads(ws, min_regions=1)) == 1


def test_a_chain_transfer_then_one_sale_is_not_counterfeit(ws):
    write(ws, [_sale(0, CHONGQING, 0, event_type="transfer_out"), _sale(1, CHENGDU, 1, event_type="transfer_in"),
               _sale(2, CHENGDU, 2)])
    assert _leads(ws) == []


def test_the_window_is_found_inside_a_longer_history(ws):
    write(ws, [_sale(0, CHONGQING, 0), _sale(1, CHONGQING, 40), _sale(2, CHENGDU, 42), _sale(3, CHONGQING, 90)])
    [lead] = _leads(ws)
    assert lead["event_count"] == 2 and lead["first_time"].day == 11  # 2025-06-01 + 40 days = 2025-07-11

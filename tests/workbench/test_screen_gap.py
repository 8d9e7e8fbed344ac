"""采集不规范 collection gaps: insured sales mostly without valid codes (exempt items aside), and a
sudden drop in coded sales."""

from __future__ import annotations

from datetime import datetime

import pytest

from loaders.workspace import Workspace
from tests.workbench.events_builder import PHARMACY, event, write
from workbench.screens.run import screen

pytestmark = pytest.mark.usefixtures("engine")


@pytest.fixture
def ws(tmp_path) -> Workspace:
    return Workspace(tmp_path / "ws")


def _sales(count: int, coded: int, first: int = 0, **fields) -> list[dict]:
    return [event(first + n, code=f"8123456{first + n:013d}" if n < coded else "", **fields) for n in range(count)]


def _leads(ws: Workspace, rule: str, **params) -> list[dict]:
    return screen(ws, [rule], {k: str(v) for k, v in params.items()}).to_pylist()


def test_insured_sales_mostly_without_codes_are_a_lead(ws):
    write(ws, _sales(60, coded=20))
    [lead] = _leads(ws, "missing_codes")
    assert (lead["institution_code"], lead["scenario"]) == (PHARMACY, "collection_gap")
    assert "60 条医保销售中 40 条" in lead["explanation_zh"]


def test_exempt_items_and_self_paid_sales_are_not_counted(ws):
    write(ws, _sales(60, coded=50) + _sales(40, coded=0, first=100, med_list_codg="T370138609")
          + _sales(40, coded=0, first=200, settle_type="2"))
    assert _leads(ws, "missing_codes") == []


def test_a_sudden_drop_in_coded_sales_is_a_lead(ws):
    months = [_sales(30, coded=30 if month < 3 else 3, first=100 * month,
                     event_time=datetime(2025, 4 + month, 10, 9)) for month in range(5)]
    write(ws, [row for rows in months for row in rows])
    [lead] = _leads(ws, "code_drop")
    assert lead["first_time"] == datetime(2025, 7, 1) and "从此前的 100% 降至 10%" in lead["explanation_zh"]


def test_never_having_coded_is_not_a_drop(ws):
    write(ws, [row for month in range(4) for row in _sales(30, coded=2, first=100 * month,
                                                               event_time=datetime(2025, 4 + month, 10, 9))])
    assert _leads(ws, "code_drop") == []
    assert len(_leads(ws, "missing_codes")) == 1


def _record(n: int, schemes: list[str]) -> list[dict]:
    """Sale record ``n`` whose code cell holds one code per scheme (``invalid``: a malformed code)."""
    return [event(n, code=f"8123456{n:011d}{position:02d}", code_scheme=scheme, code_position=position,
                  record_code_count=len(schemes))
            for position, scheme in enumerate(schemes, start=1)]


def test_a_record_with_several_codes_counts_once_and_is_coded_when_any_code_is_valid(ws):
    records = ([_record(n, ["nmpa20", "invalid"]) for n in range(10)]
               + [_record(n, ["invalid", "invalid"]) for n in range(10, 25)]
               + [_record(n, ["nmpa20"]) for n in range(25, 30)])
    write(ws, [row for record in records for row in record])
    [lead] = _leads(ws, "missing_codes")
    assert "30 条医保销售中 15 条（50%）" in lead["explanation_zh"]
    assert lead["amount"] == 30 * 2 * 20.0 - 5 * 20.0

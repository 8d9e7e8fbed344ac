"""空刷 phantom sales: more boxes sold than an institution ever had of a product; split sales count as
fractions of a box, transfers in and customer returns as supply."""

from __future__ import annotations

import pytest

from loaders.workspace import Workspace
from tests.workbench.events_builder import PHARMACY, event, write
from workbench.screens.run import screen

pytestmark = pytest.mark.usefixtures("engine")

PRODUCT = "XA01ABD075A002010100483"


@pytest.fixture
def ws(tmp_path) -> Workspace:
    return Workspace(tmp_path / "ws")


def _stock(opening: float, bought: float) -> list[dict]:
    return [event(900, code="", kind="inventory", quantity=opening, record_quantity=opening, day=-10),
            event(901, code="", kind="purchase", quantity=bought, record_quantity=bought, day=-9)]


def _sales(count: int, first: int = 0, **fields) -> list[dict]:
    return [event(first + n, code=f"8123456{first + n:013d}", day=n % 30, **fields) for n in range(count)]


def _leads(ws: Workspace, **params) -> list[dict]:
    return screen(ws, ["phantom_sale"], {k: str(v) for k, v in params.items()}).to_pylist()


def test_selling_far_more_than_stock_and_purchases_is_a_lead(ws):
    write(ws, _stock(2, 3) + _sales(12))
    [lead] = _leads(ws)
    assert (lead["institution_code"], lead["med_list_codg"], lead["trace_code"]) == (PHARMACY, PRODUCT, None)
    assert "期初库存 2 盒、购进及调入 3 盒" in lead["explanation_zh"] and "超出 7.0 盒" in lead["explanation_zh"]


def test_a_small_excess_is_within_the_tolerance(ws):
    write(ws, _stock(2, 3) + _sales(10))
    assert _leads(ws) == []
    assert len(_leads(ws, tolerance_boxes=2)) == 1


def test_split_sales_count_as_fractions_of_a_box(ws):
    parts = [event(n, code=f"8123456{n // 4:013d}", split_flag=True, quantity=5.0, day=n % 30) for n in range(40)]
    write(ws, _stock(0, 10) + parts, products=[{"med_list_codg": PRODUCT, "units_per_pack": 20}])
    assert _leads(ws, tolerance_boxes=0, tolerance_share=0) == []


def test_split_sales_without_a_pack_size_count_one_box_per_code(ws):
    parts = [event(n, code=f"8123456{n // 4:013d}", split_flag=True, quantity=5.0, day=n % 30) for n in range(40)]
    write(ws, _stock(0, 10) + parts)
    assert _leads(ws, tolerance_boxes=0, tolerance_share=0) == []


def test_transfers_in_and_customer_returns_are_supply(ws):
    moved = [event(800, code="", kind="transfer_in", quantity=6.0, day=-5),
             event(801, code="", kind="sale_return", quantity=2.0, day=5)]
    write(ws, _stock(2, 3) + moved + _sales(13))
    assert _leads(ws, tolerance_boxes=0, tolerance_share=0) == []


def test_an_institution_that_uploads_no_stock_data_is_not_judged_here(ws):
    write(ws, _sales(20))
    assert _leads(ws) == []

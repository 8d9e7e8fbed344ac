"""串换 substitution: one code settled again and again at one institution, and the legitimate repeats
that must not become leads (each pinned on a small hand-made event set)."""

from __future__ import annotations

import json

import pytest

from loaders.errors import BadInput
from loaders.workspace import Workspace
from tests.workbench.events_builder import PHARMACY, event, write
from workbench.screens.run import screen

pytestmark = pytest.mark.usefixtures("engine")

CODE = "81234560000000000012"


@pytest.fixture
def ws(tmp_path) -> Workspace:
    return Workspace(tmp_path / "ws")


def _leads(ws: Workspace, **params) -> list[dict]:
    return screen(ws, ["substitution"], {k: str(v) for k, v in params.items()}).to_pylist()


def test_three_sales_of_one_box_at_one_pharmacy_are_a_lead(ws):
    write(ws, [event(n, day=n) for n in range(3)])
    [lead] = _leads(ws)
    assert (lead["trace_code"], lead["institution_code"], lead["event_count"]) == (CODE, PHARMACY, 3)
    assert json.loads(lead["params"]) == {"min_sales": 3}
    assert "净结算 3 盒" in lead["explanation_zh"] and "3 boxes net" in lead["explanation_en"]
    assert lead["amount"] == 60.0


def test_a_return_between_two_sales_nets_out(ws):
    write(ws, [event(0), event(1, kind="sale_return", family="3506", day=1), event(2, day=2), event(3, day=3)])
    assert _leads(ws) == []
    assert _leads(ws, min_sales=2)[0]["explanation_en"].startswith(f"trace code {CODE} settled as 2 boxes net")


def test_a_code_sold_once_repeats_nothing_so_the_threshold_is_at_least_two(ws):
    write(ws, [event(0)])
    with pytest.raises(BadInput, match="min_sales"):
        _leads(ws, min_sales=1)


def test_a_split_box_sold_in_five_parts_is_one_box(ws):
    parts = [event(n, split_flag=True, quantity=4.0, record_quantity=4.0, day=n) for n in range(5)]
    write(ws, [*parts, event(5, day=6)], products=[{"med_list_codg": "XA01ABD075A002010100483", "units_per_pack": 20}])
    assert _leads(ws) == []
    assert _leads(ws, min_sales=2)[0]["details"].count('"net_boxes": 2.0') == 1


def test_split_parts_without_a_known_pack_size_count_as_one_box(ws):
    write(ws, [event(n, split_flag=True, quantity=2.0, day=n) for n in range(6)])
    assert _leads(ws) == []


def test_a_his_double_upload_under_two_row_keys_is_one_settlement(ws):
    copies = [event(n, receipt_no="R1", setl_id="S1", event_time=event(0)["event_time"], source_record=f"3505|P|B{n}")
              for n in range(4)]
    write(ws, copies)
    assert _leads(ws) == []


def test_a_reversed_settlement_redone_is_one_sale(ws):
    write(ws, [event(0), event(1, quantity=-1.0, record_quantity=-1.0, amount=-20.0), event(2)])
    assert _leads(ws) == []


def test_a_code_at_two_stores_of_one_chain_is_not_substitution(ws):
    write(ws, [event(0, kind="transfer_out", institution_code="P50011600012"),
               event(1, kind="transfer_in", institution_code="P50011600013"),
               event(2, institution_code="P50011600013"), event(3, institution_code="P50011600012", day=-1)])
    assert _leads(ws) == []


def test_exempt_items_without_codes_never_repeat_a_code(ws):
    write(ws, [event(n, code="", med_list_codg="T001") for n in range(10)])
    assert _leads(ws) == []


def test_a_code_that_belongs_to_another_product_scores_higher(ws):
    other = "81234570000000000012"
    rows = [event(n, day=n) for n in range(3)] + [event(10 + n, code=other, day=n) for n in range(3)]
    products = [{"med_list_codg": "XA01ABD075A002010100483", "trace_prefixes": "8123457"},
                {"med_list_codg": "XN02BEW555A015353197693", "trace_prefixes": "8123456"}]
    write(ws, rows, products=products)
    first, second = _leads(ws)
    assert first["trace_code"] == CODE and first["score"] > second["score"]
    assert "该码属于 XN02BEW555A015353197693" in first["explanation_zh"]
    assert "belongs to" not in second["explanation_en"]


def test_same_data_and_parameters_give_the_same_lead_ids(ws):
    write(ws, [event(n, day=n) for n in range(4)])
    assert [lead["lead_id"] for lead in _leads(ws)] == [lead["lead_id"] for lead in _leads(ws)]
    assert _leads(ws)[0]["lead_id"] != _leads(ws, min_sales=2)[0]["lead_id"]

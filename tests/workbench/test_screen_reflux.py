"""回流 reflux: dispensed at a medical institution, sold again elsewhere after longer than the counterfeit
window; returns and stock transfers in between are legitimate."""

from __future__ import annotations

import json
import re

import pytest

from loaders.workspace import Workspace
from tests.workbench.events_builder import event, write
from workbench.screens.run import screen

pytestmark = pytest.mark.usefixtures("engine")

CODE = "81234560000000000012"
HOSPITAL, PHARMACY = "H50011600001", "P50011600002"


@pytest.fixture
def ws(tmp_path) -> Workspace:
    return Workspace(tmp_path / "ws")


def _dispensed(n: int = 0, day: float = 0, **fields) -> dict:
    return event(n, day=day, institution_code=HOSPITAL, institution_type="hospital", psn_no="PATIENT-1", **fields)


def _resold(n: int = 1, day: float = 30, **fields) -> dict:
    return event(n, day=day, institution_code=PHARMACY, institution_type="pharmacy", psn_no="BUYER-9", **fields)


def _leads(ws: Workspace, **params) -> list[dict]:
    return screen(ws, ["reflux"], {k: str(v) for k, v in params.items()}).to_pylist()


def test_a_box_dispensed_at_a_hospital_and_sold_at_a_pharmacy_a_month_later(ws):
    write(ws, [_dispensed(), _resold()])
    [lead] = _leads(ws)
    assert (lead["trace_code"], lead["institution_code"], lead["institutions"]) == (CODE, PHARMACY,
                                                                                    f"{HOSPITAL}|{PHARMACY}")
    assert f"在 {HOSPITAL} 销售给参保人 PSN-" in lead["explanation_zh"] and "相隔 30 天" in lead["explanation_zh"]
    assert "PATIENT-1" not in str(lead), "persons appear only under a pseudonym"
    patient = json.loads(lead["details"])["patient"]
    assert re.fullmatch(r"PSN-[0-9a-f]{32}", patient), "128 bits of the HMAC: no two persons share a pseudonym"
    assert patient in lead["explanation_zh"] and patient in lead["explanation_en"]
    assert lead["lead_id"] == _leads(ws)[0]["lead_id"]


def test_a_resale_within_the_counterfeit_window_is_not_reflux(ws):
    write(ws, [_dispensed(), _resold(day=3)])
    assert _leads(ws) == []


def test_a_return_to_the_hospital_in_between_is_legitimate(ws):
    write(ws, [_dispensed(), event(5, kind="sale_return", day=2, institution_code=HOSPITAL), _resold()])
    assert _leads(ws) == []


def test_a_stock_transfer_into_the_reseller_in_between_is_legitimate(ws):
    write(ws, [_dispensed(), event(5, kind="transfer_in", day=10, institution_code=PHARMACY), _resold()])
    assert _leads(ws) == []


def test_pharmacy_to_pharmacy_is_not_reflux(ws):
    write(ws, [event(0, institution_code="P50011600009", institution_type="pharmacy"), _resold()])
    assert _leads(ws) == []


def test_a_reseller_of_many_dispensed_codes_ranks_first(ws):
    ring = [row for n in range(3) for row in (_dispensed(2 * n, code=f"8123456000000000010{n}"),
                                             _resold(2 * n + 1, code=f"8123456000000000010{n}"))]
    lone = [event(20, institution_code="H50011600005", institution_type="clinic", psn_no="PATIENT-2"),
            event(21, day=30, institution_code="P50011600006", institution_type="pharmacy")]
    write(ws, ring + lone)
    leads = _leads(ws)
    assert [lead["institution_code"] for lead in leads] == [PHARMACY] * 3 + ["P50011600006"]
    assert "共转售 3 个" in leads[0]["explanation_zh"]

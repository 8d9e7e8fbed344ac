"""Leads files hold only what strict JSON can hold: a number that is not finite never reaches them."""

from __future__ import annotations

import json
from datetime import datetime

import pyarrow as pa
import pytest

from workbench.screens.leads import leads_of, leads_table, write_leads
from workbench.screens.rules import rules


def _refuse(constant: str):
    raise ValueError(f"not strict JSON: {constant}")


@pytest.mark.parametrize("bad", [float("inf"), float("-inf"), float("nan")])
def test_a_number_that_is_not_finite_never_reaches_the_leads_file(tmp_path, bad):
    rule = rules()["phantom_sale"]
    row = {"trace_code": None, "institution_code": "P1", "institutions": "P1", "med_list_codg": "X",
           "first_time": datetime(2025, 6, 1), "last_time": datetime(2025, 6, 2), "event_count": 3, "amount": bad,
           "opening": 0, "supplied": 0, "returned_in": 0, "sold": 3, "excess": bad, "persons": 1, "score": 0.5}
    leads = leads_of(rule, rule.resolve({}), pa.Table.from_pylist([row]), b"k" * 32)
    path = tmp_path / "leads.json"
    write_leads(leads_table(leads), path)
    text = path.read_text(encoding="utf-8")
    [lead] = json.loads(text, parse_constant=_refuse)
    assert lead["amount"] == 0.0 and json.loads(lead["details"], parse_constant=_refuse)["excess"] is None
    assert lead["explanation_zh"] and lead["explanation_en"]

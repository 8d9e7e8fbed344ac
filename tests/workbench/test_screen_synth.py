"""Screens on generated districts at three seeds: every planted case of every screened scenario is found,
and no planted legitimate repeat becomes a lead. Also the leads file formats and the command."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from loaders.ingest import ingest
from loaders.workspace import Workspace
from workbench.screens.leads import leads_table, write_leads
from workbench.screens.ledger import bucket_counts
from workbench.screens.rules import rules
from workbench.screens.run import screening
from workbench.synth import generate

#: What identifies a lead of each scenario for an investigator (contract §3).
KEYS = {
    "substitution": lambda row: (row["trace_code"], row["institution_code"]),
    "reflux": lambda row: (row["trace_code"], row["institution_code"]),
    "phantom_sale": lambda row: (row["institution_code"], row["med_list_codg"]),
    "counterfeit": lambda row: (row["trace_code"],),
    "collection_gap": lambda row: (row["institution_code"],),
    "repeat": lambda row: (row["trace_code"],),
}


@pytest.fixture(scope="module", params=[3, 7, 19])
def district(request, tmp_path_factory):
    root = tmp_path_factory.mktemp(f"seed{request.param}")
    generate(root / "data", seed=request.param, scale="tiny")
    ws = Workspace(root / "ws")
    ingest([root / "data" / "uploads", root / "data" / "reference"], ws, workers=1)
    with open(root / "data" / "truth.csv", encoding="utf-8") as handle:
        truth = list(csv.DictReader(handle))
    result = screening(ws)
    return ws, truth, result.leads.to_pylist(), result.ledger


def test_no_look_alike_of_a_repeat_raises_any_lead(district):
    _, truth, leads, _ = district
    flagged = {lead["trace_code"] for lead in leads if lead["trace_code"]}
    for case in truth:
        if case["scenario"] == "repeat" and case["expect_lead"] == "0":
            assert case["trace_code"] not in flagged, f"{case['case_id']} ({case['kind']}) raised a lead"


def test_the_repeat_ledger_reconciles_and_names_every_planted_case(district):
    _, truth, leads, ledger = district
    rows = {row["trace_code"]: row for row in ledger.to_pylist()}
    assert len(rows) == ledger.num_rows, "each code once"
    assert sum(bucket_counts(ledger).values()) == ledger.num_rows
    lead_ids = {lead["lead_id"] for lead in leads}
    for row in rows.values():
        assert (row["lead_id"] in lead_ids) == (row["kind"] in ("lead", "unexplained"))
    for case in truth:
        if case["scenario"] == "repeat" and case["trace_code"] in rows:
            expected = "unexplained" if case["expect_lead"] == "1" else "legitimate"
            assert rows[case["trace_code"]]["kind"] == expected, case["case_id"]
    repeats = {lead["trace_code"] for lead in leads if lead["scenario"] == "repeat"}
    planted = {case["trace_code"] for case in truth if case["scenario"] == "repeat" and case["expect_lead"] == "1"}
    assert repeats == planted, "every repeat lead is a planted residual repeat, and every one is found"


def test_every_planted_case_is_found(district):
    ws, truth, leads, _ = district
    screened = {rule.scenario for rule in rules().values()}
    for case in truth:
        if case["expect_lead"] == "1" and case["scenario"] in screened:
            key = KEYS[case["scenario"]]
            found = {key(lead) for lead in leads if lead["scenario"] == case["scenario"]}
            assert key(case) in found, f"{case['case_id']} not found: {case['note_en']}"


def test_no_legitimate_repeat_becomes_a_lead(district):
    ws, truth, leads, _ = district
    for case in truth:
        if case["expect_lead"] == "0":
            key = KEYS[case["scenario"]]
            raised = [lead for lead in leads if lead["scenario"] == case["scenario"] and key(lead) == key(case)]
            assert not raised, f"{case['case_id']} ({case['kind']}) became a lead: {raised[0]['explanation_en']}"


def test_leads_are_written_by_extension_and_safe_in_a_spreadsheet(tmp_path):
    lead = {"lead_id": "SUB-1", "scenario": "substitution", "rule_id": "substitution", "score": 0.5,
            "trace_code": "=HYPERLINK(\"x\")", "institution_code": "P1", "institutions": "P1", "med_list_codg": "X",
            "first_time": None, "last_time": None, "event_count": 3, "amount": 1.0, "params": "{}",
            "explanation_zh": "-1+1", "explanation_en": "ok", "details": "{}"}
    table = leads_table([lead])
    for suffix in ("csv", "parquet", "json"):
        write_leads(table, tmp_path / f"leads.{suffix}")
    text = (tmp_path / "leads.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text and "'-1+1" in text
    assert pq.read_table(tmp_path / "leads.parquet").column("trace_code").to_pylist() == ['=HYPERLINK("x")']
    assert json.loads((tmp_path / "leads.json").read_text(encoding="utf-8"))[0]["lead_id"] == "SUB-1"
    assert pa.types.is_timestamp(table.schema.field("first_time").type)


def test_the_screen_command_writes_leads_and_rejects_bad_parameters(district, tmp_path):
    ws, _, leads, _ = district
    command = [sys.executable, "-m", "workbench.cli", "screen", "--workspace", str(ws.root)]
    done = subprocess.run([*command, "--out", str(tmp_path / "l.json")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert len(json.loads((tmp_path / "l.json").read_text(encoding="utf-8"))) == len(leads)
    bad = subprocess.run([*command, "--param", "min_sales=many"], capture_output=True, text=True)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "min_sales" in bad.stderr


def test_spark_gives_the_same_leads_and_the_same_ledger(district):
    ws, _, leads, ledger = district
    result = screening(ws, engine_name="spark")
    assert result.leads.to_pylist() == leads
    assert result.ledger.equals(ledger), "the same rows of the same types"

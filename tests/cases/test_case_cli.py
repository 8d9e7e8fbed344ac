"""``tcw case`` on a generated district: a case from each kind of finding, worked through its statuses;
bad input is one line and exit 2."""

from __future__ import annotations

import csv
import stat
import subprocess
from pathlib import Path

from tests.cases.conftest import first_lead

TCW = str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "tcw")


def tcw(*args: str, ok: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([TCW, *args], capture_output=True, text=True, timeout=300)
    assert (done.returncode == 0) == ok, done.stderr
    assert "Traceback" not in done.stderr
    return done


def test_new_prints_the_case_id_as_the_last_word_and_the_case_is_worked_to_confirmed(ws):
    lead = first_lead(ws, "substitution")
    out = tcw("case", "new", "--lead", lead["lead_id"], "-w", str(ws.root)).stdout
    case_id = out.strip().splitlines()[-1].split()[-1]
    assert case_id.startswith("CASE-")
    tcw("case", "add", case_id, "--code", lead["trace_code"], "--institution", lead["institution_code"], "-w", str(ws.root))
    tcw("case", "status", case_id, "investigating", "-w", str(ws.root))
    refused = tcw("case", "status", case_id, "confirmed", "-w", str(ws.root), ok=False)
    assert refused.returncode == 2 and "reason" in refused.stderr
    tcw("case", "status", case_id, "confirmed", "--reason", "药店承认串换 admitted", "-w", str(ws.root))
    tcw("case", "note", case_id, "已调取处方 prescriptions obtained", "-w", str(ws.root))
    tcw("case", "assign", case_id, "王五", "-w", str(ws.root))
    shown = tcw("case", "show", case_id, "-w", str(ws.root)).stdout
    assert "已确认" in shown and lead["trace_code"] in shown and "王五" in shown and "prescriptions" in shown
    listed = tcw("case", "list", "--status", "confirmed", "-w", str(ws.root)).stdout
    assert case_id in listed
    tcw("case", "export", case_id, "--out", str(ws.root / "packages" / case_id), "--zip", "-w", str(ws.root))
    exposed = [p for p in (ws.root, *ws.root.rglob("*")) if stat.S_IMODE(p.stat().st_mode) & 0o077]
    assert exposed == []  # the case store, findings, audit log and packages stay owner-only
    assert case_id not in tcw("case", "list", "--status", "open", "-w", str(ws.root)).stdout


def test_cases_open_from_a_community_a_code_and_an_institution(ws):
    from workbench.cases.actions import list_cases
    from workbench.cases.findings import workspace_communities

    ring = workspace_communities(ws)[0]
    lead = first_lead(ws, "reflux")
    for option, key in (("--community", ring["community_id"]), ("--code", lead["trace_code"]),
                        ("--institution", lead["institution_code"])):
        tcw("case", "new", option, key, "--title", f"案 {key}", "-w", str(ws.root))
    titles = {case.title for case in list_cases(ws)}
    assert titles == {f"案 {ring['community_id']}", f"案 {lead['trace_code']}", f"案 {lead['institution_code']}"}


def test_unknown_ids_and_values_are_one_line_and_exit_2(ws, tmp_path):
    for args, says in ((("case", "new", "--lead", "SUB-nothing"), "no lead"),
                       (("case", "new", "--code", "00000000000000000000"), "no code"),
                       (("case", "new", "--person", "13800000000"), "pseudonym"),
                       (("case", "new",), "needs a lead"),
                       (("case", "show", "CASE-20260101-000000"), "no case"),
                       (("case", "new", "--lead", "x", "--leads", str(tmp_path / "none.csv")), "cannot read")):
        done = tcw(*args, "-w", str(ws.root), ok=False)
        assert done.returncode == 2 and says in done.stderr and len(done.stderr.strip().splitlines()) == 1
    done = tcw("case", "verify", str(tmp_path / "nothing"), ok=False)
    assert done.returncode == 2 and "no package" in done.stderr


def test_a_lead_from_a_leads_file_of_another_screen_is_found_there(ws, case_district):
    from workbench.cases.actions import list_cases

    leads_file = case_district / "leads.csv"
    with open(leads_file, encoding="utf-8-sig", newline="") as handle:
        lead_id = next(csv.DictReader(handle))["lead_id"]
    tcw("case", "new", "--lead", lead_id, "--leads", str(leads_file), "-w", str(ws.root))
    (case,) = list_cases(ws)
    assert case.keys("lead") == [lead_id] and case.snapshots("lead")[0]["score"] > 0

"""The case store: moves and reasons, items keyed by business ids, history, and changes from several
processes at once (none lost)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from loaders.errors import BadInput
from workbench.cases.store import CaseStore

ROOT = Path(__file__).resolve().parents[2]


def test_a_case_moves_through_its_statuses_and_every_change_is_in_its_history(tmp_path):
    store = CaseStore(tmp_path / "cases.sqlite", user="ana")
    case_id = store.create("串换", [("code", "81000000000000000001", None)])
    store.set_status(case_id, "investigating")
    store.set_status(case_id, "dismissed", reason="医院调拨，有单据 transfer with papers")
    with pytest.raises(BadInput, match="cannot move"):
        store.set_status(case_id, "confirmed", reason="x")
    store.set_status(case_id, "investigating", reason="新证据 new evidence")
    case = store.case(case_id)
    assert case.status == "investigating" and case.reason == "新证据 new evidence"
    moves = [(c.detail["from"], c.detail["to"]) for c in case.history if c.action == "status"]
    assert moves == [("open", "investigating"), ("investigating", "dismissed"), ("dismissed", "investigating")]
    assert {c.by for c in case.history} == {"ana"}


def test_items_are_business_ids_held_once_and_survive_a_new_store_object(tmp_path):
    path = tmp_path / "cases.sqlite"
    store = CaseStore(path, user="ana")
    case_id = store.create("t", [("lead", "SUB-1", {"lead_id": "SUB-1", "score": 0.9}), ("institution", "P1", None)])
    assert store.add(case_id, [("institution", "P1", None), ("code", "C1", None)]) == ["code:C1"]
    again = CaseStore(path, user="bo").case(case_id)
    assert [(i.kind, i.key) for i in again.items] == [("lead", "SUB-1"), ("institution", "P1"), ("code", "C1")]
    assert again.snapshots("lead") == [{"lead_id": "SUB-1", "score": 0.9}]
    assert CaseStore(path).cases_holding("institution", "P1") == [case_id]


def test_bad_values_are_refused_with_what_to_do(tmp_path):
    store = CaseStore(tmp_path / "cases.sqlite")
    with pytest.raises(BadInput, match="unknown case item"):
        store.create("t", [("vehicle", "X", None)])
    case_id = store.create("t", [("code", "C", None)])
    for call, pattern in ((lambda: store.set_status(case_id, "closed"), "unknown status"),
                          (lambda: store.add_note(case_id, "  "), "empty"),
                          (lambda: store.case("CASE-none"), "no case")):
        with pytest.raises(BadInput, match=pattern):
            call()
    assert store.cases() and store.cases("confirmed") == []


WORKER = """
import sys
from loaders.errors import BadInput
from workbench.cases.store import CaseStore
store = CaseStore(sys.argv[1], user=sys.argv[2])
moved = 0
for i in range(int(sys.argv[4])):
    store.add_note(sys.argv[3], f"{sys.argv[2]} {i}")
    try:  # the other process may have made this move first: then it is refused, and not counted
        store.set_status(sys.argv[3], "investigating" if i % 2 == 0 else "open")
        moved += 1
    except BadInput as error:
        assert "cannot move" in str(error), error
print(moved)
"""


def test_changes_from_two_processes_at_once_are_all_kept(tmp_path):
    path = tmp_path / "cases.sqlite"
    case_id = CaseStore(path, user="setup").create("并发 concurrent", [("code", "C", None)])
    rounds = 40
    workers = {user: subprocess.Popen([sys.executable, "-c", WORKER, str(path), user, case_id, str(rounds)], cwd=ROOT,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for user in ("ana", "bo")}
    moved = {}
    for user, worker in workers.items():
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        moved[user] = int(out.split()[-1])
    case = CaseStore(path).case(case_id)
    assert {note.text for note in case.notes} == {f"{user} {i}" for user in workers for i in range(rounds)}
    for user in workers:
        assert len([c for c in case.history if c.by == user and c.action == "status"]) == moved[user] > 0
    statuses = [c for c in case.history if c.action == "status"]
    assert all(a.detail["to"] == b.detail["from"] for a, b in zip(statuses, statuses[1:], strict=False))  # no move was lost
    assert case.status == statuses[-1].detail["to"]

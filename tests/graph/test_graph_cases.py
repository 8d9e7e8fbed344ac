"""``Case`` nodes and ``HOLDS`` from cases made with the case actions on a hand-made ring workspace, in every
store: written by ``tcw graph`` (``write_graph``) with their properties and the items the graph holds,
unchanged when written again, rewritten when a case changes, removed when the case store no longer has them,
never creating an item the graph does not hold (skipped and counted); no case file made for a workspace
without cases; and a ``tcw graph`` killed at each write stage resumes to the graph of a clean load."""

from __future__ import annotations

import csv
import shutil

import pytest

from loaders.workspace import Workspace
from tests.analytics.test_analyse import H1, P1, cluster_rows, code, ring_rows
from tests.graph.crash import resumes_after_every_kill
from tests.neo4j_server import wipe
from tests.workbench.events_builder import write
from workbench.cases.actions import add_note, assign, list_cases, new_case, set_status
from workbench.cases.findings import workspace_communities, workspace_leads
from workbench.cases.model import Case, CaseItem
from workbench.cases.store import case_store_path
from workbench.graph.cases import write_cases
from workbench.graph.elements import Elements
from workbench.graph.memory import MemoryStore
from workbench.graph.neo4j_store import Neo4jStore
from workbench.graph.schema import Link
from workbench.graph.store import GraphStore, node_id
from workbench.graph.writer import graph_summary, write_graph

PRODUCT = "XA01ABD075A002010100483"
#: A person no event names: a pseudonym of the current form the graph does not hold.
NOBODY = "PSN-" + "0" * 32


def cases_of(store: GraphStore) -> dict[str, dict]:
    """Every stored case's properties and what it holds (``(node id, added_by)``, sorted), by id."""
    found = {}
    for case_id in sorted(store.keys("Case")):
        graph = store.neighbourhood("Case", case_id, hops=1)
        target = node_id("Case", case_id)
        held = sorted((end, data.get("added_by")) for start, end, type_, data in graph.edges(keys=True, data=True)
                      if start == target and type_ == "HOLDS")
        found[case_id] = {**graph.nodes[target], "held": held}
    return found


def ring_workspace(root) -> Workspace:
    return write(Workspace(root), ring_rows() + cluster_rows())


def strongest_lead(ws: Workspace) -> str:
    return workspace_leads(ws)[0]["lead_id"]


def two_cases(ws: Workspace) -> tuple[str, str]:
    """A case on the strongest lead, a code and an institution (by ana); one on the first community, the
    product and a person the graph does not hold (by bo)."""
    first = new_case(ws, [("lead", strongest_lead(ws)), ("code", code(1)), ("institution", H1)], user="ana")
    ring = workspace_communities(ws)[0]["community_id"]
    second = new_case(ws, [("community", ring), ("product", PRODUCT), ("person", NOBODY)], title="回流团伙", user="bo")
    return first, second


def test_cases_become_case_nodes_holding_the_items_the_graph_holds(store, tmp_path):
    ws = ring_workspace(tmp_path / "ws")
    first, second = two_cases(ws)
    add_note(ws, first, "已调取处方 prescriptions requested", user="ana")
    report = write_graph(store, ws)
    assert {name: report.read[name] for name in ("cases", "case_items", "skipped_case_items", "removed_cases")} == \
        {"cases": 2, "case_items": 5, "skipped_case_items": 1, "removed_cases": 0}
    assert report.counts["Case"] == 2 and report.counts["HOLDS"] == 5
    assert "案件 cases: 2 写入 written (5 条目 items linked, 1 条目不在图中 items not in the graph)" in graph_summary(report)
    found = cases_of(store)
    ring = workspace_communities(ws)[0]["community_id"]
    assert found[first]["held"] == sorted([(node_id("Lead", strongest_lead(ws)), "ana"), (node_id("Code", code(1)), "ana"),
                                           (node_id("Institution", H1), "ana")])
    assert found[second]["held"] == sorted([(node_id("Community", ring), "bo"), (node_id("Product", PRODUCT), "bo")])
    case = next(case for case in list_cases(ws) if case.case_id == first)
    assert {name: found[first][name] for name in ("status", "status_zh", "created_by", "note_count", "item_count")} == \
        {"status": "open", "status_zh": "待核查", "created_by": "ana", "note_count": 1, "item_count": 3}
    assert found[first]["created_at"] == case.created_at and found[first]["updated_at"] == case.updated_at
    assert found[second]["title"] == "回流团伙" and found[second]["caption"] == "回流团伙"
    assert "assignee" not in found[first] and "reason" not in found[first], "no empty property"
    assert store.absent("Patient", [NOBODY]) == {NOBODY}, "an item the graph lacks is not created"


def test_writing_again_changes_nothing(store, tmp_path):
    ws = ring_workspace(tmp_path / "ws")
    two_cases(ws)
    first = write_graph(store, ws)
    before = cases_of(store)
    again = write_graph(store, ws)
    assert again.counts == first.counts and cases_of(store) == before
    assert (again.read["cases"], again.read["removed_cases"]) == (2, 0)
    assert write_cases(store, list_cases(ws)) == {"cases": 2, "case_items": 5, "skipped_case_items": 1,
                                                  "removed_cases": 0}
    assert store.counts() == first.counts and cases_of(store) == before


def test_a_changed_case_is_rewritten_without_stale_properties_or_holds(store, tmp_path):
    ws = ring_workspace(tmp_path / "ws")
    first, second = two_cases(ws)
    assign(ws, first, "chen", user="ana")
    write_graph(store, ws)
    assert cases_of(store)[first]["assignee"] == "chen"
    store.write(Elements({}, {Link("Case", "HOLDS", "Institution"): [{"start": second, "end": P1}]}))  # by hand
    assign(ws, first, "", user="ana")
    set_status(ws, first, "dismissed", reason="医院调拨，有单据 transfer with papers", user="ana")
    assert write_cases(store, list_cases(ws))["cases"] == 2
    found = cases_of(store)
    assert "assignee" not in found[first], "a cleared assignee leaves no stale value"
    assert (found[first]["status"], found[first]["status_zh"]) == ("dismissed", "已排除")
    assert found[first]["reason"] == "医院调拨，有单据 transfer with papers"
    assert node_id("Institution", P1) not in dict(found[second]["held"]), "a HOLDS the case lacks is removed"
    assert P1 in store.keys("Institution"), "its item stays"


def test_a_case_the_store_no_longer_has_is_removed_with_its_holds(store, tmp_path):
    ws = ring_workspace(tmp_path / "ws")
    lead = strongest_lead(ws)
    kept = new_case(ws, [("lead", lead)], user="ana")
    without = Workspace(shutil.copytree(ws.root, tmp_path / "without"))  # the case file before the second case
    gone = new_case(ws, [("institution", H1), ("code", code(1))], user="bo")
    write_graph(store, ws)
    assert store.keys("Case") == {kept, gone}
    report = write_graph(store, without)
    assert (report.read["cases"], report.read["removed_cases"]) == (1, 1)
    assert store.keys("Case") == {kept} and store.counts()["HOLDS"] == 1
    assert store.neighbourhood("Case", gone).number_of_nodes() == 0
    assert H1 in store.keys("Institution") and code(1) in store.keys("Code"), "the items stay"


def test_items_the_graph_does_not_hold_are_skipped_counted_and_linked_once_they_are(store, tmp_path):
    ws = ring_workspace(tmp_path / "ws")
    leads_file = tmp_path / "other-params.csv"
    with open(leads_file, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([["lead_id", "score", "explanation_zh"], ["REF-other", "0.5", "别的参数"]])
    case_id = new_case(ws, [("lead", "REF-other"), ("person", NOBODY), ("code", code(7))], leads_file=leads_file)
    report = write_graph(store, ws)
    assert (report.read["case_items"], report.read["skipped_case_items"]) == (1, 2)
    assert store.absent("Lead", ["REF-other"]) == {"REF-other"} and store.absent("Patient", [NOBODY]) == {NOBODY}
    write(ws, [row for row in ring_rows() + cluster_rows() if row["trace_code"] != code(7)])
    withdrawn = write_graph(store, ws)
    assert (withdrawn.read["case_items"], withdrawn.read["skipped_case_items"]) == (0, 3)
    assert code(7) not in store.keys("Code"), "a case's HOLDS keeps no code whose events were withdrawn"
    clean = MemoryStore()
    write_graph(clean, ws)
    assert store.counts() == clean.counts() and cases_of(store) == cases_of(clean)
    assert cases_of(store)[case_id]["held"] == []
    write(ws, ring_rows() + cluster_rows())  # the code's events are back
    restored = write_graph(store, ws)
    assert (restored.read["case_items"], restored.read["skipped_case_items"]) == (1, 2)
    assert [end for end, _ in cases_of(store)[case_id]["held"]] == [node_id("Code", code(7))]


def test_a_held_aggregate_code_is_held_as_a_pack(store):
    store.write(Elements({"Pack": [{"code": "80000000000000000001"}], "Code": [{"code": code(1)}]},
                         {Link("Pack", "CONTAINS", "Code"): [{"start": "80000000000000000001", "end": code(1)}]}))
    case = Case("CASE-1", "整箱 case", "open", "", "", "t0", "ana", "t0",
                items=(CaseItem("code", "80000000000000000001", added_by="ana"),))
    assert write_cases(store, [case])["case_items"] == 1
    assert cases_of(store)["CASE-1"]["held"] == [(node_id("Pack", "80000000000000000001"), "ana")]
    assert write_cases(store, []) == {"cases": 0, "case_items": 0, "skipped_case_items": 0, "removed_cases": 1}
    assert store.keys("Pack") == {"80000000000000000001"} and store.counts()["Case"] == 0, "the pack stays"


def test_a_workspace_without_cases_writes_none_and_makes_no_case_file(store, tmp_path):
    ws = ring_workspace(tmp_path / "ws")
    report = write_graph(store, ws)
    assert (report.read["cases"], report.counts["Case"], report.counts["HOLDS"]) == (0, 0, 0)
    assert not case_store_path(ws.root).exists()
    assert "案件 cases" not in graph_summary(report)


@pytest.mark.neo4j
def test_both_stores_hold_the_same_cases(tmp_path, neo4j_settings, neo4j_session_driver):
    ws = ring_workspace(tmp_path / "ws")
    two_cases(ws)
    memory = MemoryStore()
    write_graph(memory, ws)
    wipe(neo4j_session_driver)
    neo4j = Neo4jStore.connect(neo4j_settings.uri, neo4j_settings.user, neo4j_settings.password)
    try:
        write_graph(neo4j, ws)
        assert neo4j.counts() == memory.counts() and cases_of(neo4j) == cases_of(memory)
    finally:
        neo4j.close()


@pytest.mark.neo4j
def test_a_graph_load_killed_at_each_write_stage_resumes_to_the_cases_of_a_clean_load(
        tmp_path, neo4j_settings, neo4j_driver):
    before = ring_workspace(tmp_path / "before")
    changed = new_case(before, [("lead", strongest_lead(before)), ("code", code(7))], user="ana")
    after = Workspace(shutil.copytree(before.root, tmp_path / "after"))
    new_case(before, [("institution", H1)], user="bo")  # only before has it
    write(after, [row for row in ring_rows() + cluster_rows() if row["trace_code"] != code(7)])
    set_status(after, changed, "investigating", user="ana")
    new_case(after, [("institution", P1), ("product", PRODUCT)], user="bo")
    census = resumes_after_every_kill(neo4j_settings, neo4j_driver, before, after, tmp_path / "stages.log")
    assert "Case" in "".join(census.clean) and "HOLDS" in "".join(census.clean)
    assert "案件 cases: 2 写入 written (3 条目 items linked, 1 条目不在图中 items not in the graph), 1 移除 removed" \
        in census.stdout
    assert {"graph batch", "graph communities", "graph cases", "graph removal", "graph sweep"} <= set(census.stages)

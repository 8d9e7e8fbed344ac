"""``Community`` nodes and ``MEMBER_OF`` on hand-made rings and clusters, in every store: written by ``tcw
graph`` (``write_graph``) with the right members and roles, unchanged when written again, removed with their
``MEMBER_OF`` when no longer found, never creating a member the graph does not hold; written back by ``tcw
analyse --from neo4j``; and a ``tcw graph`` killed at each write stage resumes to the graph of a clean load."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from loaders.errors import BadInput
from loaders.workspace import Workspace
from tests.analytics.test_analyse import AWAY, H1, H2, P1, P2, P3, P4, cluster_rows, code, ring_rows
from tests.graph.crash import resumes_after_every_kill
from tests.graph.test_writer import dump, tcw_graph
from tests.neo4j_server import wipe
from tests.workbench.events_builder import event, write
from workbench.analytics.run import analyse_workspace
from workbench.graph.communities import MEMBER_ROLES, write_communities
from workbench.graph.elements import Elements
from workbench.graph.load import load_workspace
from workbench.graph.memory import MemoryStore
from workbench.graph.neo4j_store import Neo4jStore
from workbench.graph.schema import Link
from workbench.graph.store import GraphStore, node_id
from workbench.graph.writer import write_graph
from workbench.screens.privacy import pseudonym, workspace_key

COMMUNITY_COUNTS = ("Community", "MEMBER_OF", "Institution", "Patient")


def communities_of(store: GraphStore) -> dict[str, dict]:
    """Every stored community's properties and members (``(node id, role)``, sorted), by id."""
    found = {}
    for community_id in sorted(store.keys("Community")):
        graph = store.neighbourhood("Community", community_id, hops=1)
        target = node_id("Community", community_id)
        members = sorted((start, data.get("role")) for start, end, type_, data in graph.edges(keys=True, data=True)
                         if end == target and type_ == "MEMBER_OF")
        found[community_id] = {**graph.nodes[target], "members": members}
    return found


def without_resales(rows: list[dict]) -> list[dict]:
    """The ring's dispensing alone: no box reappears, so no ring."""
    return [row for row in rows if row["institution_code"] not in (P1, P2, P3, P4)]


def test_rings_and_clusters_become_community_nodes_with_their_members(store, tmp_path):
    ws = write(Workspace(tmp_path / "ws"), ring_rows() + cluster_rows())
    report = write_graph(store, ws)
    analysis = analyse_workspace(ws)
    ring = next(c for c in analysis.communities if c.kind == "reflux_ring")
    cluster = next(c for c in analysis.communities if c.kind == "counterfeit_cluster")
    assert report.read["communities"] == 2 and report.read["removed_communities"] == 0
    assert report.counts["Community"] == 2 and report.counts["MEMBER_OF"] == len(ring.members) + len(cluster.members)
    found = communities_of(store)
    key = workspace_key(ws.root)
    persons = [(node_id("Patient", pseudonym(p, key)), "person") for p in ("COLLECTOR", "PERSON-A", "PERSON-B")]
    assert found[ring.community_id]["members"] == sorted(
        [(node_id("Institution", h), "source") for h in (H1, H2)]
        + [(node_id("Institution", p), "reseller") for p in (P1, P2, P3, P4)] + persons)
    assert found[cluster.community_id]["members"] == [(node_id("Institution", o), "outlet") for o in sorted(AWAY)]
    assert {role for found_ in found.values() for _, role in found_["members"]} <= set(MEMBER_ROLES)
    row = next(r for r in analysis.community_rows() if r["community_id"] == ring.community_id)
    stored = found[ring.community_id]
    assert stored["kind"] == "reflux_ring" and stored["caption"] == ring.community_id
    assert stored["code_count"] == 7 and stored["trace_codes"] == row["trace_codes"] and stored["rank"] == row["rank"]
    assert stored["first_time"] == row["first_time"].isoformat() and stored["explanation_zh"] == row["explanation_zh"]
    assert "persons" not in found[cluster.community_id], "a cluster without persons: no empty property"


def test_the_neighbourhood_of_a_community_reaches_its_members_and_their_events(store, tmp_path):
    ws = write(Workspace(tmp_path / "ws"), ring_rows())
    write_graph(store, ws)
    [ring] = analyse_workspace(ws).communities
    near = store.neighbourhood("Community", ring.community_id)
    assert {node_id(label, key) for label, key in ring.members} < set(near)
    assert any(data["label"] == "Event" for _, data in near.nodes(data=True)), "two hops: the members' events"
    institution = store.neighbourhood("Institution", P1, hops=1, labels=["Community"])
    assert node_id("Community", ring.community_id) in institution


def test_writing_again_changes_nothing(store, tmp_path):
    ws = write(Workspace(tmp_path / "ws"), ring_rows() + cluster_rows())
    first = write_graph(store, ws)
    before = communities_of(store)
    again = write_graph(store, ws)
    assert again.counts == first.counts and communities_of(store) == before
    assert again.read["communities"] == 2 and again.read["removed_communities"] == 0
    assert write_communities(store, analyse_workspace(ws)) == {"communities": 2, "removed_communities": 0}
    assert store.counts() == first.counts


def test_a_ring_no_longer_found_is_removed_with_its_member_of(store, tmp_path):
    ws = write(Workspace(tmp_path / "ws"), ring_rows() + cluster_rows())
    write_graph(store, ws)
    ring_id = next(c.community_id for c in analyse_workspace(ws).communities if c.kind == "reflux_ring")
    write(ws, without_resales(ring_rows()) + cluster_rows())
    report = write_graph(store, ws)
    [cluster] = analyse_workspace(ws).communities
    assert report.read["communities"] == 1 and report.read["removed_communities"] == 1
    assert store.keys("Community") == {cluster.community_id}
    assert store.counts()["MEMBER_OF"] == len(AWAY) and store.neighbourhood("Community", ring_id).number_of_nodes() == 0
    assert H1 in store.keys("Institution") and P1 not in store.keys("Institution"), "P1's events went with the resales"


def test_without_flows_every_community_is_removed(store, tmp_path):
    ws = write(Workspace(tmp_path / "ws"), ring_rows())
    write_graph(store, ws)
    write(ws, [event(1, code=code(1)), event(2, code=code(2))])  # no code sold twice: nothing to analyse
    report = write_graph(store, ws)
    assert report.read["communities"] == 0 and report.read["removed_communities"] == 1
    assert store.counts()["Community"] == 0 and store.counts()["MEMBER_OF"] == 0


def test_a_stale_member_of_does_not_survive_a_rewrite(store, tmp_path):
    ws = write(Workspace(tmp_path / "ws"), ring_rows() + cluster_rows())
    write_graph(store, ws)
    before = communities_of(store)
    ring_id = next(cid for cid, found in before.items() if found["kind"] == "reflux_ring")
    outlet = sorted(AWAY)[0]
    store.write(Elements({}, {Link("Institution", "MEMBER_OF", "Community"): [{"start": outlet, "end": ring_id}]}))
    assert communities_of(store) != before
    assert write_communities(store, analyse_workspace(ws)) == {"communities": 2, "removed_communities": 0}
    assert communities_of(store) == before


def test_persons_under_a_new_pseudonym_key_are_the_members_after_the_next_load(store, tmp_path):
    ws = write(Workspace(tmp_path / "ws"), ring_rows())
    first = write_graph(store, ws)
    [ring] = analyse_workspace(ws).communities
    (ws.root / "pseudonym.key").unlink()  # a new key: every person under another pseudonym
    again = write_graph(store, ws)
    [same] = analyse_workspace(ws).communities
    assert same.community_id == ring.community_id and set(same.persons).isdisjoint(ring.persons)
    assert again.read["removed_patients"] == first.counts["Patient"] and again.counts == first.counts
    members = communities_of(store)[ring.community_id]["members"]
    assert [m for m, _ in members if m.startswith("Patient:")] == sorted(node_id("Patient", p) for p in same.persons)


def test_members_the_graph_does_not_hold_stop_the_write_before_anything_changes(store, tmp_path):
    ws = write(Workspace(tmp_path / "ws"), ring_rows())
    analysis = analyse_workspace(ws)
    load_workspace(store, write(ws, without_resales(ring_rows())))
    before = store.counts()
    with pytest.raises(BadInput, match="4 community members are not in the graph: Institution P50011600011, "
                                       "Institution P50011600012, Institution P50011600013, Institution P50011600014"):
        write_communities(store, analysis)
    assert store.counts() == before and P1 not in store.keys("Institution"), "no empty member node"


@pytest.mark.neo4j
def test_both_stores_hold_the_same_communities(tmp_path, neo4j_settings, neo4j_session_driver):
    ws = write(Workspace(tmp_path / "ws"), ring_rows() + cluster_rows())
    memory = MemoryStore()
    write_graph(memory, ws)
    wipe(neo4j_session_driver)
    neo4j = Neo4jStore.connect(neo4j_settings.uri, neo4j_settings.user, neo4j_settings.password)
    try:
        write_graph(neo4j, ws)
        assert neo4j.counts() == memory.counts() and communities_of(neo4j) == communities_of(memory)
    finally:
        neo4j.close()


def _tcw(*args: str, settings) -> subprocess.CompletedProcess:
    env = {**os.environ, "NEO4J_URI": settings.uri, "NEO4J_USER": settings.user, "NEO4J_PASSWORD": settings.password}
    return subprocess.run([sys.executable, "-m", "workbench.cli", *args], env=env, capture_output=True, text=True,
                          timeout=600)


@pytest.mark.neo4j
def test_tcw_graph_writes_the_communities_and_says_so(tmp_path, neo4j_settings, neo4j_driver):
    ws = write(Workspace(tmp_path / "ws"), ring_rows() + cluster_rows())
    first = tcw_graph(ws, neo4j_settings)
    assert first.returncode == 0, first.stderr
    assert "团伙/网络 communities: 2 写入 written, 0 移除 removed" in first.stdout
    query = "MATCH (c:Community {kind: 'reflux_ring'})<-[:MEMBER_OF]-(m) RETURN c.community_id AS id, count(m) AS n"
    [ring] = neo4j_driver.execute_query(query).records
    assert ring["n"] == 9 and ring["id"].startswith("RING-")
    before = dump(neo4j_driver)
    again = tcw_graph(ws, neo4j_settings)
    assert again.returncode == 0, again.stderr
    assert dump(neo4j_driver) == before and again.stdout.splitlines()[2:] == first.stdout.splitlines()[2:]
    write(ws, without_resales(ring_rows()) + cluster_rows())
    changed = tcw_graph(ws, neo4j_settings)
    assert "1 移除 removed (不再成立 no longer found)" in changed.stdout
    assert not neo4j_driver.execute_query(query).records


@pytest.mark.neo4j
def test_tcw_analyse_from_neo4j_writes_the_communities_it_found_back(tmp_path, neo4j_settings, neo4j_driver):
    ws = write(Workspace(tmp_path / "ws"), ring_rows() + cluster_rows())
    store = Neo4jStore.connect(neo4j_settings.uri, neo4j_settings.user, neo4j_settings.password)
    try:
        load_workspace(store, ws)
        assert store.counts()["Community"] == 0
        done = _tcw("analyse", "--workspace", str(ws.root), "--from", "neo4j", settings=neo4j_settings)
        assert done.returncode == 0, done.stderr
        assert "图数据库 graph: 2 团伙/网络 communities 写入 written, 0 移除 removed" in done.stdout
        assert store.keys("Community") == {c.community_id for c in analyse_workspace(ws).communities}
        strict = _tcw("analyse", "--workspace", str(ws.root), "--from", "neo4j", "--param", "min_codes=8",
                      settings=neo4j_settings)
        assert strict.returncode == 0, strict.stderr
        assert store.keys("Community") == set(), "the graph holds the last analysis' communities"
    finally:
        store.close()


@pytest.mark.neo4j
def test_a_graph_load_killed_at_each_write_stage_resumes_to_the_communities_of_a_clean_load(
        tmp_path, neo4j_settings, neo4j_driver):
    before = write(Workspace(tmp_path / "before"), ring_rows() + cluster_rows())
    after = write(Workspace(tmp_path / "after"), [row for row in ring_rows() if row["trace_code"] != code(7)])
    (after.root / "pseudonym.key").write_bytes(workspace_key(before.root))  # the same persons in both
    (after.root / "pseudonym.key").chmod(0o600)
    census = resumes_after_every_kill(neo4j_settings, neo4j_driver, before, after, tmp_path / "stages.log")
    assert "Community" in "".join(census.clean)
    assert {"graph batch", "graph communities", "graph removal", "graph sweep"} <= set(census.stages)

"""``analyse`` on generated districts: every planted ring and cluster found, every planted broker in the
top ranks, no look-alike reported; the same from the workspace, a MemoryStore and Neo4j."""

from __future__ import annotations

import csv

import pytest

from loaders.ingest import ingest
from loaders.workspace import Workspace
from tests.neo4j_server import wipe
from workbench.analytics.run import Analysis, analyse_store, analyse_workspace
from workbench.graph.load import load_workspace
from workbench.graph.memory import MemoryStore
from workbench.graph.neo4j_store import Neo4jStore
from workbench.screens.privacy import pseudonym, workspace_key
from workbench.synth import generate

NETWORKS = ("reflux_ring", "counterfeit_cluster")
NOT_IN_ANY = ("heavy_buyer", "chain_transfer_network", "single_reflux")


@pytest.fixture(scope="module", params=[3, 7, 19])
def planted(request, tmp_path_factory):
    """(workspace, networks.csv rows with persons as pseudonyms, the analysis from the workspace)."""
    root = tmp_path_factory.mktemp(f"networks-{request.param}")
    generate(root / "data", seed=request.param, scale="tiny")
    ws = Workspace(root / "ws")
    ingest([root / "data" / "uploads", root / "data" / "reference"], ws, workers=1)
    key = workspace_key(ws.root)
    with open(root / "data" / "networks.csv", encoding="utf-8", newline="") as handle:
        truth = list(csv.DictReader(handle))
    for row in truth:
        row["codes"] = set(filter(None, row["trace_codes"].split("|")))
        if row["entity_kind"] == "person":
            row["entity"] = pseudonym(row["entity"], key)
    return ws, truth, analyse_workspace(ws)


def jaccard(a: set, b) -> float:
    b = set(b)
    return len(a & b) / len(a | b) if a | b else 0.0


def test_every_planted_ring_and_cluster_is_found(planted):
    _, truth, analysis = planted
    for network in (row for row in truth if row["kind"] in NETWORKS):
        best = max((jaccard(network["codes"], c.trace_codes) for c in analysis.communities
                    if c.kind == network["kind"]), default=0.0)
        assert best >= 0.5, f"{network['network_id']}: best Jaccard {best:.2f}"


def test_every_planted_broker_ranks_near_the_top_of_its_role(planted):
    _, truth, analysis = planted
    brokers = [row for row in truth if row["kind"] == "broker"]
    for broker in brokers:
        ranked = [b["entity"] for b in analysis.brokers if b["role"] == broker["role"]]
        planted_in_role = sum(row["role"] == broker["role"] for row in brokers)
        assert broker["entity"] in ranked, f"{broker['network_id']} not ranked as {broker['role']}"
        assert ranked.index(broker["entity"]) < max(3, 2 * planted_in_role), broker["network_id"]


def test_every_reported_community_is_mostly_planted_and_no_look_alike_is_one(planted):
    _, truth, analysis = planted
    networks = {kind: set().union(*(r["codes"] for r in truth if r["kind"] == kind)) for kind in NETWORKS}
    look_alikes = [row for row in truth if row["kind"] == "lookalike"]
    for community in analysis.communities:
        codes = set(community.trace_codes)
        assert len(codes & networks[community.kind]) >= len(codes) / 2, community.community_id
        for look_alike in look_alikes:
            assert len(codes & look_alike["codes"]) < len(codes) / 2, (look_alike["network_id"], community)
    reported = set().union(*(c.trace_codes for c in analysis.communities))
    for look_alike in (row for row in look_alikes if row["role"] in NOT_IN_ANY):
        assert not look_alike["codes"] & reported, look_alike["network_id"]
    brokers = {b["entity"] for b in analysis.brokers}
    assert not {row["entity"] for row in look_alikes if row["entity"]} & brokers, "a look-alike ranked as a broker"


def test_the_explanations_name_who_what_and_when(planted):
    _, _, analysis = planted
    for row in analysis.community_rows():
        assert row["first_time"].strftime("%Y-%m-%d") in row["explanation_zh"]
        assert str(row["code_count"]) in row["explanation_en"] and row["institutions"].split("|")[0] in (
            row["explanation_zh"] + row["explanation_en"])


def _same(first: Analysis, second: Analysis) -> None:
    assert second.community_rows() == first.community_rows()
    assert second.brokers == first.brokers


def test_memory_store_gives_the_same_answers(planted):
    ws, _, analysis = planted
    store = MemoryStore()
    load_workspace(store, ws)
    _same(analysis, analyse_store(store))


@pytest.mark.neo4j
def test_neo4j_gives_the_same_answers(planted, neo4j_settings, neo4j_session_driver):
    ws, _, analysis = planted
    wipe(neo4j_session_driver)
    store = Neo4jStore.connect(neo4j_settings.uri, neo4j_settings.user, neo4j_settings.password)
    try:
        load_workspace(store, ws)
        _same(analysis, analyse_store(store))
    finally:
        store.clear()
        store.close()

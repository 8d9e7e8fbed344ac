"""``Neo4jStore`` beside ``MemoryStore``: a generated district loaded into both answers a broad set of
queries identically (histories, neighbourhoods, chains, paths, leads, projections); the store puts the
schema's constraints in place, refuses names that are not identifiers, and says in one line why it cannot
connect."""

from __future__ import annotations

import random
import socket

import duckdb
import networkx as nx
import pytest

from loaders.errors import BadInput
from tests.workbench import test_screen_synth
from workbench.graph.load import load_workspace
from workbench.graph.memory import MemoryStore
from workbench.graph.neo4j_store import Neo4jStore
from workbench.graph.neo4j_write import identifier, node_statement
from workbench.graph.schema import SchemaError, neo4j_constraints
from workbench.screens.leads import leads_table

pytestmark = pytest.mark.neo4j
district = test_screen_synth.district  # the generated district (seed, truth, leads), reused
WALK = ["Event", "Institution", "Patient", "Code", "Pack", "Lead"]  # no hubs (products, regions)


@pytest.fixture
def neo4j_store(neo4j_settings, neo4j_driver):
    store = Neo4jStore.connect(neo4j_settings.uri, neo4j_settings.user, neo4j_settings.password)
    yield store
    store.close()


def graph_data(graph: nx.Graph) -> tuple[list[str], list[str]]:
    """A graph's nodes and edges with every attribute, comparable across stores."""
    edges = graph.edges(keys=True, data=True) if graph.is_multigraph() else graph.edges(data=True)
    return (sorted(repr((node, sorted(data.items()))) for node, data in graph.nodes(data=True)),
            sorted(repr((*ends[:-1], sorted(ends[-1].items()))) for ends in edges))


@pytest.mark.parametrize("district", [3], indirect=True)
def test_both_stores_answer_a_district_alike(district, neo4j_store):
    ws, truth, leads, _ = district
    memory = MemoryStore()
    for store in (memory, neo4j_store):
        load_workspace(store, ws, leads_table(leads), batch_size=2500)
    assert neo4j_store.counts() == memory.counts()
    sample = random.Random(5)
    codes = [row[0] for row in duckdb.sql("SELECT DISTINCT trace_code FROM read_parquet($p) WHERE trace_code <> '' "
                                          "ORDER BY 1", params={"p": ws.event_files()}).fetchall()]
    codes = sorted({case["trace_code"] for case in truth if case["trace_code"]} | set(sample.sample(codes, 40)))
    for code in codes:
        assert neo4j_store.code_history(code) == memory.code_history(code), code
        assert graph_data(neo4j_store.neighbourhood("Code", code, 2, labels=WALK)) == graph_data(
            memory.neighbourhood("Code", code, 2, labels=WALK)), code
        assert neo4j_store.reflux_chains(code, min_span_days=2) == memory.reflux_chains(code, min_span_days=2)
        assert neo4j_store.leads_of("Code", code) == memory.leads_of("Code", code)
    assert neo4j_store.reflux_chains() == memory.reflux_chains() != []
    assert neo4j_store.flow_events() == memory.flow_events() != []
    _same_around_leads(memory, neo4j_store, leads)


def _same_around_leads(memory: MemoryStore, neo4j_store: Neo4jStore, leads: list[dict]) -> None:
    """Institutions' leads and neighbourhoods (windowed too), and paths between a lead's institutions."""
    for lead in leads[:12]:
        places = [code for code in lead["institutions"].split("|") if code]
        for place in places:
            assert neo4j_store.leads_of("Institution", place) == memory.leads_of("Institution", place)
            window = {"hops": 2, "since": lead["first_time"], "until": lead["last_time"], "labels": ["Event", "Code"]}
            assert graph_data(neo4j_store.neighbourhood("Institution", place, **window)) == graph_data(
                memory.neighbourhood("Institution", place, **window))
        assert graph_data(neo4j_store.neighbourhood("Lead", lead["lead_id"], 2)) == graph_data(
            memory.neighbourhood("Lead", lead["lead_id"], 2))
        for a, b in zip(places, places[1:], strict=False):
            ends = ("Institution", a), ("Institution", b)
            for options in ({}, {"labels": ["Event", "Code"]}, {"time_respecting": True, "labels": ["Event", "Code"]},
                            {"max_hops": 2}):
                assert neo4j_store.paths(*ends, **options) == memory.paths(*ends, **options), (ends, options)


def test_connecting_puts_every_constraint_and_index_in_place(neo4j_store, neo4j_driver):
    names = {record["name"] for record in neo4j_driver.execute_query("SHOW INDEXES YIELD name").records}
    declared = {statement.split()[2] for statement in neo4j_constraints()}
    assert declared <= names
    constraints = {record["name"] for record in neo4j_driver.execute_query("SHOW CONSTRAINTS YIELD name").records}
    assert {name for name in declared if name.endswith("_key")} <= constraints


def test_names_in_cypher_text_must_be_identifiers():
    for name in ("Code`) DETACH DELETE n //", "a b", "", "1x", None):
        with pytest.raises(SchemaError):
            identifier(name)
    with pytest.raises(SchemaError):
        node_statement("Code) DETACH DELETE (n", ["code"], "merge")


def test_connecting_with_a_wrong_password_or_to_nothing_says_what_to_do(neo4j_settings):
    with pytest.raises(BadInput, match="refused the password") as refused:
        Neo4jStore.connect(neo4j_settings.uri, neo4j_settings.user, "not-the-password")
    assert "NEO4J_PASSWORD" in str(refused.value) and "not-the-password" not in str(refused.value)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(BadInput, match="cannot reach Neo4j"):
        Neo4jStore.connect(f"bolt://127.0.0.1:{port}", "neo4j", "x")
    with pytest.raises(BadInput, match="invalid Neo4j address"):
        Neo4jStore.connect("http:/nowhere", "neo4j", "x")

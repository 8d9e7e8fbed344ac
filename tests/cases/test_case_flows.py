"""The case graph's flow tier: a big reflux ring past the cap still reads hospital → collector (``SOLD_TO``)
→ pharmacy (``REAPPEARED_AT``) → buyer, with transfers between pharmacies (``TRANSFER``), counts that add up to
the ring's boxes and events, its persons connected, no node per merged code; small cases unchanged; every tier's
``events`` adding up to the events drawn; the new edges through GraphML, GEXF and the HTML view."""

from __future__ import annotations

import json
import re
from collections import Counter

import networkx as nx
import pytest

from tests.cases.graph_sample import (
    FLOW_COLLECTORS,
    FLOW_HOSPITALS,
    FLOW_PHARMACIES,
    PLAN,
    flow_ring_evidence,
    ring_evidence,
    sample_evidence,
)
from workbench.cases.case_drawing import drawing
from workbench.cases.case_html import case_page
from workbench.cases.event_edges import EventEdge
from workbench.cases.flow_edges import MAX_LISTED_CODES, code_flows
from workbench.cases.graph_files import write_graph_files
from workbench.cases.subgraph import case_graph

CODES = 1000
FLOW_TYPES = {"SOLD_TO", "RETURNED_BY", "REAPPEARED_AT", "TRANSFER"}


@pytest.fixture(scope="module")
def ring():
    return flow_ring_evidence(CODES)


@pytest.fixture(scope="module")
def graph(ring):
    return case_graph(ring)


def edges_of(graph, type_):
    return [(u, v, d) for u, v, d in graph.edges(data=True) if d["type"] == type_]


def site(node):
    return node.split(":", 1)[1] if node.startswith("Institution:") else None


def events_drawn(graph):
    """The ``events`` of every event edge (edges of cases, leads and rings carry none)."""
    return sum(d["events"] for *_, d in graph.edges(data=True) if "events" in d)


def test_the_ring_reads_hospital_collector_pharmacy_with_the_boxes_counted(ring, graph):
    assert graph.graph["aggregation_level"] == 2 and graph.graph["event_edges"] > 2000
    sold = edges_of(graph, "SOLD_TO")
    from_hospitals = [(u, v, d) for u, v, d in sold if site(u) in FLOW_HOSPITALS]
    assert {v for _, v, _ in from_hospitals} == {f"Person:{p}" for p in FLOW_COLLECTORS}
    assert sum(d["count"] for *_, d in from_hospitals) == CODES  # every box sold once by a hospital
    reappeared = edges_of(graph, "REAPPEARED_AT")
    assert {u for u, *_ in reappeared} == {f"Person:{p}" for p in FLOW_COLLECTORS}
    assert {site(v) for _, v, _ in reappeared} <= set(FLOW_PHARMACIES)
    assert sum(d["count"] for *_, d in reappeared) == CODES  # every box turned up at a pharmacy
    assert sum(d["code_count"] for *_, d in reappeared) == CODES and {d["events"] for *_, d in reappeared} == {0}
    assert all(7 <= d["median_days"] <= 60 for *_, d in reappeared)
    transfers = edges_of(graph, "TRANSFER")
    assert {(site(u) in FLOW_PHARMACIES, site(v) in FLOW_PHARMACIES) for u, v, _ in transfers} == {(True, True)}
    moved = len(range(0, CODES, 3))
    assert sum(d["count"] for *_, d in transfers) == moved and sum(d["events"] for *_, d in transfers) == 2 * moved
    resold = [(u, v, d) for u, v, d in sold if site(u) in FLOW_PHARMACIES]
    assert sum(d["count"] for *_, d in resold) == CODES and sum(d["amount"] for *_, d in resold) == pytest.approx(19800)


def test_the_edges_list_their_codes_and_span(ring, graph):
    codes = set(ring.events.column("trace_code").to_pylist())
    for _, _, data in edges_of(graph, "SOLD_TO") + edges_of(graph, "REAPPEARED_AT") + edges_of(graph, "TRANSFER"):
        listed = data["trace_codes"].split("|")
        assert len(listed) == min(data["code_count"], MAX_LISTED_CODES) and set(listed) <= codes
        assert data["first_time"] <= data["last_time"]
    big = max((d for *_, d in edges_of(graph, "SOLD_TO")), key=lambda d: d["count"])
    assert big["count"] > MAX_LISTED_CODES and len(big["trace_codes"].split("|")) == MAX_LISTED_CODES


def test_the_persons_are_connected_and_no_code_is_a_node(graph):
    persons = [n for n, d in graph.nodes(data=True) if d["type"] == "Person"]
    assert len(persons) == len(FLOW_COLLECTORS) + CODES  # the collectors and a buyer per box
    for person in persons:
        assert any(d["type"] != "MEMBER_OF" for *_, d in graph.in_edges(person, data=True)), person
    for collector in FLOW_COLLECTORS:
        out = {d["type"] for *_, d in graph.out_edges(f"Person:{collector}", data=True)}
        assert out == {"REAPPEARED_AT", "MEMBER_OF"}
    assert not [n for n, d in graph.nodes(data=True) if d["type"] == "Code"]
    assert graph.nodes["Community:RING-FLOW"]["code_count"] == CODES
    assert len(graph.nodes["Community:RING-FLOW"]["trace_codes"].split("|")) == MAX_LISTED_CODES
    note = graph.graph["aggregation"]
    for expected in ("流向", "再现于 REAPPEARED_AT", "调拨 TRANSFER", "along each code's flow",
                     f"{CODES} codes' events no longer pass through a code node", "not drawn"):
        assert expected in note, expected
    assert sum(1 for *_, d in graph.edges(data=True) if "events" in d) <= 2000


def test_every_event_is_counted_once(ring, graph):
    assert events_drawn(graph) == ring.events.num_rows == CODES * 3 + 2 * len(range(0, CODES, 3))
    purchases = edges_of(graph, "purchase")
    assert {v for _, v, _ in purchases} == {"Product:XA10BBC578A021418780007"}
    assert sum(d["count"] for *_, d in purchases) == CODES and sum(d["code_count"] for *_, d in purchases) == CODES


@pytest.mark.parametrize(("make", "cap", "level"), [
    (sample_evidence, 2000, 0), (ring_evidence, 3500, 1), (ring_evidence, 2000, 2), (ring_evidence, 500, 2),
    (ring_evidence, 100, 3), (flow_ring_evidence, 2000, 2), (flow_ring_evidence, 50, 3)])
def test_the_events_add_up_in_every_tier(make, cap, level):
    evidence = make()
    graph = case_graph(evidence, max_event_edges=cap)
    assert graph.graph["aggregation_level"] == level
    assert events_drawn(graph) == evidence.events.num_rows - graph.graph["events_left_out"]
    for *_, data in graph.edges(data=True):
        if data.get("events") and data["type"] != "TRANSFER":
            assert data["count"] == data["events"], data  # a transfer counts boxes, each one or two events
    if level < 3:
        assert sum(1 for *_, d in graph.edges(data=True) if "events" in d) <= cap or level == 0


def test_past_the_flow_the_per_product_tier_still_takes_over(ring):
    graph = case_graph(ring, max_event_edges=50)
    assert graph.graph["aggregation_level"] == 3 and "along the codes' flow" in graph.graph["aggregation"]
    assert not edges_of(graph, "REAPPEARED_AT") and not edges_of(graph, "SOLD_TO")
    sales = edges_of(graph, "sale")
    assert sum(d["count"] for *_, d in sales) == 2 * CODES and {v for _, v, _ in sales} == {
        "Product:XA10BBC578A021418780007"}


def test_a_small_case_is_unchanged(tmp_path):
    graph = case_graph(sample_evidence())
    types = Counter(d["type"] for *_, d in graph.edges(data=True))
    assert not {"REAPPEARED_AT", "TRANSFER"} & set(types)
    events = [d for *_, d in graph.edges(data=True) if d.get("events")]
    assert len(events) == len(PLAN) and {(d["count"], d["events"]) for d in events} == {(1, 1)}
    assert all("time" in d for d in events) and graph.graph["aggregation_level"] == 0


def flow_event(site_, kind, day, person="", code="C1", hour=9, key=""):
    return EventEdge(f"Institution:{site_}", f"Code:{code}", kind, key or f"{code}-{site_}-{kind}-{day}",
                     f"2025-06-{day:02d}T{hour:02d}:00:00", 10.0 if kind == "sale" else 0.0, 1.0, person, site_,
                     "XA1", code)


def flows_of(events):
    flows, rest = code_flows(events)
    return {(f.start, f.end, f.type): f.facts for f in flows}, [e.key for e in rest]


@pytest.mark.parametrize("order", [("transfer_in", "transfer_out"), ("transfer_out", "transfer_in")])
def test_a_transfer_out_and_in_at_one_moment_are_one_box_moved(order):
    events = [flow_event("P1", "purchase", 1)]
    events += [flow_event("P1" if kind == "transfer_out" else "P2", kind, 5) for kind in order]
    events.append(flow_event("P2", "sale", 7, "PSN-b"))
    flows, rest = flows_of(events)
    moved = flows[("Institution:P1", "Institution:P2", "TRANSFER")]
    assert (moved["count"], moved["events"], moved["trace_codes"]) == (1, 2, "C1")
    assert set(flows) == {("Institution:P1", "Institution:P2", "TRANSFER"), ("Institution:P2", "Person:PSN-b", "SOLD_TO")}
    assert rest == ["C1-P1-purchase-1"]


def test_what_a_flow_does_not_hold_is_handed_back():
    # a sale, the buyer's return at the same store, a resale there: no reappearance, the return to its buyer
    events = [flow_event("P1", "sale", 1, "PSN-a"), flow_event("P1", "sale_return", 2, "PSN-a"),
              flow_event("P1", "sale", 3, "PSN-c")]
    flows, rest = flows_of(events)
    assert set(flows) == {("Institution:P1", "Person:PSN-a", "SOLD_TO"), ("Institution:P1", "Person:PSN-a", "RETURNED_BY"),
                          ("Institution:P1", "Person:PSN-c", "SOLD_TO")} and rest == []
    # a transfer out the box never left by, and one at the end: both handed back
    events = [flow_event("P1", "transfer_out", 1, code="C2"), flow_event("P1", "sale", 2, "PSN-a", code="C2"),
              flow_event("P1", "stock_out", 3, code="C3")]
    flows, rest = flows_of(events)
    assert set(flows) == {("Institution:P1", "Person:PSN-a", "SOLD_TO")}
    assert rest == ["C2-P1-transfer_out-1", "C3-P1-stock_out-3"]


def test_a_sellers_inventory_does_not_hide_where_the_box_went():
    events = [flow_event("H1", "sale", 1, "PSN-a"), flow_event("H1", "inventory", 2), flow_event("P1", "stock_in", 20),
              flow_event("P1", "stock_out", 21), flow_event("P2", "sale", 25, "PSN-b")]
    flows, rest = flows_of(events)
    assert flows[("Person:PSN-a", "Institution:P1", "REAPPEARED_AT")]["median_days"] == 19.0
    assert flows[("Institution:P1", "Institution:P2", "TRANSFER")]["events"] == 1  # the stock out; no transfer in
    assert rest == ["C1-H1-inventory-2", "C1-P1-stock_in-20"]
    # a transfer in from wherever the box was last seen, without a transfer out
    flows, rest = flows_of([flow_event("P1", "purchase", 1), flow_event("P2", "transfer_in", 4)])
    assert flows[("Institution:P1", "Institution:P2", "TRANSFER")]["events"] == 1 and rest == ["C1-P1-purchase-1"]


def test_graphml_and_gexf_read_back_the_flow_edges(graph, tmp_path):
    paths = write_graph_files(graph, tmp_path)
    back = nx.read_graphml(paths[0], force_multigraph=True, edge_key_type=str)  # no parallel edges here
    assert set(back.edges(keys=True)) == set(graph.edges(keys=True))
    for start, end, key, data in graph.edges(keys=True, data=True):
        if data["type"] in FLOW_TYPES:
            mine = back.edges[start, end, key]
            assert {name: mine[name] for name in data} == data
    reappeared = next((u, v) for u, v, d in edges_of(graph, "REAPPEARED_AT"))
    gexf = nx.read_gexf(paths[1])  # no parallel edges: networkx reads a simple graph, each edge's type its label
    assert {(u, v, d["label"]) for u, v, d in gexf.edges(data=True)} == {(u, v, d["type"]) for u, v, d in
                                                                         graph.edges(data=True)}
    mine, data = gexf.edges[reappeared], graph.edges[(*reappeared, "REAPPEARED_AT")]
    assert (mine["label"], mine["weight"], mine["start"], mine["median_days"]) == (
        "REAPPEARED_AT", data["count"], data["first_time"], data["median_days"])
    assert "REAPPEARED_AT" in paths[3].read_text(encoding="utf-8-sig")


def test_the_html_view_names_the_flow_edges(ring, graph):
    page = case_page(ring, graph)
    section = page[page.index('<section id="graph">'):page.index("</section>", page.index('<section id="graph">'))]
    for expected in ("再现于 reappeared at <code>REAPPEARED_AT</code>", "调拨 transfer <code>TRANSFER</code>",
                     "售予 sold to <code>SOLD_TO</code>"):
        assert expected in section, expected
    raw = re.search(r'<script type="application/json" id="tcw-graphs">(.*?)</script>', page, re.S).group(1)
    labels = {edge.get("label", "").split(" ")[0] for edge in json.loads(raw)[0]["edges"]}
    assert {"再现于", "售予", "调拨"} <= labels


def test_the_drawing_prefers_the_flow_to_codes_without_events(graph):
    crowded = graph.copy()
    for k in range(400):  # codes a ring lists and leads flag, with no event edge of their own
        crowded.add_node(f"Code:X{k}", type="Code", key=f"X{k}", label=f"X{k}", in_case=False)
        crowded.add_edge(f"Code:X{k}", "Community:RING-FLOW", key="MEMBER_OF", type="MEMBER_OF")
    ids = {node["id"] for node in drawing(crowded).data["nodes"]}
    assert {f"Person:{p}" for p in FLOW_COLLECTORS} <= ids and not [i for i in ids if i.startswith("Code:")]

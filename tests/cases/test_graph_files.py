"""The case graph and its files: what the graph holds (the reflux chain hospital → code → person and
pharmacy → code → another person), GraphML and GEXF read back by networkx with the same nodes, edges,
types, Chinese labels and times, the CSV files (BOM, formula-like cells neutralised), characters XML cannot
hold, and merging past the cap (per code, along the codes' flow, per product) with counts that add up to the events."""

from __future__ import annotations

import csv
import time
from collections import Counter

import networkx as nx
import pytest

from tests.cases.graph_sample import (
    CODE,
    CONTROL_CODE,
    HOSPITAL,
    HOSPITAL_NAME,
    PERSON_A,
    PERSON_B,
    PHARMACY,
    PHARMACY_NAME,
    PLAN,
    PRODUCT,
    PRODUCT_NAME,
    QUIET,
    SCRIPT_CODE,
    ring_evidence,
    sample_evidence,
)
from workbench.cases.graph_files import write_graph_files
from workbench.cases.subgraph import case_graph
from workbench.graph.export import export_subgraph, xml_safe
from workbench.screens.leads import spreadsheet_safe
from workbench.spreadsheet import FORMULA_START, safe_text

EVENT_TYPES = {"purchase", "sale", "sale_return", "transfer_out", "inventory"}


@pytest.fixture(scope="module")
def graph():
    return case_graph(sample_evidence())


@pytest.fixture(scope="module")
def files(graph, tmp_path_factory):
    return write_graph_files(graph, tmp_path_factory.mktemp("package"))


def edges_of(graph, type_):
    return [(u, v, k, d) for u, v, k, d in graph.edges(keys=True, data=True) if d["type"] == type_]


def test_the_graph_holds_the_case_its_items_and_the_reflux_chain(graph):
    nodes = dict(graph.nodes(data=True))
    assert Counter(d["type"] for d in nodes.values()) == {"Case": 1, "Lead": 1, "Community": 1, "Code": 3,
                                                           "Institution": 3, "Person": 2, "Product": 1}
    assert {n for n, d in nodes.items() if d["in_case"]} == {
        "Case:CASE-20261204-0a1b2c", "Lead:LEAD-1", "Community:RING-1", f"Code:{CODE}", f"Institution:{QUIET}"}
    assert nodes[f"Institution:{HOSPITAL}"]["label"] == HOSPITAL_NAME
    assert nodes[f"Institution:{HOSPITAL}"]["institution_type"] == "hospital"
    assert nodes[f"Institution:{PHARMACY}"]["region_code"] == "500116"
    assert nodes[f"Institution:{QUIET}"]["label"] == QUIET  # no name known: its code
    assert nodes[f"Person:{PERSON_A}"]["label"] == "PSN-aaaaaaaa…"
    assert nodes[f"Product:{PRODUCT}"]["label"] == PRODUCT_NAME
    assert nodes["Lead:LEAD-1"]["label"] == "回流" and nodes["Lead:LEAD-1"]["score"] == 0.93
    assert nodes["Community:RING-1"]["label"] == "回流团伙 #1" and nodes["Community:RING-1"]["rank"] == 1
    assert (nodes[f"Code:{CODE}"]["first_time"], nodes[f"Code:{CODE}"]["last_time"]) == (
        "2025-06-01T09:00:00", "2025-06-05T15:00:00")
    assert nodes["Lead:LEAD-1"]["first_time"] == "2025-06-02T10:00:00"
    # the chain an investigator follows: hospital → code → person A, pharmacy → the same code → person B
    sold = {(u, v, d["institution"]) for u, v, _, d in edges_of(graph, "SOLD_TO")}
    assert (f"Code:{CODE}", f"Person:{PERSON_A}", HOSPITAL) in sold
    assert (f"Code:{CODE}", f"Person:{PERSON_B}", PHARMACY) in sold
    assert graph.has_edge(f"Institution:{HOSPITAL}", f"Code:{CODE}", "E02")
    assert graph.has_edge(f"Institution:{PHARMACY}", f"Code:{CODE}", "E03")
    assert [d["type"] for *_, d in edges_of(graph, "RETURNED_BY")] == ["RETURNED_BY"]


def test_every_event_is_one_edge_and_the_links_are_there(graph):
    events = [d for *_, d in graph.edges(keys=True, data=True) if d["type"] in EVENT_TYPES]
    assert len(events) == len(PLAN) and {d["count"] for d in events} == {1}
    sale = graph.edges[f"Institution:{PHARMACY}", f"Code:{CODE}", "E03"]
    assert (sale["time"], sale["amount"], sale["quantity"], sale["person"]) == ("2025-06-05T15:00:00", 23.5, 1.0,
                                                                                 PERSON_B)
    assert graph.has_edge(f"Institution:{PHARMACY}", f"Product:{PRODUCT}", "E10")  # a sale without a code
    assert len(edges_of(graph, "HOLDS")) == 4
    roles = {(v, d["role"]) for _, v, _, d in edges_of(graph, "FLAGS")}
    assert roles == {(f"Institution:{PHARMACY}", "main"), (f"Institution:{HOSPITAL}", "involved"),
                     (f"Code:{CODE}", "code"), (f"Product:{PRODUCT}", "product")}
    members = {u for u, v, _, _ in edges_of(graph, "MEMBER_OF")}
    assert members == {f"Institution:{HOSPITAL}", f"Institution:{PHARMACY}", f"Person:{PERSON_A}",
                       f"Person:{PERSON_B}", f"Code:{CODE}", f"Code:{SCRIPT_CODE}"}
    assert graph.graph["aggregation_level"] == 0 and "未合并" in graph.graph["aggregation"]


def test_the_files_are_written(files):
    assert [path.name for path in files] == ["case.graphml", "case.gexf", "nodes.csv", "edges.csv"]
    assert all(path.stat().st_size > 0 for path in files)
    assert not list(files[0].parent.glob(".*partial"))


def test_graphml_reads_back_the_same_graph(graph, files):
    back = nx.read_graphml(files[0])
    assert isinstance(back, nx.MultiDiGraph)
    assert set(back.nodes) == {xml_safe(node) for node in graph.nodes}
    assert set(back.edges(keys=True)) == {(xml_safe(u), xml_safe(v), k) for u, v, k in graph.edges(keys=True)}
    for node, data in graph.nodes(data=True):
        mine = back.nodes[xml_safe(node)]
        assert (mine["type"], mine["label"], mine["in_case"]) == (data["type"], xml_safe(data["label"]), data["in_case"])
    assert back.nodes[f"Institution:{PHARMACY}"]["label"] == PHARMACY_NAME  # quotes, newline and Chinese kept
    assert back.nodes[f"Product:{PRODUCT}"]["label"] == PRODUCT_NAME  # the tab kept
    assert back.nodes["Lead:LEAD-1"]["score"] == 0.93
    sale = back.edges[f"Institution:{PHARMACY}", f"Code:{CODE}", "E03"]
    assert (sale["type"], sale["time"], sale["amount"], sale["count"]) == ("sale", "2025-06-05T15:00:00", 23.5, 1)
    assert back.graph["case_id"] == "CASE-20261204-0a1b2c" and "未合并" in back.graph["aggregation"]


def test_gexf_reads_back_the_same_graph_on_a_timeline(graph, files):
    back = nx.read_gexf(files[1])
    assert back.graph["mode"] == "dynamic"
    assert set(back.nodes) == {xml_safe(node) for node in graph.nodes}
    assert set(back.edges(keys=True)) == {(xml_safe(u), xml_safe(v), k) for u, v, k in graph.edges(keys=True)}
    for node, data in graph.nodes(data=True):
        mine = back.nodes[xml_safe(node)]
        assert (mine["type"], mine["label"], mine["key_"]) == (data["type"], xml_safe(data["label"]),
                                                              xml_safe(data["key"]))
    for u, v, k, data in graph.edges(keys=True, data=True):
        mine = back.edges[xml_safe(u), xml_safe(v), k]
        assert mine["label"] == mine["type_"] == data["type"]
    sale = back.edges[f"Institution:{HOSPITAL}", f"Code:{CODE}", "E02"]
    assert (sale["start"], sale["time"], sale["weight"], sale["person"]) == (
        "2025-06-02T10:00:00", "2025-06-02T10:00:00", 1.0, PERSON_A)
    assert back.nodes[f"Institution:{HOSPITAL}"]["label"] == HOSPITAL_NAME
    assert "case CASE-20261204-0a1b2c" in files[1].read_text(encoding="utf-8")  # the description in the header


def test_characters_xml_cannot_hold_are_replaced(graph, files):
    assert f"Code:{CONTROL_CODE}" in graph  # the graph keeps the code as given
    for path in files[:2]:
        text = path.read_text(encoding="utf-8")
        assert "\x07" not in text and "\x00" not in text and "\x01" not in text
    back = nx.read_graphml(files[0])
    assert f"Code:{xml_safe(CONTROL_CODE)}" in back
    assert back.nodes["Lead:LEAD-1"]["explanation_en"] == "resold\ufffd by a pharmacy"


def read_csv(path):
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_csv_files_have_a_bom_and_no_cell_a_spreadsheet_would_run(graph, files):
    nodes, edges = read_csv(files[2]), read_csv(files[3])
    assert list(nodes[0])[:4] == ["id", "type", "key", "label"]
    assert list(edges[0])[:4] == ["source", "target", "key", "type"]
    assert len(nodes) == graph.number_of_nodes() and len(edges) == graph.number_of_edges()
    for row in nodes + edges:
        for value in row.values():
            assert not value or is_number(value) or not value.startswith(FORMULA_START), value
    labels = {row["id"]: row["label"] for row in nodes}
    assert labels[f"Institution:{HOSPITAL}"] == "'" + HOSPITAL_NAME
    assert labels[f"Product:{PRODUCT}"] == "'" + PRODUCT_NAME
    assert labels[f"Institution:{PHARMACY}"] == PHARMACY_NAME  # quotes and the newline survive CSV quoting
    assert labels[f"Code:{SCRIPT_CODE}"] == SCRIPT_CODE
    sale = next(row for row in edges if row["key"] == "E03")
    assert (sale["source"], sale["type"], sale["time"], sale["amount"]) == (
        f"Institution:{PHARMACY}", "sale", "2025-06-05T15:00:00", "23.5")


def test_one_list_of_formula_starts_for_csv_and_xlsx():
    for first in FORMULA_START:
        assert spreadsheet_safe(first + "1") == safe_text(first + "1") == "'" + first + "1"
    assert spreadsheet_safe("＠SUM(A1)") == "'＠SUM(A1)" and spreadsheet_safe("普通") == "普通"


def test_export_subgraph_survives_control_characters(tmp_path):
    ring = nx.MultiDiGraph()
    ring.add_node("Institution:H\x01", label="Institution", key="H\x01", caption="=医院\x02")
    ring.add_edge("Institution:H\x01", "Patient:PSN-1", key="FLOW", codes=3, share=0.5)
    ring.add_edge("Patient:PSN-1", "Institution:H\x01", key="FLOW", codes=2.5)
    paths = export_subgraph(ring, tmp_path, "ring")
    back = nx.read_graphml(paths[0])
    assert back.nodes["Institution:H\ufffd"]["caption"] == "=医院\ufffd"
    assert sorted(d["codes"] for *_, d in back.edges(data=True)) == [2.5, 3.0]  # one type per attribute
    assert "'=医院" in paths[1].read_text(encoding="utf-8-sig")


def counts(graph, types, events=False):
    """The edges' ``count`` (``events``: their ``events``) summed over some types."""
    return sum(d["events" if events else "count"] for *_, d in graph.edges(data=True) if d["type"] in types)


def test_past_the_cap_edges_merge_per_code_and_the_counts_add_up():
    evidence = ring_evidence()
    events = evidence.events.num_rows
    graph = case_graph(evidence, max_event_edges=3500)
    assert graph.graph["aggregation_level"] == 1 and graph.graph["event_edges"] == 3900
    assert "合并" in graph.graph["aggregation"] and "merged per (institution, trace code" in graph.graph["aggregation"]
    assert counts(graph, {"purchase", "sale"}) == events == 2100
    assert counts(graph, {"SOLD_TO"}) == 1800 and counts(graph, {"SOLD_TO"}, events=True) == 0
    assert counts(graph, {"purchase", "sale"}, events=True) == events
    merged = graph.edges["Institution:P50011600000", f"Code:8{0:019d}", "sale"]
    assert merged["count"] == 2 and merged["amount"] == 20.0 and merged["persons"] == 2
    assert merged["first_time"] < merged["last_time"]


def test_far_past_the_cap_other_codes_merge_along_their_flow_and_the_case_codes_stay(tmp_path):
    evidence = ring_evidence()
    graph = case_graph(evidence)
    assert graph.graph["aggregation_level"] == 2 and "along each code's flow" in graph.graph["aggregation"]
    assert counts(graph, {"purchase", "sale", "SOLD_TO"}, events=True) == evidence.events.num_rows
    codes = {d["key"] for _, d in graph.nodes(data=True) if d["type"] == "Code"}
    assert codes == {f"8{k:019d}" for k in range(0, 300, 3)}  # the ring's own codes, per code
    per_code = [(u, d) for u, _, _, d in edges_of(graph, "SOLD_TO") if u.startswith("Code:")]
    assert {u for u, _ in per_code} == {f"Code:{code}" for code in codes}
    assert sum(d["count"] for _, d in per_code) == 100 * 6
    flows = [d for u, _, _, d in edges_of(graph, "SOLD_TO") if u.startswith("Institution:")]
    assert sum(d["count"] for d in flows) == 200 * 6  # the other codes' sales, institution → person
    assert sum(d["count"] for *_, d in edges_of(graph, "REAPPEARED_AT")) == 200 * 5
    assert graph.number_of_edges() < 2000
    started = time.monotonic()
    paths = write_graph_files(graph, tmp_path)
    back = nx.read_gexf(paths[1])
    assert back.number_of_edges() == graph.number_of_edges()
    assert time.monotonic() - started < 10


def test_when_the_rings_codes_are_too_many_only_the_codes_the_case_names_stay():
    evidence = ring_evidence()
    graph = case_graph(evidence, max_event_edges=500)
    assert graph.graph["aggregation_level"] == 2 and "own 1 codes" in graph.graph["aggregation"]
    assert counts(graph, {"purchase", "sale", "SOLD_TO"}, events=True) == evidence.events.num_rows
    per_code = {v for u, v, d in graph.edges(data=True) if d["type"] == "sale" and v.startswith("Code:")}
    assert per_code == {f"Code:8{0:019d}"}  # the lead's code
    assert sum(d["count"] for u, _, _, d in edges_of(graph, "SOLD_TO") if u.startswith("Code:")) == 6
    assert sum(1 for *_, d in graph.edges(data=True) if "events" in d) <= 500


def test_past_the_flow_other_codes_merge_per_product():
    evidence = ring_evidence()
    graph = case_graph(evidence, max_event_edges=100)
    assert graph.graph["aggregation_level"] == 3 and "institution, product, event type" in graph.graph["aggregation"]
    assert counts(graph, {"purchase", "sale"}) == counts(graph, {"purchase", "sale"}, events=True) == 2100
    products = {v for _, v, d in graph.edges(data=True) if d["type"] == "sale" and v.startswith("Product:")}
    assert len(products) == 7 and counts(graph, {"SOLD_TO"}) == 6  # only the lead's code keeps its persons
    assert not edges_of(graph, "REAPPEARED_AT") and sum(1 for *_, d in graph.edges(data=True) if "events" in d) <= 100

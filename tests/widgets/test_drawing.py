"""What the graph widget draws, decided in Python: styles from the schema, events folded into counted edges
(with their times), institutions grouped by region, the nearest nodes kept beyond the hard limit, positions
for big graphs (1,000 and 5,000 nodes prepared in well under a second each), an app's own graphs."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import networkx as nx

from workbench.graph.schema import schema
from workbench.graph.store import node_id, subgraph
from workbench.widgets.aggregate import fold_events, group_regions, nearest
from workbench.widgets.drawing import DRAW_LIMIT, EDGE_LABELS_MAX, PHYSICS_MAX, draw, status_line

START = datetime(2025, 6, 1, 9)


def district(codes: int, pharmacies: int = 20, regions: int = 4, sales_per_code: int = 3) -> nx.MultiDiGraph:
    """Codes each sold ``sales_per_code`` times, a day apart, at pharmacies spread over regions, to persons."""
    nodes, links = [], []
    for p in range(pharmacies):
        nodes.append(("Institution", f"P{p:03d}", {"name": f"药房{p}", "type": "pharmacy", "region": f"5001{p % regions:02d}"}))
    for c in range(codes):
        code = f"8123456{c:013d}"
        nodes.append(("Code", code, {"scheme": "nmpa20"}))
        for s in range(sales_per_code):
            event, person = f"e{c}-{s}", f"PSN-{c}-{s}"
            nodes += [("Event", event, {"event_type": "sale", "event_time": START + timedelta(days=s, hours=c % 5)}),
                      ("Patient", person, {})]
            links += [(node_id("Event", event), node_id("Code", code), "OF_CODE", {}),
                      (node_id("Event", event), node_id("Institution", f"P{(c + s) % pharmacies:03d}"), "AT", {}),
                      (node_id("Event", event), node_id("Patient", person), "TO_PATIENT", {})]
    return subgraph(nodes, links)


def test_small_graphs_are_styled_from_the_schema_and_settle_by_physics():
    graph = district(codes=2, pharmacies=2)
    drawn = draw(graph)
    assert drawn.physics and not drawn.folded and len(drawn.nodes) == len(graph)
    code = next(n for n in drawn.nodes if n["id"].startswith("Code:"))
    declared = schema().label("Code")
    assert (code["color"], code["shape"]) == (declared.colour, declared.shape) and "x" not in code
    assert {e["label"] for e in drawn.edges} == {"扫码", "发生机构", "售予参保人"}
    assert "追溯码 trace code" in drawn.legend and "<b>2</b>" in drawn.legend
    assert drawn.timeline == {"start": "2025-06-01", "days": 3, "counts": [2, 2, 2]}
    assert sorted(n["t"] for n in drawn.nodes if "t" in n) == [0, 0, 1, 1, 2, 2]


def test_events_fold_into_counted_edges_with_their_times():
    graph = district(codes=1, pharmacies=1, sales_per_code=3)
    folded, events = fold_events(graph)
    assert events == 3 and not any(label == "Event" for _, label in folded.nodes(data="label"))
    code, pharmacy = node_id("Code", "81234560000000000000"), node_id("Institution", "P000")
    at = folded.get_edge_data(code, pharmacy, "AT:sale")
    assert at["count"] == 3 and at["times"] == sorted(at["times"]) and len(at["times"]) == 3
    assert sum(1 for _, _, key in folded.edges(keys=True) if key == "TO_PATIENT:sale") == 3
    drawn = draw(graph, max_drawn=3)
    edge = next(e for e in drawn.edges if e["id"] == f"{code}|AT:sale|{pharmacy}")
    assert (edge["label"], edge["n"], edge["ts"], edge["unit"]) == ("销售 ×3", 3, [0, 1, 2], "销售")
    assert drawn.timeline["counts"] == [1, 1, 1], "the time bar counts the folded events"


def test_an_event_keeps_its_product_only_when_its_code_does_not_point_to_it():
    nodes = [("Code", "C", {}), ("Product", "X", {}), ("Product", "Y", {}), ("Event", "e", {"event_type": "sale"})]
    links = [("Code:C", "Product:X", "OF_PRODUCT", {}), ("Event:e", "Code:C", "OF_CODE", {})]
    folded, _ = fold_events(subgraph(nodes, [*links, ("Event:e", "Product:X", "OF_PRODUCT", {})]))
    assert sorted(folded.edges(keys=True)) == [("Code:C", "Product:X", "OF_PRODUCT")]
    folded, _ = fold_events(subgraph(nodes, [*links, ("Event:e", "Product:Y", "OF_PRODUCT", {})]))
    assert ("Code:C", "Product:Y", "OF_PRODUCT:sale") in set(folded.edges(keys=True)), "settled as another product"


def test_institutions_group_by_region_with_their_counts_added():
    folded, _ = fold_events(district(codes=40, pharmacies=8, regions=2))
    grouped, institutions, groups = group_regions(folded, keep=["Institution:P000"])
    assert (institutions, groups) == (7, 2)
    members = grouped.nodes["Group:500100"]["members"]
    assert members == ["Institution:P002", "Institution:P004", "Institution:P006"] and "Institution:P000" in grouped
    sales = sum(d["count"] for _, end, key, d in folded.edges(keys=True, data=True) if end in members and key == "AT:sale")
    assert sum(d["count"] for _, end, d in grouped.edges(data=True) if end == "Group:500100") == sales
    assert sum(len(d["times"]) for _, end, d in grouped.edges(data=True) if end == "Group:500100") == sales


def test_a_region_with_one_institution_is_not_grouped():
    graph = subgraph([("Institution", "A", {"region": "1"}), ("Institution", "B", {"region": "2"})], [])
    assert group_regions(graph) == (graph, 0, 0) or set(group_regions(graph)[0]) == set(graph)


def test_beyond_the_hard_limit_the_nodes_nearest_the_focus_are_kept():
    graph = nx.MultiDiGraph(nx.path_graph(50))
    kept = nearest(graph, [10], 5)
    assert set(kept) == {8, 9, 10, 11, 12}
    big = subgraph([("Patient", f"PSN-{n}", {}) for n in range(DRAW_LIMIT + 10)], [])
    drawn = draw(big, focus="Patient:PSN-3")
    assert len(drawn.nodes) == DRAW_LIMIT and drawn.folded["left_out"] == 10
    assert "Patient:PSN-3" in {n["id"] for n in drawn.nodes} and "10 more nodes not drawn" in drawn.status


def test_big_graphs_get_positions_and_no_physics_quickly():
    for codes, pharmacies, most in ((137, 40, 1.0), (708, 44, 3.0)):  # 1,000 and 5,000 nodes
        graph = district(codes=codes, pharmacies=pharmacies, regions=20)
        started = time.perf_counter()
        drawn = draw(graph, max_drawn=len(graph))  # nothing folded: every node drawn
        seconds = time.perf_counter() - started
        assert not drawn.physics and all("x" in n and "y" in n for n in drawn.nodes)
        assert len({(n["x"], n["y"]) for n in drawn.nodes}) > 0.9 * len(drawn.nodes), "nodes spread out"
        assert len(drawn.nodes) == len(graph) and seconds < most, (len(graph), seconds)
        assert "layout precomputed" in drawn.status and len(drawn.edges) > EDGE_LABELS_MAX
        assert not any("label" in e for e in drawn.edges) and "edge captions in tooltips" in drawn.status


def test_the_default_threshold_folds_a_big_neighbourhood():
    graph = district(codes=300, pharmacies=60, regions=6)
    drawn = draw(graph, max_drawn=400)
    assert drawn.folded["events"] == 900 and drawn.folded["institutions"] == 60 and drawn.folded["groups"] == 6
    assert drawn.folded["leaves"] == 900 and drawn.folded["leaf_groups"] == 300, "each code's three buyers"
    assert len(drawn.nodes) == 300 + 6 + 300 and len(drawn.nodes) > PHYSICS_MAX and not drawn.physics
    buyers = drawn.groups[f"Group:Patient@{node_id('Code', '81234560000000000000')}"]
    assert buyers["of"] == "Patient" and len(buyers["members"]) == 3
    shown = next(n for n in drawn.nodes if n["id"] == f"Group:Patient@{node_id('Code', '81234560000000000000')}")
    assert shown["label"] == "3 个参保人" and shown["shape"] == schema().label("Patient").shape


def test_an_apps_own_graph_keeps_its_positions_captions_and_widths():
    graph = nx.MultiDiGraph()
    graph.add_node("Institution:H1", label="Institution", key="H1", caption="某医院", x=0, y=0)
    graph.add_node("Patient:PSN-1", label="Patient", key="PSN-1", caption="PSN-1", x=300, y=40)
    graph.add_edge("Institution:H1", "Patient:PSN-1", key="FLOW", type="FLOW", caption="2 盒 医疗机构售出", width=4,
                   title="<b>2</b> boxes")
    drawn = draw(graph)
    assert not drawn.physics and [(n["x"], n["y"]) for n in drawn.nodes] == [(0, 0), (300, 40)]
    [edge] = drawn.edges
    assert (edge["label"], edge["width"], edge["title"]) == ("2 盒 医疗机构售出", 4, "<b>2</b> boxes")
    other = nx.MultiDiGraph()
    other.add_node("Thing:1", label="Thing", key="1")
    assert draw(other).nodes[0]["color"] == "#7f7f7f"


def test_the_status_line_says_what_was_aggregated():
    line = status_line(300, 500, 400, {"events": 900, "counted_edges": 420, "institutions": 60, "groups": 6}, False, True)
    assert line.startswith("节点 300 · 边 500 / 300 nodes, 500 edges")
    assert "900 个事件并为 420 条计数边" in line and "60 家机构按 6 个地区分组" in line and "layout precomputed" in line

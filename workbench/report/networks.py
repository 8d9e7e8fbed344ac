"""The rings' and clusters' graphs for the report, as vis-network data built through pyvis like the leads'
subgraphs, laid out in fixed columns so a flow reads from left to right:

- a reflux ring (``Analysis.ring_flow``): dispensing institutions → insured persons → first resellers →
  onward stores; an edge's width grows with the boxes that took it, its tooltip gives the boxes, the
  amount and the kind of hop;
- a counterfeit cluster (``Analysis.cluster_graph``): outlets, grouped and coloured by region, joined to
  the codes they sold copies of.

Only what the analysis gives is drawn (institution names, when known, label the nodes). Nodes keep the
schema's shapes; a graph past ``MAX_NETWORK_NODES`` keeps the nodes that carried the most.

>>> edge_width(1, 10), edge_width(10, 10), edge_width(1, 1), edge_width(3, 3)
(1.0, 8.0, 2.0, 6.0)
>>> region_colours(["510104", "500116", "510104"])
{'500116': '#aec7e8', '510104': '#ffbb78'}
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import networkx as nx

from workbench.graph.schema import schema
from workbench.report.pyvis_render import GRAPH_HEIGHT, shorten, vis_options
from workbench.report_text import FLOW_VIAS
from workbench.screens.privacy import short_pseudonym

if TYPE_CHECKING:
    from workbench.analytics.community import Community
    from workbench.analytics.run import Analysis

#: Rings and clusters drawn (strongest first); brokers listed.
MAX_COMMUNITIES, TOP_BROKERS = 20, 15
#: At most this many nodes per ring's or cluster's graph.
MAX_NETWORK_NODES = 80
#: A ring's columns, left to right.
RING_STEPS = (("医疗机构", "dispensing institutions"), ("参保人", "insured persons"),
              ("首个转售机构", "first resellers"), ("其后机构", "onward"))
COLUMN_GAP, ROW_GAP = 320, 72
#: A graph's height on the page: room for its tallest column, within bounds (pixels).
MIN_HEIGHT, MAX_HEIGHT, ROW_HEIGHT = 320, 900, 60
#: Fills for a cluster's regions (the outlets keep the schema's institution shape and border).
REGION_COLOURS = ("#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#dbdb8d",
                  "#9edae5", "#c7c7c7")
NAME_CHARS = 12


@dataclass(frozen=True)
class CommunityGraph:
    """A ring or cluster (its ``communities.csv`` row), its drawing and how much of it is drawn."""

    row: Mapping
    community: Community
    data: dict
    nodes_shown: int
    nodes_total: int
    height: int
    regions: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class NetworkPart:
    """What the report's rings-and-networks part shows: the drawn communities, the top brokers, the totals,
    the institutions' names and where the rest is listed."""

    graphs: list[CommunityGraph]
    kinds: Counter
    brokers: list[dict]
    brokers_total: int
    names: Mapping[str, str]
    more_in: str = "communities.csv"

    @property
    def total(self) -> int:
        return sum(self.kinds.values())


def network_part(analysis: Analysis, names: Mapping[str, str], more_in: str = "communities.csv",
                 limit: int = MAX_COMMUNITIES, max_nodes: int = MAX_NETWORK_NODES) -> NetworkPart:
    """The strongest ``limit`` communities drawn, and the top brokers, from an analysis."""
    graphs = [community_graph(analysis, row, names, max_nodes) for row in analysis.community_rows()[:limit]]
    return NetworkPart(graphs, Counter(c.kind for c in analysis.communities), analysis.brokers[:TOP_BROKERS],
                       len(analysis.brokers), names, more_in)


def community_graph(analysis: Analysis, row: Mapping, names: Mapping[str, str],
                    max_nodes: int = MAX_NETWORK_NODES) -> CommunityGraph:
    """One community's drawing: a ring's flow, or a cluster's outlets and codes."""
    community = analysis.community(row["community_id"])
    if community.kind == "reflux_ring":
        graph = analysis.ring_flow(community.community_id)
        kept = capped(graph, "codes", max_nodes)
        tallest = max(Counter(ring_column(kept, node) for node in kept).values(), default=0)
        return CommunityGraph(row, community, ring_data(kept, names), len(kept), len(graph), height(tallest))
    graph = analysis.cluster_graph(community.community_id)
    kept = capped(graph, "sales", max_nodes)
    regions = region_colours(region for _, region in kept.nodes(data="region") if region)
    tallest = max(Counter(label for _, label in kept.nodes(data="label")).values(), default=0) + len(regions) // 2
    return CommunityGraph(row, community, cluster_data(kept, names, regions), len(kept), len(graph),
                          height(tallest), regions)


def capped(graph: nx.Graph, weight: str, max_nodes: int) -> nx.Graph:
    """The graph, or its ``max_nodes`` nodes that carried the most (``weight`` summed over their edges)."""
    if len(graph) <= max_nodes:
        return graph
    carried = dict(graph.degree(weight=weight))
    kept = sorted(graph, key=lambda node: (-carried[node], node))[:max_nodes]
    return graph.subgraph(kept).copy()


def ring_data(graph: nx.DiGraph, names: Mapping[str, str]) -> dict:
    """A ring's flow in columns: who dispensed, who got the boxes, who sold them again, where they went."""
    from pyvis.network import Network

    columns = {node: ring_column(graph, node) for node in graph}
    rows = ordered_rows(graph, columns)
    boxes = {node: max(graph.in_degree(node, weight="codes"), graph.out_degree(node, weight="codes")) for node in graph}
    most = max((codes for _, _, codes in graph.edges(data="codes")), default=1)
    net = Network(height=GRAPH_HEIGHT, width="100%", directed=True)
    for node in sorted(graph):
        data, step = graph.nodes[node], RING_STEPS[columns[node]]
        title = f"{step[0]} {step[1]}\n{entity_title(data, names)}\n经手 boxes: {boxes[node]}"
        _add_node(net, node, data, names, title, boxes[node], columns[node] * COLUMN_GAP, rows[node])
    for start, end, data in sorted(graph.edges(data=True), key=lambda e: e[:2]):
        net.add_edge(start, end, width=edge_width(data["codes"], most), label=str(data["codes"]),
                     title=flow_title(data))
    return _finished(net, directed=True)


def cluster_data(graph: nx.Graph, names: Mapping[str, str], regions: Mapping[str, str]) -> dict:
    """A cluster's outlets (by region, coloured by region) joined to the codes they sold copies of."""
    from pyvis.network import Network

    outlets = sorted((n for n, label in graph.nodes(data="label") if label == "Institution"),
                     key=lambda n: (graph.nodes[n].get("region") or "", n))
    rows = _region_rows(graph, outlets)
    codes = sorted((n for n in graph if n not in rows), key=lambda n: (_centre(graph.neighbors(n), rows), n))
    rows |= _spread(codes)
    sales = dict(graph.degree(weight="sales"))
    most = max((count for _, _, count in graph.edges(data="sales")), default=1)
    net = Network(height=GRAPH_HEIGHT, width="100%")
    for node in [*outlets, *codes]:
        data = graph.nodes[node]
        title = f"{entity_title(data, names)}\n复制品销售 copy sales: {sales[node]}"
        colour = regions.get(data.get("region") or "") if data["label"] == "Institution" else None
        _add_node(net, node, data, names, title, sales[node], 0 if node in outlets else COLUMN_GAP * 1.6,
                  rows[node], colour)
    for outlet in outlets:
        for code in sorted(graph.neighbors(outlet)):
            edge = graph.edges[outlet, code]
            net.add_edge(outlet, code, width=edge_width(edge["sales"], most), title=sale_title(edge))
    return _finished(net, directed=False)


def ring_column(graph: nx.DiGraph, node: str) -> int:
    """0 a dispensing institution, 1 a person, 2 a first reseller, 3 a store reached by an onward hop."""
    if graph.nodes[node]["label"] == "Patient":
        return 1
    outgoing = {via for _, _, vias in graph.out_edges(node, data="via") for via in vias.split("|")}
    incoming = {via for _, _, vias in graph.in_edges(node, data="via") for via in vias.split("|")}
    if "dispensed" in outgoing or not incoming:
        return 0
    return 2 if "reflux" in incoming else 3


def ordered_rows(graph: nx.DiGraph, columns: Mapping[str, int]) -> dict[str, float]:
    """Each node's height in its column: persons and stores next to where their boxes came from, then the
    dispensing institutions next to the persons they dispensed to."""
    by_column = [sorted(n for n in graph if columns[n] == k) for k in range(len(RING_STEPS))]
    rows = _spread(by_column[0])
    for column in by_column[1:]:
        rows |= _spread(sorted(column, key=lambda n: (_centre(graph.predecessors(n), rows), n)))
    rows |= _spread(sorted(by_column[0], key=lambda n: (_centre(graph.successors(n), rows), n)))
    return rows


def region_colours(regions) -> dict[str, str]:
    """A fill per region, in region order."""
    return {region: REGION_COLOURS[k % len(REGION_COLOURS)] for k, region in enumerate(sorted(set(regions)))}


def edge_width(count: int, most: int) -> float:
    """In proportion to the boxes (or sales) an edge stands for: the most 8 pixels wide, one at most 2,
    none under 1."""
    return round(max(1.0, min(2.0, 8 / max(most, 1)) * count), 2)


def height(rows: int) -> int:
    """Pixels for a graph whose tallest column holds ``rows`` nodes."""
    return max(MIN_HEIGHT, min(MAX_HEIGHT, 80 + ROW_HEIGHT * rows))


def flow_title(edge: Mapping) -> str:
    """A flow edge's tooltip: the kind of hop, boxes, amount, the codes."""
    vias = " / ".join(f"{FLOW_VIAS.get(via, via)} {via}" for via in edge["via"].split("|"))
    return (f"{vias}\n{edge['codes']} 盒 boxes · 金额 amount {edge['amount']:,.2f} 元\n"
            f"追溯码 codes: {listed(edge['trace_codes'], 3)}")


def listed(items: list[str], limit: int) -> str:
    """Up to ``limit`` items, then how many more.

    >>> listed(["a", "b", "c"], 2)
    'a, b +1'
    """
    return ", ".join(items[:limit]) + (f" +{len(items) - limit}" if len(items) > limit else "")


def sale_title(edge: Mapping) -> str:
    """An outlet–code edge's tooltip: how many copy sales, when."""
    first, last = (f"{edge[name]:%Y-%m-%d %H:%M}" for name in ("first_time", "last_time"))
    return f"复制品销售 copy sales: {edge['sales']} · {first}" + (f" – {last}" if last != first else "")


def entity_title(data: Mapping, names: Mapping[str, str]) -> str:
    """What a node is, in full: its label's caption and key, an institution's name and region, a code's
    product."""
    label = schema().label(data["label"])
    lines = [f"{label.caption_zh} {label.caption_en}: {data['key']}"]
    if data["label"] == "Institution" and names.get(data["key"]):
        lines.append(f"名称 name: {names[data['key']]}")
    if data.get("region"):
        lines.append(f"行政区划 region: {data['region']}")
    if data.get("product"):
        lines.append(f"医保药品编码 product: {data['product']}")
    return "\n".join(lines)


def node_caption(data: Mapping, names: Mapping[str, str]) -> str:
    """An institution its short name over its code, a person the short pseudonym, a code in full."""
    key = data["key"]
    if data["label"] == "Patient":
        return short_pseudonym(key)
    name = names.get(key) if data["label"] == "Institution" else None
    return f"{shorten(name, NAME_CHARS)}\n{key}" if name and name != key else key


def _add_node(net, node: str, data: Mapping, names: Mapping[str, str], title: str, carried: int, x: float,
              y: float, fill: str | None = None) -> None:
    label = schema().label(data["label"])
    colour = {"background": fill, "border": label.colour} if fill else label.colour
    net.add_node(node, label=node_caption(data, names), title=title, color=colour, shape=label.shape,
                 size=round(10 + min(16.0, 2 * math.sqrt(carried)), 1), x=round(x, 1), y=round(y, 1),
                 borderWidth=3 if fill else 1)


def _finished(net, directed: bool) -> dict:
    """``{"nodes", "edges", "options"}``: nodes where they were placed, no physics."""
    options = vis_options()
    options["physics"] = {"enabled": False}
    options["edges"]["smooth"] = {"type": "cubicBezier", "forceDirection": "horizontal", "roundness": 0.4}
    if not directed:
        options["edges"]["arrows"] = {"to": {"enabled": False}}
    net.options = options
    nodes, edges, *_ = net.get_network_data()
    return {"nodes": nodes, "edges": [{k: v for k, v in e.items() if v is not None} for e in edges],
            "options": options}


def _centre(neighbours, rows: Mapping[str, float]) -> float:
    """The mean height of the neighbours already placed (0 when none)."""
    placed = [rows[n] for n in neighbours if n in rows]
    return sum(placed) / len(placed) if placed else 0.0


def _spread(nodes: list[str]) -> dict[str, float]:
    """Heights ``ROW_GAP`` apart, centred on 0."""
    return {node: (k - (len(nodes) - 1) / 2) * ROW_GAP for k, node in enumerate(nodes)}


def _region_rows(graph: nx.Graph, outlets: list[str]) -> dict[str, float]:
    """Outlets' heights, a region's outlets together, half a row between regions."""
    rows, y, previous = {}, 0.0, None
    for outlet in outlets:
        region = graph.nodes[outlet].get("region")
        y += ROW_GAP * (1.5 if previous is not None and region != previous else 1) if rows else 0
        rows[outlet], previous = y, region
    return {node: height - y / 2 for node, height in rows.items()}

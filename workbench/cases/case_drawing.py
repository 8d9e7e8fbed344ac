"""The case graph as the HTML view draws it (vis-network, inlined by the page): each node type in the
schema's colour and shape (the case itself as a dark hexagon), the case's own items drawn larger, parallel
edges of one type folded into one with their count, event edges labelled with their type in Chinese, and
at most ``MAX_DRAWN_NODES`` nodes: the case and its items, then the nodes nearest them (the files hold the
whole graph).

>>> import networkx as nx
>>> g = nx.MultiDiGraph()
>>> g.add_node("Institution:H1", type="Institution", key="H1", label="医院", in_case=True)
>>> g.add_node("Code:C1", type="Code", key="C1", label="C1", in_case=False)
>>> for k in range(3):
...     _ = g.add_edge("Institution:H1", "Code:C1", key=f"e{k}", type="sale", time="2025-06-01T09:30:00", count=1)
>>> drawn = drawing(g)
>>> [(e["label"], e["width"]) for e in drawn.data["edges"]], drawn.shown, drawn.total
([('销售 ×3', 2.4)], 2, 2)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from html import escape

import networkx as nx

from workbench.cases.subgraph import NODE_TYPES, edge_name
from workbench.graph.schema import schema
from workbench.report.legend import shape_svg
from workbench.report.pyvis_render import shorten, vis_options

#: Nodes drawn at most (the package's files hold them all).
MAX_DRAWN_NODES = 300
#: Node type → the schema label it is drawn as (``Case`` has its own style).
SCHEMA_LABELS = {"Lead": "Lead", "Community": "Community", "Code": "Code", "Institution": "Institution",
                 "Person": "Patient", "Product": "Product"}
CASE_STYLE = ("#393b79", "hexagon")
#: Which nodes are drawn first when there are too many (lower first).
DRAW_ORDER = {"Case": 0, "Community": 1, "Institution": 1, "Lead": 2, "Code": 3, "Person": 4, "Product": 5}
#: Edge colours by type (event edges grey).
EDGE_COLOURS = {"HOLDS": "#393b79", "FLAGS": "#ff7f0e", "MEMBER_OF": "#e377c2", "SOLD_TO": "#9467bd",
                "RETURNED_BY": "#8c564b", "REAPPEARED_AT": "#d62728", "TRANSFER": "#2ca02c"}
#: Tooltip lines: attribute → its Chinese and English name.
TOOLTIP = {"first_time": "首次 first", "last_time": "末次 last", "institution_type": "机构类型 type",
           "region_code": "行政区划 region", "scenario": "场景 scenario", "score": "可疑度 score",
           "status_zh": "状态 status", "amount": "金额 amount", "event_count": "事件 events",
           "code_count": "码数 codes"}


@dataclass(frozen=True)
class Drawing:
    """vis-network's ``nodes``, ``edges`` and ``options`` in ``data``; nodes drawn and in the graph."""

    data: dict
    shown: int
    total: int


def style(type_: str) -> tuple[str, str]:
    """A node type's colour and shape.

    >>> style("Person"), style("Case")
    (('#9467bd', 'triangle'), ('#393b79', 'hexagon'))
    """
    if type_ not in SCHEMA_LABELS:
        return CASE_STYLE
    label = schema().label(SCHEMA_LABELS[type_])
    return label.colour, label.shape


def drawing(graph: nx.MultiDiGraph, max_nodes: int = MAX_DRAWN_NODES) -> Drawing:
    """What the page draws of ``graph``."""
    kept = drawn_nodes(graph, max_nodes)
    nodes = [_node(node, graph.nodes[node]) for node in sorted(kept)]
    folded: dict[tuple[str, str, str], list[Mapping]] = {}
    for start, end, data in graph.edges(data=True):
        if start in kept and end in kept:
            folded.setdefault((start, end, str(data.get("type", ""))), []).append(data)
    edges = [_edge(start, end, type_, group) for (start, end, type_), group in sorted(folded.items())]
    options = vis_options()
    if len(nodes) > 120:
        options["physics"]["stabilization"]["iterations"] = 150
    return Drawing({"nodes": nodes, "edges": edges, "options": options}, len(nodes), graph.number_of_nodes())


def drawn_nodes(graph: nx.MultiDiGraph, max_nodes: int) -> set[str]:
    """The case and its own items always; then the others nearest the case first (steps along edges of
    either direction), in ``DRAW_ORDER`` at each distance, most connected first; codes without events of
    their own (merged into the codes' flow) after all the others."""
    roots = [node for node, data in graph.nodes(data=True) if data.get("type") == "Case"]
    distance = nx.multi_source_dijkstra_path_length(graph.to_undirected(as_view=True), roots) if roots else {}
    with_events = {node for start, end, data in graph.edges(data=True) if "events" in data for node in (start, end)}

    def rank(node: str) -> tuple:
        data = graph.nodes[node]
        bare = data.get("type") == "Code" and node not in with_events
        return (not data.get("in_case"), bare, distance.get(node, len(graph)),
                DRAW_ORDER.get(str(data.get("type")), 6), -graph.degree(node), node)

    ordered = sorted(graph.nodes, key=rank)
    own = [node for node in ordered if graph.nodes[node].get("in_case")]
    return set(own) | set(ordered[: max(max_nodes, len(own))])


def legend(graph: nx.MultiDiGraph) -> str:
    """The node types in ``graph``: shape in colour, Chinese and English name."""
    present = {str(data.get("type")) for _, data in graph.nodes(data=True)}
    items = []
    for type_, (zh, en) in NODE_TYPES.items():
        if type_ in present:
            colour, shape = style(type_)
            items.append(f"<li>{shape_svg(shape, colour)}<span>{escape(zh)} {escape(en)}</span></li>")
    return f'<ul class="legend labels">{"".join(items)}</ul>'


def _node(node: str, data: Mapping) -> dict:
    type_ = str(data.get("type", ""))
    colour, shape = style(type_)
    label = str(data.get("label") or data.get("key") or node)
    size = 28 if type_ == "Case" else 22 if data.get("in_case") else 14
    return {"id": node, "label": label if type_ == "Code" else shorten(label, 16), "title": _title(data),
            "color": colour, "shape": shape, "size": size, "borderWidth": 3 if data.get("in_case") else 1}


def _title(data: Mapping) -> str:
    zh, en = NODE_TYPES.get(str(data.get("type")), ("", ""))
    lines = [f"{zh} {en}: {data.get('key', '')}", str(data.get("label", ""))]
    for name, caption in TOOLTIP.items():
        if data.get(name) not in (None, ""):
            value = data[name]
            lines.append(f"{caption}: {value:.2f}" if isinstance(value, float) else f"{caption}: {value}")
    if data.get("in_case"):
        lines.append("案件直接包含 held by the case")
    return "\n".join(lines)


def _edge(start: str, end: str, type_: str, group: list[Mapping]) -> dict:
    zh, en = edge_name(type_)
    count = sum(int(data.get("count") or 1) for data in group)
    times = sorted(str(t) for data in group for t in (data.get("time"), data.get("first_time"), data.get("last_time"))
                   if t)
    title = f"{zh} {en} ×{count}" + (f" · {times[0][:16]} – {times[-1][:16]}".replace("T", " ") if times else "")
    amount = sum(float(data.get("amount") or 0) for data in group)
    if amount:
        title += f" · 金额 amount {amount:,.2f}"
    codes = sum(int(data.get("code_count") or 0) for data in group)
    if codes:
        title += f" · 追溯码 codes {codes}"
    days = [data["median_days"] for data in group if data.get("median_days") is not None]
    if days:
        title += f" · 间隔中位数 median days {days[0]:g}"
    edge = {"from": start, "to": end, "title": title, "width": round(min(1 + (count - 1) ** 0.5, 8), 1),
            "color": EDGE_COLOURS.get(type_, "#9a9a9a")}
    if type_ not in ("HOLDS", "FLAGS", "MEMBER_OF"):
        edge["label"] = zh + (f" ×{count}" if count > 1 else "")
    if type_ in ("HOLDS", "MEMBER_OF"):
        edge["dashes"] = True
    return edge

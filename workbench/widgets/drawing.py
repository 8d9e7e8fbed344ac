"""What the graph widget draws, decided in Python: vis-network nodes and edges styled from the schema
(colour, shape, Chinese captions), the legend, the time bar's events per day, and for big graphs the
aggregation (``aggregate``) and the positions (``layout``). The browser only draws the result.

Thresholds: above ``max_drawn`` nodes events are folded into counted edges, then institutions grouped by
region, then a node's leaves by label; above ``DRAW_LIMIT`` (or ``max_drawn`` if higher) only the nodes nearest the focus are kept.
Above ``PHYSICS_MAX`` nodes positions come from ``radial_layout`` and physics is off; above
``EDGE_LABELS_MAX`` edges, edge captions move to the tooltips.

>>> from workbench.graph.store import subgraph
>>> graph = subgraph([("Code", "C1", {}), ("Event", "e1", {"event_type": "sale",
...                   "event_time": "2025-06-01T09:00:00"})], [("Event:e1", "Code:C1", "OF_CODE", {})])
>>> drawn = draw(graph)
>>> [(n["id"], n["label"]) for n in drawn.nodes], [e["label"] for e in drawn.edges]
([('Code:C1', 'C1'), ('Event:e1', '销售 sale\\n2025-06-01 09:00')], ['扫码'])
>>> drawn.timeline, drawn.nodes[1]["t"]
({'start': '2025-06-01', 'days': 1, 'counts': [1]}, 0)
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from html import escape

import networkx as nx

from workbench.graph.schema import SchemaError, schema
from workbench.report.legend import shape_svg
from workbench.report.pyvis_render import (
    FONT_FAMILY,
    ROLE_NAMES,
    edge_title,
    node_label,
    node_title,
    short_time,
)
from workbench.report_text import EVENT_TYPE_ZH
from workbench.widgets.aggregate import GROUP, fold_events, group_leaves, group_regions, nearest
from workbench.widgets.layout import radial_layout

MAX_DRAWN = 400
DRAW_LIMIT = 5_000
PHYSICS_MAX = 250
EDGE_LABELS_MAX = 600
#: A region group is drawn as a square in the institutions' colour; a node of a label the schema lacks (an app's own) grey.
GROUP_SHAPE = "square"
OTHER_STYLE = ("#7f7f7f", "dot")


@dataclass(frozen=True)
class Drawing:
    """One drawing: vis-network ``nodes`` and ``edges``, whether physics runs, the time bar's
    ``timeline`` (``None`` without timed events), the legend (HTML, escaped), a status line, the groups
    (id → ``of``, ``region`` or ``around``, ``members``) and what was aggregated (``folded``: counts by step)."""

    nodes: list[dict]
    edges: list[dict]
    physics: bool
    timeline: dict | None
    legend: str
    status: str
    groups: dict[str, dict] = field(default_factory=dict)
    folded: dict[str, int] = field(default_factory=dict)

    def message(self, mode: str, window: tuple[datetime | None, datetime | None], focus: str | None) -> dict:
        """The custom message that carries it to the browser (``mode``: ``replace`` or ``merge``)."""
        return {"type": "graph", "mode": mode, "nodes": self.nodes, "edges": self.edges, "options": vis_options(self.physics),
                "physics": self.physics, "timeline": self.timeline, "window": window_dates(window), "legend": self.legend,
                "status": self.status, "focus": focus, "edge_labels": len(self.edges) <= EDGE_LABELS_MAX}


def draw(graph: nx.MultiDiGraph, max_drawn: int = MAX_DRAWN, pinned: Iterable[str] = (), hidden: Iterable[str] = (),
         focus: str | None = None, opened: Iterable[str] = ()) -> Drawing:
    """The drawing of ``graph`` without ``hidden``, aggregated when it has more than ``max_drawn`` nodes
    (``pinned``, ``focus`` and ``opened`` never folded away)."""
    hidden, pinned = set(hidden), set(pinned) & set(graph)
    visible = nx.restricted_view(graph, hidden, []) if hidden else graph
    keep = pinned | ({focus} if focus in graph else set()) | (set(opened) & set(graph))
    timeline = _timeline(visible)
    start = date.fromisoformat(timeline["start"]) if timeline else None
    shown, folded, groups = _reduce(visible, max_drawn, keep)
    given = _given_positions(shown)
    physics = shown.number_of_nodes() <= PHYSICS_MAX and not (given and len(given) == shown.number_of_nodes())
    positions = given
    if not physics and len(given) < shown.number_of_nodes():
        positions = radial_layout(shown, roots=[node for node in (focus, *sorted(pinned)) if node])
    nodes = [_node(node, data, start, positions.get(node), node in pinned, node == focus)
             for node, data in sorted(shown.nodes(data=True))]
    labels = len(shown.edges) <= EDGE_LABELS_MAX
    edges = [_edge(shown, start_node, end, key, data, start, labels)
             for start_node, end, key, data in sorted(shown.edges(keys=True, data=True), key=lambda e: e[:3])]
    drawn = Counter(data["label"] for _, data in shown.nodes(data=True))
    grouped = Counter((data["of"], bool(data.get("region"))) for data in groups.values())
    return Drawing(nodes, edges, physics, timeline, legend_html(drawn, grouped),
                   status_line(len(nodes), len(edges), max_drawn, folded, physics, labels), groups, folded)


def _group_look(data: Mapping) -> tuple[str, str, str, str, float]:
    """A region's institutions as a big square; a node's leaves of one label as a big node of that label."""
    count, of = len(data["members"]), _label(data["of"])
    size = 14 + 3 * math.log2(count)
    if data.get("region"):
        return (of.colour, GROUP_SHAPE, f"地区 {data['region']}\n{count} 家机构",
                f"行政区划 region {data['region']}: {count} 家机构 institutions（双击展开 double-click to draw them）", size)
    return (of.colour, of.shape, f"{count} 个{of.caption_zh}", f"{count} 个{of.caption_zh} {of.caption_en}，"
            f"仅连到 only joined to {data['around']}（双击展开 double-click to draw them）", size)


def _given_positions(graph: nx.MultiDiGraph) -> dict[str, tuple[float, float]]:
    """Positions an app gave its nodes (``x`` and ``y`` attributes)."""
    return {node: (data["x"], data["y"]) for node, data in graph.nodes(data=True)
            if isinstance(data.get("x"), int | float) and isinstance(data.get("y"), int | float)}


def _reduce(graph: nx.MultiDiGraph, max_drawn: int, keep: set[str]) -> tuple[nx.MultiDiGraph, dict, dict]:
    """``graph`` folded step by step until it has at most ``max_drawn`` nodes (or no step is left)."""
    folded: dict[str, int] = {}
    if graph.number_of_nodes() > max_drawn:
        graph, folded["events"] = fold_events(graph, keep)
        folded["counted_edges"] = sum(1 for *_, d in graph.edges(data=True) if "count" in d)
    if graph.number_of_nodes() > max_drawn:
        graph, folded["institutions"], folded["groups"] = group_regions(graph, keep)
    if graph.number_of_nodes() > max_drawn:
        graph, folded["leaves"], folded["leaf_groups"] = group_leaves(graph, keep)
    limit = max(DRAW_LIMIT, max_drawn)
    if graph.number_of_nodes() > limit:
        folded["left_out"] = graph.number_of_nodes() - limit
        graph = nearest(graph, sorted(keep), limit)
    groups = {node: {k: data[k] for k in ("of", "region", "around", "members") if data.get(k)}
              for node, data in graph.nodes(data=True) if data["label"] == GROUP}
    return graph, {k: v for k, v in folded.items() if v}, groups


def _node(node: str, data: Mapping, start: date | None, position: tuple | None, pinned: bool, focus: bool) -> dict:
    colour, shape, text, title, size = _look(data)
    item = {"id": node, "label": text, "title": title, "color": colour, "shape": shape,
            "size": round(size + (6 if focus else 0), 1)}
    day = _day(data.get("event_time")) if data["label"] == "Event" else None
    if day is not None and start is not None:
        item["t"] = (day - start).days
    if position is not None:
        item["x"], item["y"] = position
    if pinned or focus:
        item["borderWidth"] = 3
    if pinned:
        item["fixed"] = True
    return item


def _look(data: Mapping) -> tuple[str, str, str, str, float]:
    """A node's colour, shape, caption, tooltip and size: from the schema, a region group like an
    institution, a node of another label (an app's own) grey with its caption."""
    if data["label"] == GROUP:
        return _group_look(data)
    declared = _label(data["label"])
    if declared is None:
        text = str(data.get("caption") or data.get("key") or "")
        return OTHER_STYLE[0], OTHER_STYLE[1], text, f"{data['label']}: {data.get('key', text)}", 14
    size = {"Lead": 24, "Community": 22, "Event": 8}.get(data["label"], 14)
    return declared.colour, declared.shape, node_label(data), node_title(data), size


def _edge(graph: nx.MultiDiGraph, start: str, end: str, key: str, data: Mapping, first: date | None,
          labels: bool) -> dict:
    """A relationship (its Chinese caption; an app's own edge its ``caption``, ``title`` and ``width``), or
    a counted edge (``count`` events of one type, their days ``ts`` for the time bar)."""
    type_ = data.get("type", key)
    declared = _relationship(type_)
    caption = (declared.caption_zh, declared.caption_en) if declared else (type_, "")
    item = {"id": f"{start}|{key}|{end}", "from": start, "to": end}
    count = data.get("count", 1)
    if data.get("event_type") or count > 1:
        kind = data.get("event_type")
        unit = EVENT_TYPE_ZH.get(kind, kind) if kind else caption[0]
        times = [t for t in data.get("times", ()) if t]
        days = [(_day(t) - first).days for t in times] if first else []
        span = f" · {short_time(_iso(times[0]))} — {short_time(_iso(times[-1]))}" if times else ""
        item.update(label=f"{unit} ×{count}", unit=unit, n=count, ts=days, width=round(1 + min(math.log2(count), 6), 1),
                    title=f"{caption[0]} {caption[1]} · {unit} {kind or ''} ×{count}{span}")
    else:
        role = data.get("role")
        item["label"] = str(data.get("caption") or caption[0] + (f"（{ROLE_NAMES.get(role, role)}）" if role else ""))
        item["title"] = str(data.get("title") or (edge_title(type_, data, graph.nodes[start]) if declared else item["label"]))
    if isinstance(data.get("width"), int | float):
        item["width"] = data["width"]
    if not labels:
        item.pop("label")
    return item


def _label(name: str):
    try:
        return schema().label(name)
    except SchemaError:
        return None


def _relationship(type_: str):
    try:
        return schema().relationship(type_)
    except SchemaError:
        return None


def _timeline(graph: nx.MultiDiGraph) -> dict | None:
    """Events per day over the graph's timed events: ``{"start", "days", "counts"}``."""
    days = [day for _, data in graph.nodes(data=True) if data.get("label") == "Event"
            for day in [_day(data.get("event_time"))] if day is not None]
    if not days:
        return None
    start = min(days)
    counts = [0] * ((max(days) - start).days + 1)
    for day in days:
        counts[(day - start).days] += 1
    return {"start": start.isoformat(), "days": len(counts), "counts": counts}


def _day(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _iso(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def window_dates(window: tuple[datetime | None, datetime | None]) -> list[str | None]:
    """A time window as the browser takes it: ``[since, until]`` as dates (``None``: open).

    >>> window_dates((datetime(2025, 6, 1, 9), None))
    ['2025-06-01', None]
    """
    return [None if end is None else end.date().isoformat() for end in window]


def legend_html(drawn: Mapping[str, int], groups: Mapping[tuple[str, bool], int] | None = None) -> str:
    """One item per label drawn (schema order): its shape in its colour, captions and count; then the
    groups, by the label of their members (``(label, by region)``: count).

    >>> "<b>2</b>" in legend_html({"Code": 2}) and "地区机构组" in legend_html({}, {("Institution", True): 1})
    True
    """
    items = [(shape_svg(label.shape, label.colour), f"{label.caption_zh} {label.caption_en}", drawn[label.name])
             for label in schema().labels if drawn.get(label.name)]
    for (of, by_region), count in sorted((groups or {}).items()):
        label = _label(of)
        if label is None:
            continue
        text = "地区机构组 institutions by region" if by_region else f"{label.caption_zh}组 {label.caption_en} groups"
        items.append((shape_svg(GROUP_SHAPE if by_region else label.shape, label.colour),
                      f"{text}（双击展开 double-click to open）", count))
    return "".join(f'<span class="tcw-legend-item">{svg}{escape(text)} <b>{count:,}</b></span>'
                   for svg, text, count in items)


def status_line(nodes: int, edges: int, max_drawn: int, folded: Mapping[str, int], physics: bool,
                labels: bool) -> str:
    """What is drawn and what was aggregated, Chinese first.

    >>> status_line(120, 300, 400, {}, True, True)
    '节点 120 · 边 300 / 120 nodes, 300 edges'
    """
    parts = [f"节点 {nodes:,} · 边 {edges:,} / {nodes:,} nodes, {edges:,} edges"]
    if "events" in folded:
        parts.append(f"超过 {max_drawn:,} 个节点，{folded['events']:,} 个事件并为 {folded.get('counted_edges', 0):,} 条计数边 "
                     f"/ above {max_drawn:,} nodes: {folded['events']:,} events folded into counted edges")
    if "institutions" in folded:
        parts.append(f"{folded['institutions']:,} 家机构按 {folded['groups']:,} 个地区分组 / institutions grouped "
                     "by region")
    if "leaves" in folded:
        parts.append(f"{folded['leaves']:,} 个末端节点并为 {folded['leaf_groups']:,} 组 / leaves grouped by the node "
                     "they hang on")
    if "left_out" in folded:
        parts.append(f"另有 {folded['left_out']:,} 个节点未画出 / {folded['left_out']:,} more nodes not drawn")
    if not physics:
        parts.append("布局已预先计算 / layout precomputed")
    if not labels:
        parts.append("边的名称见悬停提示 / edge captions in tooltips")
    return "；".join(parts)


def vis_options(physics: bool) -> dict:
    """vis-network options: system CJK fonts; small graphs settle by physics, big ones keep their
    precomputed positions and skip whatever slows drawing."""
    font = {"face": FONT_FAMILY, "size": 12, "color": "#222222"}
    edges = {"arrows": {"to": {"enabled": True, "scaleFactor": 0.5}}, "color": {"color": "#9a9a9a", "highlight": "#333333"},
             "font": {**font, "size": 10, "align": "middle", "strokeWidth": 3}, "smooth": {"type": "continuous"}}
    options = {"autoResize": True, "layout": {"randomSeed": 7, "improvedLayout": physics},
               "nodes": {"font": font, "borderWidth": 1}, "edges": edges,
               "interaction": {"hover": physics, "tooltipDelay": 150, "navigationButtons": True, "keyboard": False,
                               "hideEdgesOnDrag": not physics, "hideEdgesOnZoom": not physics}}
    if physics:
        options["physics"] = {"enabled": True, "solver": "forceAtlas2Based", "stabilization": {"iterations": 200, "fit": True},
                              "forceAtlas2Based": {"gravitationalConstant": -70, "springLength": 90,
                                                   "centralGravity": 0.01, "avoidOverlap": 0.2}}
    else:
        options["physics"] = {"enabled": False}
        edges["smooth"] = False
    return options

"""A lead's subgraph as a pyvis network, styled from the schema: each label's colour, shape and Chinese
caption; events labelled with their type and time; codes in full, pseudonyms and names shortened (the
tooltip holds the full key); the lead drawn largest.

The report draws the network's nodes, edges and options itself (``html.py``), so one page holds many
graphs and the vis-network library only once.

>>> node_label({"label": "Event", "key": "e1", "caption": "sale", "event_time": "2025-06-01T09:30:00"})
'销售 sale\\n2025-06-01 09:30'
>>> node_label({"label": "Patient", "key": "PSN-" + "0123456789abcdef" * 2, "caption": "PSN-" + "0123456789abcdef" * 2})
'PSN-01234567…'
>>> shorten("重庆康宁大药房连锁有限公司江津支坪店", 8)
'重庆康宁大药房…'
"""

from __future__ import annotations

from collections.abc import Mapping

import networkx as nx

from workbench.graph.schema import schema
from workbench.report_text import EVENT_TYPE_ZH, SCENARIO_NAMES
from workbench.screens.privacy import short_pseudonym

#: System fonts only (no web fonts): Chinese fonts first, then any sans-serif.
FONT_FAMILY = '"Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", sans-serif'
#: What a lead's ``FLAGS`` role is called.
ROLE_NAMES = {"main": "主要机构", "involved": "涉及机构", "code": "追溯码", "product": "药品", "patient": "参保人"}
#: Properties left out of tooltips (long, and in the lead's header already).
TOOLTIP_SKIP = frozenset({"params", "details", "explanation_zh", "explanation_en", "source_record"})
GRAPH_HEIGHT = "600px"
LABEL_CHARS = 16


def network_data(graph: nx.MultiDiGraph) -> dict:
    """``{"nodes", "edges", "options"}`` of the pyvis network drawing ``graph``, as vis-network takes them."""
    from pyvis.network import Network

    net = Network(height=GRAPH_HEIGHT, width="100%", directed=True)
    for node, data in sorted(graph.nodes(data=True)):
        label = schema().label(data["label"])
        net.add_node(node, label=node_label(data), title=node_title(data), color=label.colour,
                     shape=label.shape, size=26 if data["label"] == "Lead" else 14)
    for start, end, type_, data in sorted(graph.edges(keys=True, data=True), key=lambda e: e[:3]):
        net.add_edge(start, end, title=edge_title(type_, data, graph.nodes[start]),
                     label=ROLE_NAMES.get(data.get("role"), data.get("role")) if type_ == "FLAGS" else None)
    net.options = vis_options()  # a dict: ``set_options`` would strip the spaces in the font names
    nodes, edges, *_ = net.get_network_data()
    return {"nodes": nodes, "edges": [{k: v for k, v in e.items() if v is not None} for e in edges],
            "options": net.options}


def node_label(data: Mapping) -> str:
    """What a node shows: an event its type and time, a lead its scenario and score, others their caption."""
    if data["label"] == "Event":
        kind = data.get("event_type") or data["caption"]
        return f"{EVENT_TYPE_ZH.get(kind, kind)} {kind}\n{short_time(data.get('event_time'))}".rstrip()
    if data["label"] == "Lead":
        scenario = data.get("scenario") or ""
        return f"{SCENARIO_NAMES.get(scenario, scenario)} {scenario}\n{data.get('score') or 0:.2f}"
    caption = str(data["caption"])
    return short_pseudonym(caption) if caption == data["key"] else shorten(caption, LABEL_CHARS)


def node_title(data: Mapping) -> str:
    """A node's tooltip (plain text): what it is, its key, its declared properties."""
    label = schema().label(data["label"])
    lines = [f"{label.caption_zh} {label.caption_en}: {data['key']}"]
    for prop in label.properties:
        value = data.get(prop.name)
        if prop.name not in TOOLTIP_SKIP and prop.name != label.key and value not in (None, ""):
            lines.append(f"{prop.zh} {prop.name}: {shorten(str(value), 120)}")
    return "\n".join(lines)


def edge_title(type_: str, data: Mapping, start: Mapping) -> str:
    """A relationship's tooltip: its caption, a lead's role, an event's time."""
    relationship = schema().relationship(type_)
    title = f"{relationship.caption_zh} {relationship.caption_en}"
    if data.get("role"):
        title += f"（{ROLE_NAMES.get(data['role'], data['role'])} {data['role']}）"
    if start.get("label") == "Event" and start.get("event_time"):
        title += f" · {short_time(start['event_time'])}"
    return title


def short_time(value: str | None) -> str:
    """ISO time to the minute.

    >>> short_time("2025-06-01T09:30:12"), short_time(None)
    ('2025-06-01 09:30', '')
    """
    return value[:16].replace("T", " ") if value else ""


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def vis_options() -> dict:
    """vis-network options: system CJK fonts, a seeded layout that settles, then stays put."""
    font = {"face": FONT_FAMILY, "size": 12, "color": "#222222"}
    return {
        "layout": {"randomSeed": 7},
        "nodes": {"font": font, "borderWidth": 1},
        "edges": {"arrows": {"to": {"enabled": True, "scaleFactor": 0.5}}, "color": {"color": "#9a9a9a"},
                  "font": {**font, "size": 10, "align": "middle"}, "smooth": {"type": "continuous"}},
        "physics": {"solver": "forceAtlas2Based", "stabilization": {"iterations": 300, "fit": True},
                    "forceAtlas2Based": {"gravitationalConstant": -70, "springLength": 90, "centralGravity": 0.01,
                                         "avoidOverlap": 0.2}},
        "interaction": {"hover": True, "tooltipDelay": 120, "navigationButtons": True, "zoomView": False},
    }

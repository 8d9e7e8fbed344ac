"""What the graph widget's panel says about a node: its label, key, caption and properties, the leads that
flag it and, for a code, its history (``GraphStore.leads_of`` and ``code_history``); rendered as HTML,
Chinese first, every value escaped.

>>> from workbench.graph.memory import MemoryStore
>>> from workbench.graph.store import subgraph
>>> graph = subgraph([("Institution", "P1", {"name": "<b>药房</b>", "type": "pharmacy"})], [])
>>> found = node_details(MemoryStore(), graph, "Institution:P1")
>>> found["caption"], found["properties"], found["leads"]
('<b>药房</b>', {'name': '<b>药房</b>', 'type': 'pharmacy'}, [])
>>> "&lt;b&gt;药房" in details_html(found) and "<b>药房" not in details_html(found)
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from html import escape

import networkx as nx

from workbench.graph.schema import SchemaError, schema
from workbench.graph.store import GraphStore, entity, plain
from workbench.report.pyvis_render import ROLE_NAMES, short_time
from workbench.report_text import EVENT_TYPE_ZH, SCENARIO_NAMES
from workbench.screens.privacy import short_pseudonym
from workbench.widgets.aggregate import GROUP
from workbench.widgets.ui import html_table

CODE_LABELS = ("Code", "Pack")
#: Node attributes that are not properties (the answer's own, or an app's drawing hints).
NOT_PROPERTIES = frozenset({"label", "key", "caption", "x", "y", "members"})
#: Rows shown at most in the panel's tables (the dict holds them all).
ROWS_SHOWN = 100
LEAD_COLUMNS = (("score", "可疑度 score"), ("scenario", "场景 scenario"), ("role", "角色 role"),
                ("explanation_zh", "说明 explanation"))
HISTORY_COLUMNS = (("event_time", "时间 time"), ("event_type", "类型 type"), ("institution", "机构 institution"),
                   ("institution_type", "机构类型 kind"), ("patient", "参保人 person"), ("quantity", "数量 qty"),
                   ("amount", "金额 amount"))


def node_details(store: GraphStore, graph: nx.MultiDiGraph, node: str,
                 groups: Mapping[str, Mapping] | None = None) -> dict:
    """``{"id", "label", "key", "caption", "properties", "leads", "history"}`` of a drawn node (a group:
    its ``members`` too); a node not drawn is looked up in the store. ``KeyError`` if neither knows it."""
    if groups and node in groups:
        group, key = groups[node], entity(node)[1]
        caption = f"地区 {group['region']}" if group.get("region") else f"{len(group['members'])} × {group['of']}"
        return {"id": node, "label": GROUP, "key": key, "caption": caption, "members": list(group["members"]),
                "properties": {name: group[name] for name in ("of", "region", "around") if group.get(name)},
                "leads": [], "history": []}
    data = graph.nodes[node] if node in graph else _stored(store, node)
    label, key = data.get("label"), data.get("key")
    declared = _declared(label)
    properties = {name: plain(value) for name, value in data.items() if name not in NOT_PROPERTIES}
    if declared is not None:  # schema order first
        order = [p.name for p in declared.properties]
        properties = dict(sorted(properties.items(), key=lambda kv: (order.index(kv[0]) if kv[0] in order else len(order),
                                                                       kv[0])))
    return {"id": node, "label": label, "key": key, "caption": data.get("caption", key), "properties": properties,
            "leads": store.leads_of(label, key) if declared is not None else [],
            "history": store.code_history(key) if label in CODE_LABELS else []}


def _stored(store: GraphStore, node: str) -> Mapping:
    label, key = entity(node)
    if _declared(label) is None:
        raise KeyError(node)
    found = store.neighbourhood(label, key, hops=0)
    if node not in found:
        raise KeyError(node)
    return found.nodes[node]


def _declared(label: object):
    try:
        return schema().label(label)
    except SchemaError:
        return None


def details_html(found: Mapping) -> str:
    """The panel: a heading, the properties, the leads and the code's history (Chinese first)."""
    declared = _declared(found["label"])
    kind = f"{declared.caption_zh} {declared.caption_en}" if declared else "组 group（双击展开 double-click to draw " \
        "its members）" if found["label"] == GROUP else str(found["label"])
    parts = [f'<div class="tcw-details"><h4>{escape(kind)}: {escape(_shown(found["caption"]))}</h4>',
             f'<div class="tcw-key">键 key: <code>{escape(str(found["key"]))}</code></div>',
             _table([{"name": _property_name(declared, name), "value": _value(name, value)}
                     for name, value in found["properties"].items()], (("name", "属性 property"), ("value", "值 value")))]
    if "members" in found:
        parts.append(f"<b>成员 members</b>（{len(found['members'])}）" +
                     _table([{"member": short_pseudonym(entity(m)[1])} for m in found["members"]], (("member", "键 key"),)))
    if declared is not None:
        parts.append(f"<b>线索 leads</b>（{len(found['leads'])}）")
        parts.append(_table([_lead_row(lead) for lead in found["leads"]], LEAD_COLUMNS) if found["leads"]
                     else '<div class="tcw-note">无线索 / no lead flags it</div>')
    if found["label"] in CODE_LABELS:
        parts.append(f"<b>流向 history</b>（{len(found['history'])}）" + history_html(found["history"]))
    return "".join(parts) + "</div>"


def history_html(rows: Sequence[Mapping]) -> str:
    """A code's history (``code_history`` rows) as a table: time, type, institution, person…"""
    if not rows:
        return '<div class="tcw-note">无事件 / no events</div>'
    return _table([_history_row(row) for row in rows], HISTORY_COLUMNS)


def _history_row(row: Mapping) -> dict:
    kind = row.get("event_type") or ""
    return {**row, "event_time": short_time(_iso(row.get("event_time"))), "patient": short_pseudonym(row.get("patient") or ""),
            "event_type": f"{EVENT_TYPE_ZH.get(kind, kind)} {kind}".strip()}


def _lead_row(lead: Mapping) -> dict:
    scenario, role = lead.get("scenario") or "", lead.get("role") or ""
    return {**lead, "scenario": f"{SCENARIO_NAMES.get(scenario, scenario)} {scenario}".strip(),
            "role": f"{ROLE_NAMES.get(role, role)} {role}".strip(),
            "score": f"{lead['score']:.2f}" if isinstance(lead.get("score"), float) else lead.get("score")}


def _table(rows: Iterable[Mapping], columns: Sequence[tuple[str, str]]) -> str:
    rows = list(rows)
    more = f'<div class="tcw-note">另有 {len(rows) - ROWS_SHOWN} 行 / {len(rows) - ROWS_SHOWN} more rows</div>' \
        if len(rows) > ROWS_SHOWN else ""
    return html_table(rows[:ROWS_SHOWN], columns) + more


def _property_name(declared, name: str) -> str:
    prop = declared.property(name) if declared is not None else None
    return f"{prop.zh} {name}" if prop else name


def _value(name: str, value: object) -> object:
    if name == "event_type" and isinstance(value, str):
        return f"{EVENT_TYPE_ZH.get(value, value)} {value}"
    return value


def _shown(caption: object) -> str:
    return short_pseudonym(str(caption)) if caption is not None else ""


def _iso(value: object) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value

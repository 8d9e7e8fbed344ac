"""What ``CommunityView`` shows of an ``Analysis``, as data: the rings' and clusters' table, the brokers'
table, a community's graph in the shape a ``GraphView`` draws (a ring's flow in the report's columns:
hospitals → persons → first resellers → onward, an edge as wide as its boxes; a cluster's outlets joined
to the codes they sold copies of), and what a member did.

>>> import networkx as nx
>>> flow = nx.DiGraph()
>>> flow.add_edge("Institution:H1", "Patient:PSN-1", codes=2, trace_codes=["C1", "C2"], amount=40.0, via="dispensed")
>>> flow.add_edge("Patient:PSN-1", "Institution:P1", codes=2, trace_codes=["C1", "C2"], amount=40.0, via="reflux")
>>> for node in flow:
...     flow.nodes[node].update(label=node.split(":")[0], key=node.split(":")[1])
>>> drawn = ring_view(flow)
>>> [drawn.nodes[n]["column"] for n in sorted(drawn)], sorted(drawn.edges(keys=True))[0]
([0, 2, 1], ('Institution:H1', 'Patient:PSN-1', 'FLOW'))
>>> member_codes(drawn, "Institution:P1")
['C1', 'C2']
"""

from __future__ import annotations

from collections.abc import Mapping

import networkx as nx

from workbench.report.networks import (
    COLUMN_GAP,
    RING_STEPS,
    edge_width,
    flow_title,
    ordered_rows,
    ring_column,
    sale_title,
)
from workbench.report_text import BROKER_ROLES, COMMUNITY_KINDS, FLOW_VIAS
from workbench.screens.privacy import short_pseudonym
from workbench.widgets.ui import span_text

#: The edge types of the graphs drawn here (not schema relationships).
FLOW, COPY_SALE = "FLOW", "COPY_SALE"
COMMUNITY_COLUMNS = [("rank", "排名 rank"), ("kind_zh", "类型 kind"), ("score", "可疑度 score"),
                     ("members", "成员 members"), ("code_count", "码数 codes"), ("amount", "金额 amount"),
                     ("span", "时间 span"), ("explanation_zh", "说明 explanation")]
BROKER_COLUMNS = [("rank", "排名 rank"), ("role_zh", "角色 role"), ("shown", "对象 entity"), ("code_count", "盒数 codes"),
                  ("score", "可疑度 score"), ("community_id", "所属团伙 community")]


def community_table(rows: list[Mapping]) -> list[dict]:
    """``Analysis.community_rows()`` as the table shows them."""
    return [{**row, "kind_zh": COMMUNITY_KINDS.get(row["kind"], (row["kind"],))[0],
             "members": _count(row["institutions"]) + _count(row["persons"]),
             "span": span_text(row["first_time"], row["last_time"])} for row in rows]


def _count(joined: str) -> int:
    return len([part for part in (joined or "").split("|") if part])


def broker_table(brokers: list[Mapping]) -> list[dict]:
    """Broker rows as the table shows them: the role in Chinese, a person's short pseudonym."""
    return [{**row, "role_zh": f"{BROKER_ROLES.get(row['role'], row['role'])} {row['role']}",
             "shown": short_pseudonym(row["entity"])} for row in brokers]


def community_caption(row: Mapping) -> str:
    """A community in the chooser: rank, kind, id, score, codes, members."""
    kind = COMMUNITY_KINDS.get(row["kind"], (row["kind"],))[0]
    return (f"{row['rank']}. {kind} {row['community_id']} · {row['score']:.2f} · {row['code_count']} 码 codes · "
            f"{_count(row['institutions']) + _count(row['persons'])} 成员 members")


def ring_view(flow: nx.DiGraph, known: Mapping[str, Mapping] | None = None) -> nx.MultiDiGraph:
    """A ring's flow (``Analysis.ring_flow``) for a ``GraphView``: nodes in the report's columns (``column``,
    ``x``, ``y``, ``step``) with what the graph holds of each institution (``known``, by code), one ``FLOW``
    edge per hop with its boxes (``codes``, ``width``), amount, kinds of hop and codes."""
    known = known or {}
    columns = {node: ring_column(flow, node) for node in flow}
    rows = ordered_rows(flow, columns)
    most = max((codes for _, _, codes in flow.edges(data="codes")), default=1)
    graph = nx.MultiDiGraph()
    for node, data in flow.nodes(data=True):
        step = RING_STEPS[columns[node]]
        graph.add_node(node, **_known(data, known), column=columns[node], step=f"{step[0]} {step[1]}", x=columns[node] * COLUMN_GAP, y=rows[node])
    for start, end, data in flow.edges(data=True):
        vias = " / ".join(FLOW_VIAS.get(via, via) for via in data["via"].split("|"))
        graph.add_edge(start, end, key=FLOW, type=FLOW, codes=data["codes"], amount=data["amount"], via=data["via"],
                       trace_codes=list(data["trace_codes"]), caption=f"{data['codes']} 盒 {vias}",
                       width=edge_width(data["codes"], most), value=data["codes"], title=flow_title(data))
    return graph


def cluster_view(cluster: nx.Graph, known: Mapping[str, Mapping] | None = None) -> nx.MultiDiGraph:
    """A cluster's copy sales (``Analysis.cluster_graph``) for a ``GraphView``: outlet → code ``COPY_SALE``
    edges as wide as their sales."""
    known = known or {}
    most = max((sales for _, _, sales in cluster.edges(data="sales")), default=1)
    graph = nx.MultiDiGraph()
    for node, data in cluster.nodes(data=True):
        graph.add_node(node, **{k: v for k, v in data.items() if v is not None} | _known(data, known))
    for a, b, data in cluster.edges(data=True):
        outlet, code = (a, b) if cluster.nodes[a]["label"] == "Institution" else (b, a)
        graph.add_edge(outlet, code, key=COPY_SALE, type=COPY_SALE, sales=data["sales"],
                       first_time=data["first_time"].isoformat(), last_time=data["last_time"].isoformat(),
                       caption=f"{data['sales']} 次 sales", width=edge_width(data["sales"], most), value=data["sales"],
                       title=sale_title(data))
    return graph


def _known(data: Mapping, known: Mapping[str, Mapping]) -> dict:
    """A node's label, key and caption (an institution's name when known, a person's short pseudonym), with
    what the graph holds of an institution."""
    stored = dict(known.get(data["key"], {})) if data["label"] == "Institution" else {}
    caption = short_pseudonym(data["key"]) if data["label"] == "Patient" else stored.get("caption") or data["key"]
    return stored | {"label": data["label"], "key": data["key"], "caption": caption}


def member_codes(graph: nx.MultiDiGraph, node: str) -> list[str]:
    """The codes a member's drawn edges carried (a ring's boxes, a cluster outlet's copied codes)."""
    if node not in graph:
        return []
    if graph.nodes[node]["label"] in ("Code", "Pack"):
        return [graph.nodes[node]["key"]]
    codes: set[str] = set()
    for _, end, data in [*graph.in_edges(node, data=True), *graph.out_edges(node, data=True)]:
        if data.get("type") == COPY_SALE:
            codes.add(graph.nodes[end]["key"])
        codes.update(data.get("trace_codes") or ())
    return sorted(codes)

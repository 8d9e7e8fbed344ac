"""``CommunityView``: the reflux rings and counterfeit clusters ``analyse`` found, and its brokers, as tables;
a chosen community's flow drawn in a ``GraphView`` (a ring hospitals → persons → resellers → onward, edges
as wide as their boxes; a cluster's outlets and the codes they sold copies of); a clicked member's broker
roles, the codes it carried and the leads that flag it (``GraphStore.leads_of``); the chosen community can
open or join a case (``CasePanel``)."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

import ipywidgets as w
import networkx as nx

from workbench.graph.store import GraphStore, entity
from workbench.report_text import BROKER_ROLES, COMMUNITY_KINDS, SCENARIO_NAMES
from workbench.widgets import sources
from workbench.widgets.case_panel import CasePanel
from workbench.widgets.flows import (
    BROKER_COLUMNS,
    COMMUNITY_COLUMNS,
    broker_table,
    cluster_view,
    community_caption,
    community_table,
    member_codes,
    ring_view,
)
from workbench.widgets.subgraphs import institution_nodes
from workbench.widgets.ui import STYLE, entity_text, html_table, note

#: Brokers listed, and a member's leads and codes shown, at most.
BROKERS_SHOWN, LEADS_SHOWN, CODES_SHOWN = 50, 10, 12
LEAD_COLUMNS = [("scenario_zh", "场景 scenario"), ("score", "可疑度 score"), ("role", "角色 role"),
                ("explanation_zh", "说明 explanation")]
ROLE_COLUMNS = [("rank", "排名 rank"), ("role_zh", "角色 role"), ("score", "可疑度 score"), ("code_count", "盒数 codes"),
                ("explanation_zh", "说明 explanation")]


class CommunityView(w.VBox):
    """Rings, clusters and brokers; a community's flow; a member's roles, codes and leads."""

    def __init__(self, workspace=None, store: GraphStore | None = None, analysis=None, *, height: str = "560px"):
        from workbench.widgets.graph_view import GraphView

        ws = None
        if store is None or analysis is None:
            ws = sources.as_workspace(workspace) if store is None or workspace is not None else None
            if store is None:
                from workbench.widgets.session import open_store

                store = open_store(ws)
            if analysis is None:
                analysis = sources.workspace_analysis(ws) if ws is not None else sources.store_analysis(store)
        self.store, self.analysis = store, analysis
        self.rows = analysis.community_rows() if analysis is not None else []
        self.brokers = analysis.brokers if analysis is not None else []
        self.community_id: str | None = None
        self.drawn = nx.MultiDiGraph()
        self.chooser = w.Select(options=[(community_caption(row), row["community_id"]) for row in self.rows],
                                value=None, rows=min(8, max(2, len(self.rows))), layout=w.Layout(width="100%"))
        self.explanation, self.member = w.HTML(), w.HTML()
        self.view = GraphView(store, height=height)
        self.case = CasePanel(ws if ws is not None else workspace, "community")
        self.view.on_select(self.show_member)
        self.chooser.observe(lambda change: self.choose(change["new"]), names="value")
        tables = w.Tab([w.HTML(html_table(community_table(self.rows), COMMUNITY_COLUMNS)),
                        w.HTML(html_table(broker_table(self.brokers[:BROKERS_SHOWN]), BROKER_COLUMNS))])
        tables.set_title(0, "团伙与网络 rings and clusters")
        tables.set_title(1, "中间人 brokers")
        super().__init__([w.HTML(STYLE + "<b>团伙与网络 Rings and networks</b>"), w.HTML(self.summary()), tables,
                          self.chooser, self.explanation, self.case, self.view.box(), self.member])

    def summary(self) -> str:
        """Counts per kind and brokers, or why there is nothing."""
        if self.analysis is None:
            return note("没有售出两次以上的有效追溯码，无可分析的流向 / no valid trace code was sold twice: no flows", "error")
        kinds = [f"{zh} {en} {sum(row['kind'] == kind for row in self.rows)}" for kind, (zh, en) in COMMUNITY_KINDS.items()]
        return note(" · ".join([*kinds, f"中间人 brokers {len(self.brokers)}"]))

    def choose(self, community_id: str | None) -> None:
        """Draw a community's flow (a ring) or copy sales (a cluster) and give its explanation."""
        if community_id is None:
            return
        row = next(row for row in self.rows if row["community_id"] == community_id)
        self.community_id = community_id
        known = institution_nodes(self.store, [p for p in row["institutions"].split("|") if p])
        if row["kind"] == "reflux_ring":
            self.drawn = ring_view(self.analysis.ring_flow(community_id), known)
        else:
            self.drawn = cluster_view(self.analysis.cluster_graph(community_id), known)
        self.explanation.value = note(row["explanation_zh"]) + note(row["explanation_en"])
        self.case.target(community_id)
        self.member.value = note("点击图中的成员查看其角色、经手的码与线索 / click a member to see its roles, codes and leads")
        self.view.show(self.drawn)

    def show_member(self, node: str | None) -> None:
        """A member's broker roles, the codes it carried in the drawn community and the leads flagging it."""
        if not node:
            return
        label, key = entity(node)
        self.member.value = member_html(node, self.drawn, self.roles_of(key), self.store.leads_of(label, key)
                                        if label in ("Institution", "Patient", "Code", "Pack", "Product") else [])

    def roles_of(self, key: str) -> list[dict]:
        """The broker rows of an entity (a person's pseudonym or an institution's code)."""
        return [{**row, "role_zh": f"{BROKER_ROLES.get(row['role'], row['role'])} {row['role']}"}
                for row in self.brokers if row["entity"] == key]


def member_html(node: str, drawn: nx.MultiDiGraph, roles: list[Mapping], leads: list[Mapping]) -> str:
    """What a member did: its place in the flow, its codes, its broker roles, its leads."""
    data = drawn.nodes[node] if node in drawn else {}
    parts = [f"<h4>{escape(entity_text(node, data.get('caption')))}</h4>"]
    if data.get("step"):
        parts.append(note(f"在流向中 in the flow: {data['step']}"))
    codes = member_codes(drawn, node)
    if codes:
        more = f" +{len(codes) - CODES_SHOWN}" if len(codes) > CODES_SHOWN else ""
        parts.append(note(f"经手的码 codes carried ({len(codes)}): {', '.join(codes[:CODES_SHOWN])}{more}"))
    parts.append("<b>中间人角色 broker roles</b>")
    parts.append(html_table(roles, ROLE_COLUMNS) if roles else note("未列为中间人 / not ranked as a broker"))
    parts.append(f"<b>线索 leads</b>（{len(leads)}）")
    shown = [{**lead, "scenario_zh": f"{SCENARIO_NAMES.get(lead['scenario'], lead['scenario'])} {lead['scenario']}"}
             for lead in leads[:LEADS_SHOWN]]
    parts.append(html_table(shown, LEAD_COLUMNS) if shown else note("没有线索指向它 / no lead flags it"))
    return "".join(parts)

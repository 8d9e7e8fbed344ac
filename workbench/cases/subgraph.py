"""A case's subgraph, for Gephi and the package's HTML view: the case, what it holds, the leads and rings
that flag its members, and the members' events as edges, so the reflux chain reads along the arrows:
hospital → code → person, pharmacy → code → another person.

Nodes are ``"<Type>:<key>"`` (``NODE_TYPES``); each has ``type``, ``key``, a Chinese ``label`` (an
institution's name, else its code; a product's name; a person's short pseudonym; a lead's scenario; a
ring's kind and rank), ``in_case`` (held by the case itself) and, where known, ``first_time`` /
``last_time`` (ISO text), ``region_code``, ``institution_type``, ``scenario``, ``score``.

Edges (``type``): ``HOLDS`` case → item; ``FLAGS`` lead → its code, institutions and product (``role``);
``MEMBER_OF`` institution, person or code → ring; one edge per event, institution → code (``type`` the
event type; ``time``, ``quantity``, ``amount``, ``person``, ``count`` 1, ``events`` 1; a record without a
code goes to its product), and for a sale or a return by a person, code → person (``SOLD_TO`` /
``RETURNED_BY``, with the ``institution``; ``events`` 0, as it repeats the sale). Past ``max_event_edges``
the event edges are merged (``event_edges.py``): per code; else along each code's flow (``flow_edges.py``:
``SOLD_TO`` institution → person, ``REAPPEARED_AT`` person → the institution where the box turns up next,
``TRANSFER`` institution → institution, the rest per product; no node per merged code); else per product.
The case's own codes, with its rings' codes if the cap allows, stay per code; ``events`` add up to the
events drawn and ``graph.graph["aggregation"]`` says how they were merged.

>>> import pyarrow as pa
>>> from workbench.cases.evidence import Evidence
>>> from workbench.cases.model import Case, CaseItem
>>> case = Case("CASE-1", "回流", "open", "", "", "2026-01-01T00:00:00", "ana", "2026-01-01T00:00:00",
...             items=(CaseItem("code", "C1"),))
>>> events = pa.table({"event_id": ["e1"], "event_time": ["2025-06-01 09:30:00"], "event_type": ["sale"],
...                    "trace_code": ["C1"], "institution_code": ["H1"], "person": ["PSN-1"], "amount": [9.5]})
>>> graph = case_graph(Evidence(case, [], [], events))
>>> sorted(graph.nodes)
['Case:CASE-1', 'Code:C1', 'Institution:H1', 'Person:PSN-1']
>>> sorted((u, v, d["type"]) for u, v, d in graph.edges(data=True))[1:]
[('Code:C1', 'Person:PSN-1', 'SOLD_TO'), ('Institution:H1', 'Code:C1', 'sale')]
>>> graph.nodes["Code:C1"]["first_time"], graph.nodes["Code:C1"]["in_case"]
('2025-06-01T09:30:00', True)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime

import networkx as nx
import pyarrow as pa

from workbench.cases.event_edges import EventEdge, GraphEdge, merge_event_edges
from workbench.cases.evidence import Evidence
from workbench.cases.flow_edges import FLOW_TYPES, code_list
from workbench.report_text import COMMUNITY_KINDS, EVENT_TYPE_ZH, SCENARIO_NAMES
from workbench.screens.privacy import short_pseudonym

#: Node types, each with its Chinese and English name.
NODE_TYPES = {"Case": ("案件", "case"), "Lead": ("线索", "lead"), "Community": ("团伙/网络", "community"),
              "Code": ("追溯码", "trace code"), "Institution": ("机构", "institution"),
              "Person": ("参保人", "insured person"), "Product": ("药品", "product")}
#: Edge types besides the event types (``EVENT_TYPE_ZH``), each with its Chinese and English name.
EDGE_TYPES = {"HOLDS": ("案件包含", "holds"), "FLAGS": ("线索指向", "flags"), "MEMBER_OF": ("团伙成员", "member of"),
              **FLOW_TYPES}
#: A case item's kind → the node type.
ITEM_TYPES = {"lead": "Lead", "community": "Community", "code": "Code", "institution": "Institution",
              "person": "Person", "product": "Product"}
#: Event edges past this many are merged.
MAX_EVENT_EDGES = 2000
#: Event columns the graph reads.
EVENT_FIELDS = ("event_id", "event_time", "event_type", "trace_code", "med_list_codg", "product_name",
                "institution_code", "institution_type", "region_code", "person", "quantity", "amount")


def node_id(type_: str, key: str) -> str:
    """``"<Type>:<key>"``.

    >>> node_id("Code", "81000000000000000001")
    'Code:81000000000000000001'
    """
    return f"{type_}:{key}"


def edge_name(type_: str) -> tuple[str, str]:
    """An edge type's Chinese and English name (an event type's from ``EVENT_TYPE_ZH``).

    >>> edge_name("SOLD_TO"), edge_name("sale_return")
    (('售予', 'sold to'), ('销售退货', 'sale return'))
    """
    return EDGE_TYPES.get(type_) or (EVENT_TYPE_ZH.get(type_, type_), type_.replace("_", " "))


def iso(value: object) -> str:
    """A time as ISO text to the second (``''`` for none); text that is no time is kept as it is.

    >>> iso(datetime(2025, 6, 1, 9, 30)), iso("2025-06-01 09:30:00.000000"), iso(None), iso("soon")
    ('2025-06-01T09:30:00', '2025-06-01T09:30:00', '', 'soon')
    """
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    try:
        return datetime.fromisoformat(text.replace(" ", "T", 1)).isoformat(timespec="seconds")
    except ValueError:
        return text


def split_keys(value: object) -> list[str]:
    """The members of a ``|``-separated column (a list as it is), blanks left out.

    >>> split_keys("H1| H2||"), split_keys(None), split_keys(["C1", ""])
    (['H1', 'H2'], [], ['C1'])
    """
    if value is None:
        return []
    parts = value if isinstance(value, list | tuple) else str(value).split("|")
    return [str(part).strip() for part in parts if str(part).strip()]


def event_rows(events: pa.Table) -> list[dict]:
    """The events as rows of ``EVENT_FIELDS`` (missing columns as ``None``), times as ISO text, in time
    order."""
    present = [name for name in EVENT_FIELDS if name in events.column_names]
    rows = events.select(present).to_pylist()
    for row in rows:
        for name in EVENT_FIELDS:
            row.setdefault(name, None)
        row["event_time"] = iso(row["event_time"])
    return sorted(rows, key=lambda row: (row["event_time"], str(row["event_id"] or "")))


def own_codes(evidence: Evidence, rings: bool = True) -> list[str]:
    """The codes the case holds itself, in this order: its code items, the codes of the leads it holds
    and (``rings``) the codes of the rings it holds."""
    case = evidence.case
    held = {"lead": set(case.keys("lead")), "community": set(case.keys("community"))}
    leads = case.snapshots("lead") + [row for row in evidence.leads if row.get("lead_id") in held["lead"]]
    codes = case.keys("code") + [str(row.get("trace_code") or "") for row in leads]
    if rings:
        held_rings = case.snapshots("community") + [row for row in evidence.communities
                                                    if row.get("community_id") in held["community"]]
        codes += [code for row in held_rings for code in split_keys(row.get("trace_codes"))]
    return [code for code in dict.fromkeys(codes) if code]


def case_graph(evidence: Evidence, max_event_edges: int = MAX_EVENT_EDGES) -> nx.MultiDiGraph:
    """The case's subgraph (see the module's text)."""
    builder = _Builder(evidence)
    builder.leads()
    builder.communities()
    builder.case()
    rows = event_rows(evidence.events)
    edges, left_out = _event_edges(rows)
    tiers = [own_codes(evidence), own_codes(evidence, rings=False)]
    merged = merge_event_edges(edges, tiers, max_event_edges)
    for edge in merged.edges:
        builder.event_edge(edge)
    builder.times(rows)
    note = merged.note
    bare = builder.drop_bare_codes() if merged.level >= 2 else 0
    if bare:
        note += (f"；只作为团伙成员出现的 {bare} 个追溯码不单独画出（见团伙节点的 trace_codes、code_count）/ {bare} "
                 "codes that are only ring members not drawn (see the ring node's trace_codes and code_count)")
    case = evidence.case
    builder.graph.graph.update(aggregation=note, aggregation_level=merged.level, event_edges=len(edges),
                               events_left_out=left_out, description=f"案件 case {case.case_id} {case.title}：{note}")
    return builder.graph


def _event_edges(rows: Iterable[Mapping]) -> tuple[list[EventEdge], int]:
    """One edge per event (institution → code, else → product) and one per sale or return to a person
    (code → person); and how many events had neither code nor product nor institution."""
    edges, left_out = [], 0
    for row in rows:
        institution, code, product = (str(row[name] or "") for name in ("institution_code", "trace_code",
                                                                          "med_list_codg"))
        target = node_id("Code", code) if code else node_id("Product", product) if product else ""
        if not institution or not target:
            left_out += 1
            continue
        event_id, kind, person = str(row["event_id"] or ""), str(row["event_type"] or "other"), str(row["person"] or "")
        facts = {"time": row["event_time"], "amount": _number(row["amount"]), "quantity": _number(row["quantity"]),
                 "person": person, "institution": institution, "product": product, "code": code}
        edges.append(EventEdge(node_id("Institution", institution), target, kind, event_id, **facts))
        person_edge = PERSON_EDGES.get(kind)
        if person_edge and person and code:
            edges.append(EventEdge(target, node_id("Person", person), person_edge, f"{person_edge}:{event_id}",
                                   **facts))
    return edges, left_out


#: Event types whose person gets an edge from the code, and that edge's type.
PERSON_EDGES = {"sale": "SOLD_TO", "sale_return": "RETURNED_BY"}


def _number(value: object) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return number if number == number else 0.0


class _Builder:
    """Adds nodes (with their labels and facts) and edges to one graph."""

    def __init__(self, evidence: Evidence) -> None:
        self.evidence = evidence
        case = evidence.case
        self.graph = nx.MultiDiGraph(name=case.case_id, case_id=case.case_id, title=case.title,
                                     reveal=evidence.reveal)
        self.held = {node_id(ITEM_TYPES[item.kind], item.key) for item in case.items if item.kind in ITEM_TYPES}
        self.sites = _institution_facts(evidence.institutions, evidence.events)
        self.names = _product_names(evidence.products, evidence.events)

    def node(self, type_: str, key: str, **facts) -> str:
        """The node's id, adding it (with its label) the first time; ``facts`` fill what it lacks."""
        node = node_id(type_, key)
        if node not in self.graph:
            self.graph.add_node(node, type=type_, key=key, label=self._label(type_, key, facts),
                                in_case=node in self.held or type_ == "Case")
            if type_ == "Institution":
                facts = {**self.sites.get(key, {}), **facts}
        data = self.graph.nodes[node]
        for name, value in facts.items():
            if value not in (None, "") and name not in data:
                data[name] = value
        return node

    def _label(self, type_: str, key: str, facts: Mapping) -> str:
        if type_ == "Institution":
            return self.sites.get(key, {}).get("institution_name") or key
        if type_ == "Product":
            return self.names.get(key) or key
        if type_ == "Person":
            return short_pseudonym(key)
        if type_ == "Lead":
            scenario = str(facts.get("scenario") or "")
            return SCENARIO_NAMES.get(scenario, scenario) or "线索"
        if type_ == "Community":
            zh = COMMUNITY_KINDS.get(str(facts.get("kind") or ""), ("团伙/网络",))[0]
            return f"{zh} #{facts['rank']}" if facts.get("rank") is not None else zh
        if type_ == "Case":
            return self.evidence.case.title or key
        return key

    def edge(self, start: str, end: str, type_: str, key: str | None = None, **facts) -> None:
        key = key or type_
        if not self.graph.has_edge(start, end, key):
            self.graph.add_edge(start, end, key=key, type=type_, **{k: v for k, v in facts.items() if v is not None})

    def case(self) -> None:
        case = self.evidence.case
        root = self.node("Case", case.case_id, status=case.status, status_zh=case.status_zh,
                         assignee=case.assignee, created_at=iso(case.created_at))
        for item in case.items:
            if item.kind in ITEM_TYPES:
                facts = _row_facts(item.snapshot or {}) if item.kind in ("lead", "community") else {}
                self.edge(root, self.node(ITEM_TYPES[item.kind], item.key, **facts), "HOLDS",
                          added_at=iso(item.added_at), added_by=item.added_by)

    def leads(self) -> None:
        for row in self.evidence.leads:
            lead = self.node("Lead", str(row["lead_id"]), **_row_facts(row))
            main = str(row.get("institution_code") or "")
            if main:
                self.edge(lead, self.node("Institution", main), "FLAGS", role="main")
            for code in split_keys(row.get("institutions")):
                self.edge(lead, self.node("Institution", code), "FLAGS", role="involved")
            if row.get("trace_code"):
                self.edge(lead, self.node("Code", str(row["trace_code"])), "FLAGS", role="code")
            if row.get("med_list_codg"):
                self.edge(lead, self.node("Product", str(row["med_list_codg"])), "FLAGS", role="product")

    def communities(self) -> None:
        for row in self.evidence.communities:
            ring = self.node("Community", str(row["community_id"]), **_row_facts(row),
                             trace_codes=code_list(split_keys(row.get("trace_codes")))["trace_codes"])
            for column, type_ in (("institutions", "Institution"), ("persons", "Person"), ("trace_codes", "Code")):
                for key in split_keys(row.get(column)):
                    self.edge(self.node(type_, key), ring, "MEMBER_OF")

    def drop_bare_codes(self) -> int:
        """Remove the code nodes the case does not hold whose only edges tie them to a ring; how many."""
        graph = self.graph
        bare = [node for node, data in graph.nodes(data=True) if data["type"] == "Code" and not data["in_case"]
                and all(d["type"] == "MEMBER_OF" for *_, d in graph.in_edges(node, data=True))
                and all(d["type"] == "MEMBER_OF" for *_, d in graph.out_edges(node, data=True))]
        graph.remove_nodes_from(bare)
        return len(bare)

    def event_edge(self, edge: GraphEdge) -> None:
        start, end = (self.node(*node.split(":", 1)) for node in (edge.start, edge.end))
        self.edge(start, end, edge.type, edge.key, **edge.facts)

    def times(self, rows: Iterable[Mapping]) -> None:
        """Each entity node's first and last event time (``rows`` in time order)."""
        first: dict[str, str] = {}
        last: dict[str, str] = {}
        for row in rows:
            moment = row["event_time"]
            if not moment:
                continue
            for type_, column in (("Institution", "institution_code"), ("Code", "trace_code"),
                                  ("Person", "person"), ("Product", "med_list_codg")):
                if row[column]:
                    node = f"{type_}:{row[column]}"
                    first.setdefault(node, moment)
                    last[node] = moment
        for node, moment in first.items():
            if node in self.graph:
                self.graph.nodes[node].setdefault("first_time", moment)
                self.graph.nodes[node].setdefault("last_time", last[node])


def _row_facts(row: Mapping) -> dict:
    """What a lead's or ring's node carries from its row (times as ISO text, numbers as numbers)."""
    facts = {name: str(row[name]) for name in ("scenario", "rule_id", "kind", "explanation_zh", "explanation_en")
             if row.get(name) not in (None, "")}
    facts.update({name: iso(row[name]) for name in ("first_time", "last_time") if row.get(name) not in (None, "")})
    facts.update({name: float(row[name]) for name in ("score", "amount") if _is_number(row.get(name))})
    facts.update({name: int(float(row[name])) for name in ("rank", "event_count", "code_count")
                  if _is_number(row.get(name))})
    return facts


def _is_number(value: object) -> bool:
    try:
        return value not in (None, "") and float(value) == float(value)
    except (TypeError, ValueError):
        return False


def _institution_facts(known: Mapping, events: pa.Table) -> dict[str, dict]:
    """Institution code → name, type and region: from the evidence's table, else from the events."""
    facts: dict[str, dict] = {}
    present = [c for c in ("institution_code", "institution_type", "region_code") if c in events.column_names]
    if "institution_code" in present:
        for row in events.select(present).to_pylist():
            mine = facts.setdefault(str(row["institution_code"] or ""), {})
            for name in present[1:]:
                if row.get(name) and name not in mine:
                    mine[name] = str(row[name])
    for code, info in known.items():
        mine = facts.setdefault(str(code), {})
        mine.update({name: str(value) for name, value in (info or {}).items()
                     if name in ("institution_name", "institution_type", "region_code") and value})
    return facts


def _product_names(known: Mapping, events: pa.Table) -> dict[str, str]:
    """Product code → name: from the evidence's table, else the name as uploaded."""
    names: dict[str, str] = {}
    if {"med_list_codg", "product_name"} <= set(events.column_names):
        for row in events.select(["med_list_codg", "product_name"]).to_pylist():
            if row["med_list_codg"] and row["product_name"]:
                names.setdefault(str(row["med_list_codg"]), str(row["product_name"]))
    names.update({str(code): str(name) for code, name in known.items() if name})
    return names

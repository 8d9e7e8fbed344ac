"""``MemoryStore``: the graph in a networkx ``MultiDiGraph``, the embedded default and the reference
every other store must agree with. Writes are checked against the schema before anything is changed.

>>> from workbench.graph.elements import Context, event_elements
>>> store = MemoryStore()
>>> store.write(event_elements([{"event_id": "e1", "event_type": "sale", "trace_code": "81234560000000000012",
...                              "institution_code": "P50011600012"}], Context(key=b"k" * 32)))
>>> {name: n for name, n in store.counts().items() if n}
{'Code': 1, 'Institution': 1, 'Event': 1, 'OF_CODE': 1, 'AT': 1}
>>> [row["institution"] for row in store.code_history("81234560000000000012")]
['P50011600012']
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

import networkx as nx

from workbench.graph import walks
from workbench.graph.elements import Elements
from workbench.graph.schema import SchemaError, schema
from workbench.graph.store import (
    CODED_SCHEMES,
    DISPENSERS,
    FLOW_EVENT_TYPES,
    STANDALONE,
    WEAK,
    Entity,
    GraphStore,
    allowed_labels,
    as_time,
    chain_order,
    chain_row,
    count_table,
    flow_order,
    flow_row,
    history_row,
    lead_order,
    lead_row,
    node_id,
    sorted_paths,
    span_days,
    subgraph,
)

CODE_LABELS = ("Code", "Pack")


class MemoryStore(GraphStore):
    """A graph store in memory. Node attributes: ``label``, ``key``, ``props``; edges keyed by type."""

    def __init__(self) -> None:
        self.schema = schema()
        self.graph = nx.MultiDiGraph()
        self._undirected: nx.Graph | None = None  # walked by neighbourhood and paths; rebuilt after a write

    # writing

    def write(self, elements: Elements) -> None:
        self._check(elements)  # the whole batch first: a refused batch changes nothing
        self._undirected = None
        for label, rows in elements.nodes.items():
            key_name = self.schema.label(label).key
            for row in rows:
                self._merge_node(label, row[key_name], row)
        for link, rows in elements.relationships.items():
            for row in rows:
                props = {k: v for k, v in row.items() if k not in ("start", "end")}
                self.graph.add_edge(node_id(link.start, row["start"]), node_id(link.end, row["end"]), key=link.type,
                                    **props)

    def _check(self, elements: Elements) -> None:
        """Every row against the schema; every relationship's ends stored already or in the batch."""
        batch = set()
        for label, rows in elements.nodes.items():
            for row in rows:
                self.schema.check_node(label, row)
                batch.add(node_id(label, row[self.schema.label(label).key]))
        for link, rows in elements.relationships.items():
            for row in rows:
                self.schema.check_relationship(link, row)
                for label, key in ((link.start, row["start"]), (link.end, row["end"])):
                    if node_id(label, key) not in batch and node_id(label, key) not in self.graph:
                        raise SchemaError(f"关系 {link.type} 的端点 {label} {key!r} 不存在 / the {link.type} "
                                          f"relationship's end {label} {key!r} is neither stored nor in the batch")

    def _merge_node(self, label: str, key: str, row: dict) -> None:
        node = node_id(label, key)
        if node in self.graph:
            self.graph.nodes[node]["props"].update(row)
        else:
            self.graph.add_node(node, label=label, key=key, props=dict(row))

    def counts(self) -> dict[str, int]:
        nodes = Counter(label for _, label in self.graph.nodes(data="label"))
        return count_table(nodes, Counter(key for _, _, key in self.graph.edges(keys=True)))

    def clear(self) -> None:
        self.graph.clear()
        self._undirected = None

    def keys(self, label: str) -> set[str]:
        name = self.schema.label(label).name
        return {data["key"] for _, data in self.graph.nodes(data=True) if data["label"] == name}

    def absent(self, label: str, keys: Iterable[str]) -> set[str]:
        name = self.schema.label(label).name
        return {key for key in keys if node_id(name, key) not in self.graph}

    def remove(self, label: str, keys: Iterable[str]) -> int:
        name = self.schema.label(label).name
        nodes = [node for node in {node_id(name, key) for key in keys} if node in self.graph]
        ends = {end for node in nodes for end in nx.all_neighbors(self.graph, node)}
        self.graph.remove_nodes_from(nodes)
        while ends:  # what the removed nodes pointed to, then what those pointed to…
            gone = [node for node in ends if node in self.graph and self._unreferenced(node)]
            ends = {end for node in gone for end in self.graph.successors(node)}
            self.graph.remove_nodes_from(gone)
        self._undirected = None
        return len(nodes)

    def _unreferenced(self, node: str) -> bool:
        return (self.graph.nodes[node]["label"] not in STANDALONE
                and all(type_ in WEAK for _, _, type_ in self.graph.in_edges(node, keys=True))
                and not self._out(node, "CONTAINS"))

    def close(self) -> None:
        """Nothing to release."""

    # walking

    def _walkable(self) -> nx.Graph:
        """The graph without directions and parallel relationships, for walking."""
        if self._undirected is None:
            self._undirected = nx.Graph()
            self._undirected.add_nodes_from(self.graph)
            self._undirected.add_edges_from(self.graph.edges())
        return self._undirected

    def _props(self, node: str) -> dict:
        return self.graph.nodes[node]["props"]

    def _out(self, node: str, type_: str) -> list[str]:
        return sorted(end for _, end, key in self.graph.out_edges(node, keys=True) if key == type_)

    def _in(self, node: str, type_: str) -> list[str]:
        return sorted(start for start, _, key in self.graph.in_edges(node, keys=True) if key == type_)

    def _key(self, node: str, type_: str) -> str | None:
        """The key of the (first) node this one points to by ``type_``."""
        ends = self._out(node, type_)
        return self.graph.nodes[ends[0]]["key"] if ends else None

    def _event(self, node: str) -> dict:
        """An event with the keys of what it points to, for history and chains."""
        props = self._props(node)
        institution = (self._out(node, "AT") or [None])[0]
        return {**props, "node": node, "institution": self.graph.nodes[institution]["key"] if institution else None,
                "institution_type": self._props(institution).get("type") if institution else None,
                "patient": self._key(node, "TO_PATIENT"), "product": self._key(node, "OF_PRODUCT")}

    def _code_events(self, code_node: str) -> list[dict]:
        events = [self._event(event) for event in self._in(code_node, "OF_CODE")]
        return sorted(events, key=_by_time)

    def _code_nodes(self, code: str | None) -> list[str]:
        if code is not None:
            return [node_id(label, code) for label in CODE_LABELS if node_id(label, code) in self.graph]
        return sorted(node for node, label in self.graph.nodes(data="label") if label in CODE_LABELS)

    # queries

    def code_history(self, code: str) -> list[dict]:
        events = [event for node in self._code_nodes(code) for event in self._code_events(node)]
        return [history_row(event) for event in sorted(events, key=_by_time)]

    def neighbourhood(self, label: str, key: str, hops: int = 2, since: datetime | str | None = None,
                      until: datetime | str | None = None, labels: Iterable[str] | None = None) -> nx.MultiDiGraph:
        start = node_id(self.schema.label(label).name, key)
        if start not in self.graph:
            return nx.MultiDiGraph()
        allowed = self._allowed(start, allowed_labels(labels), as_time(since), as_time(until))
        reached = walks.distances(nx.subgraph_view(self._walkable(), filter_node=allowed), start, hops)
        inside = self.graph.subgraph(reached)
        return subgraph(((d["label"], d["key"], d["props"]) for _, d in inside.nodes(data=True)),
                        ((u, v, k, d) for u, v, k, d in inside.edges(keys=True, data=True)))

    def _allowed(self, start: str, labels: frozenset[str] | None, since: datetime | None, until: datetime | None):
        def allowed(node: str) -> bool:
            if node == start:
                return True
            data = self.graph.nodes[node]
            if labels is not None and data["label"] not in labels:
                return False
            if data["label"] != "Event" or (since is None and until is None):
                return True
            time = data["props"].get("event_time")
            return time is not None and (since is None or since <= time) and (until is None or time <= until)

        return allowed

    def reflux_chains(self, code: str | None = None, min_span_days: float = 7) -> list[dict]:
        chains = []
        for node in self._code_nodes(code):
            events = self._code_events(node)
            sales = [e for e in events if e.get("event_type") == "sale" and e["institution"] and e.get("event_time")]
            for first in (e for e in sales if e["institution_type"] in DISPENSERS):
                for resale in sales:
                    if _is_reflux(first, resale, events, min_span_days):
                        chains.append(chain_row(_chain(self.graph.nodes[node]["key"], first, resale)))
        return sorted(chains, key=chain_order)

    def paths(self, a: Entity, b: Entity, max_hops: int = 6, time_respecting: bool = False,
              labels: Iterable[str] | None = None) -> list[list[str]]:
        ends = [node_id(self.schema.label(label).name, key) for label, key in (a, b)]
        if any(end not in self.graph for end in ends):
            return []
        only = allowed_labels(labels)

        def allowed(node: str) -> bool:  # on a time-respecting path, every event has a time
            data = self.graph.nodes[node]
            if time_respecting and data["label"] == "Event" and data["props"].get("event_time") is None:
                return False
            return node in ends or only is None or data["label"] in only

        unfiltered = only is None and not time_respecting
        view = self._walkable() if unfiltered else nx.subgraph_view(self._walkable(), filter_node=allowed)
        if not time_respecting:
            return sorted_paths(walks.shortest_paths(view, ends[0], ends[1], max_hops))
        return sorted_paths(walks.time_respecting_paths(view, ends[0], ends[1], max_hops, self._event_time))

    def _event_time(self, node: str) -> datetime | None:
        data = self.graph.nodes[node]
        return data["props"].get("event_time") if data["label"] == "Event" else None

    def leads_of(self, label: str, key: str) -> list[dict]:
        node = node_id(self.schema.label(label).name, key)
        if node not in self.graph:
            return []
        rows = [lead_row(self._props(lead), data.get("role"))
                for lead, _, type_, data in self.graph.in_edges(node, keys=True, data=True) if type_ == "FLAGS"]
        return sorted(rows, key=lead_order)

    def flow_events(self) -> list[dict]:
        rows = []
        for node in self._code_nodes(None):
            if self._props(node).get("scheme") not in CODED_SCHEMES:
                continue
            events = [self._event(event) for event in self._in(node, "OF_CODE")]
            if sum(event.get("event_type") == "sale" for event in events) < 2:
                continue
            code = self.graph.nodes[node]["key"]
            rows += [flow_row(self._flow_values(code, event)) for event in events
                     if event.get("event_type") in FLOW_EVENT_TYPES and event["institution"] and event.get("event_time")]
        return sorted(rows, key=flow_order)

    def _flow_values(self, code: str, event: dict) -> dict:
        institution = self._out(event["node"], "AT")[0]
        return {**event, "trace_code": code, "institution_code": event["institution"], "person": event["patient"],
                "region_code": self._props(institution).get("region"), "med_list_codg": event["product"]}

    def dispensed_codes(self, kind: str, keys: Iterable[str]) -> dict[str, int]:
        label, type_ = {"person": ("Patient", "TO_PATIENT"), "institution": ("Institution", "AT")}[kind]
        counts = {}
        for key in sorted(set(keys)):
            node = node_id(label, key)
            if node not in self.graph:
                continue
            codes = {self.graph.nodes[code]["key"] for event in self._in(node, type_) if self._is_dispensing(event)
                     for code in self._out(event, "OF_CODE") if self._props(code).get("scheme") in CODED_SCHEMES}
            if codes:
                counts[key] = len(codes)
        return counts

    def _is_dispensing(self, event: str) -> bool:
        return self._props(event).get("event_type") == "sale" and any(
            self._props(place).get("type") in DISPENSERS for place in self._out(event, "AT"))



def _by_time(event: dict) -> tuple:
    time = event.get("event_time")
    return time is None, time or datetime.min, event.get("event_id") or ""


def _is_reflux(first: dict, resale: dict, events: list[dict], min_span_days: float) -> bool:
    if resale["institution"] == first["institution"]:
        return False
    if (resale["event_time"] - first["event_time"]).total_seconds() <= min_span_days * 86400:
        return False
    return not any(first["event_time"] < x.get("event_time", first["event_time"]) < resale["event_time"]
                   and ((x.get("event_type") == "sale_return" and x["institution"] == first["institution"])
                        or (x.get("event_type") == "transfer_in" and x["institution"] == resale["institution"]))
                   for x in events if x.get("event_time"))


def _chain(code: str, first: dict, resale: dict) -> dict:
    return {"code": code, "first_seller": first["institution"], "first_seller_type": first["institution_type"],
            "patient": first["patient"], "first_event": first["event_id"], "first_time": first["event_time"],
            "reseller": resale["institution"], "reseller_type": resale["institution_type"],
            "resale_event": resale["event_id"], "resale_time": resale["event_time"],
            "span_days": span_days(first["event_time"], resale["event_time"])}

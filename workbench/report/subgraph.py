"""Each lead's subgraph for the report: the lead, what it flags, and the events that show why, small enough
to read (at most ``MAX_NODES`` nodes).

Chosen through the ``GraphStore`` protocol only, so any store serves:

1. the lead and every entity it ``FLAGS`` (always shown, even past the cap);
2. the evidence: a flagged code's whole history (``Code``/``Pack`` → its events → their institutions,
   patients, products, suppliers), or, for a lead without a code, the main institution's events between the
   lead's first and last time (only those of the flagged product, when the lead names one);
3. events ranked by how many flagged entities they touch, then rarer event types first (a few purchases
   among many sales), then by time; each is added with its institution, patient, code and product while the
   graph stays within the cap. The rest are counted, not drawn.

>>> rank_key(3, 90, "2025-06-01T09:00:00", "e2") < rank_key(2, 1, "2025-05-01T09:00:00", "e1")
True
>>> rank_key(2, 4, "2025-06-01T09:00:00", "e2") < rank_key(2, 90, "2025-05-01T09:00:00", "e1")
True
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import networkx as nx

from workbench.graph.store import GraphStore, entity, node_id

#: At most this many nodes per lead's subgraph (the lead and what it flags are shown even beyond it).
MAX_NODES = 60
#: Labels walked to find a lead's evidence (never other leads, never regions).
EVIDENCE_LABELS = ("Event", "Institution", "Patient", "Product", "Code", "Pack")
CODE_LABELS = ("Code", "Pack")


@dataclass(frozen=True)
class LeadGraph:
    """A lead (its ``leads`` row), its subgraph, and how many of the evidence events it shows."""

    lead: Mapping
    graph: nx.MultiDiGraph
    events_shown: int
    events_found: int


def lead_graph(store: GraphStore, lead: Mapping, max_nodes: int = MAX_NODES) -> LeadGraph:
    """The lead's subgraph (empty when the store does not hold the lead)."""
    core = store.neighbourhood("Lead", lead["lead_id"], hops=1)
    if not core:
        return LeadGraph(lead, core, 0, 0)
    anchors = _anchors(core, lead)
    evidence = nx.compose_all([core, *(_evidence(store, lead, anchor) for anchor in anchors)])
    events = ranked_events(evidence, _evidence_events(evidence, core, anchors), set(core))
    keep, shown = set(core), 0
    for node in anchors:
        keep |= _fitting(keep, _context(evidence, node), max_nodes)
    for event in events:
        extra = {event} | _context(evidence, event)
        if len(keep | extra) > max_nodes:
            break
        keep |= extra
        shown += 1
    return LeadGraph(lead, nx.MultiDiGraph(evidence.subgraph(keep)), shown, len(events))


def _anchors(core: nx.MultiDiGraph, lead: Mapping) -> list[str]:
    """The nodes whose events are the evidence: the flagged codes, else the main institution."""
    codes = sorted(node for node, label in core.nodes(data="label") if label in CODE_LABELS)
    main = node_id("Institution", lead.get("institution_code") or "")
    return codes or ([main] if main in core else [])


def _evidence(store: GraphStore, lead: Mapping, anchor: str) -> nx.MultiDiGraph:
    """An anchor's events and what they touch: a code's whole history, an institution's events within the
    lead's time span."""
    label, key = entity(anchor)
    if label in CODE_LABELS:
        return store.neighbourhood(label, key, hops=2, labels=EVIDENCE_LABELS)
    return store.neighbourhood(label, key, hops=2, since=lead.get("first_time"), until=lead.get("last_time"),
                               labels=EVIDENCE_LABELS)


def _evidence_events(graph: nx.MultiDiGraph, core: nx.MultiDiGraph, anchors: list[str]) -> set[str]:
    """The events next to an anchor; next to an institution, only those of the flagged products (if any)."""
    events = {n for anchor in anchors for n in nx.all_neighbors(graph, anchor) if graph.nodes[n]["label"] == "Event"}
    products = {node for node, label in core.nodes(data="label") if label == "Product"}
    if products and all(graph.nodes[anchor]["label"] == "Institution" for anchor in anchors):
        events = {event for event in events if products.intersection(nx.all_neighbors(graph, event))}
    return events


def ranked_events(graph: nx.MultiDiGraph, events: Iterable[str], flagged: set[str]) -> list[str]:
    """``events`` in the order they are drawn (``rank_key``)."""
    events = set(events)
    touching = {event: len(flagged.intersection(nx.all_neighbors(graph, event))) for event in events}
    kinds = Counter(graph.nodes[event].get("event_type") for event in events)
    return sorted(events, key=lambda e: rank_key(touching[e], kinds[graph.nodes[e].get("event_type")],
                                                 graph.nodes[e].get("event_time"), e))


def rank_key(touching: int, kind_count: int, time: str | None, event: str) -> tuple:
    """Events touching more flagged entities first, then those of rarer types, then earlier ones (untimed
    last), then by id."""
    return -touching, kind_count, time is None, time or "", event


def _context(graph: nx.MultiDiGraph, node: str) -> set[str]:
    """What a node is drawn with: its neighbours that are not events, leads or regions."""
    return {n for n in nx.all_neighbors(graph, node) if graph.nodes[n]["label"] in EVIDENCE_LABELS[1:]}


def _fitting(keep: set[str], extra: set[str], max_nodes: int) -> set[str]:
    """``extra`` when the graph stays within the cap with it, else nothing."""
    return extra if len(keep | extra) <= max_nodes else set()

"""Making a big answer graph drawable: events folded into counted edges, then institutions grouped by
region, then the leaves of a node (persons who bought one code…) grouped by label, then (a last resort)
only the nodes nearest the ones that matter kept.

Every step keeps what the time bar needs: a counted edge holds the times of the events it stands for.

>>> from workbench.graph.store import subgraph
>>> graph = subgraph([("Code", "C1", {}), ("Institution", "H1", {"region": "500116"}),
...                   ("Event", "e1", {"event_type": "sale", "event_time": "2025-06-01T09:00:00"}),
...                   ("Event", "e2", {"event_type": "sale", "event_time": "2025-06-03T09:00:00"})],
...                  [("Event:e1", "Code:C1", "OF_CODE", {}), ("Event:e1", "Institution:H1", "AT", {}),
...                   ("Event:e2", "Code:C1", "OF_CODE", {}), ("Event:e2", "Institution:H1", "AT", {})])
>>> folded, events = fold_events(graph)
>>> events, [(u, v, d["count"], d["times"]) for u, v, d in folded.edges(data=True)]
(2, [('Code:C1', 'Institution:H1', 2, ['2025-06-01T09:00:00', '2025-06-03T09:00:00'])])
"""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx

from workbench.graph.store import node_id

#: The label of a node standing for several (a region's institutions, a node's leaves of one label); its
#: ``members``, their ``of`` label, and the ``region`` or the node it hangs ``around``. Not a schema label.
GROUP = "Group"
#: Which end of an event the counted edges start from, by the relationship reaching it (the code first).
HUB_ORDER = ("OF_CODE", "AT", "TO_PATIENT", "FROM_SUPPLIER", "OF_PRODUCT")


def fold_events(graph: nx.MultiDiGraph, keep: Iterable[str] = ()) -> tuple[nx.MultiDiGraph, int]:
    """``graph`` without its Event nodes (except ``keep``): each event joins its code (else its institution…)
    to its other ends by one edge per (ends, relationship, event type) with ``count`` and ``times``; an
    event's product is left out when its code already points to it. Also how many events were folded."""
    kept = set(keep)
    events = [n for n, label in graph.nodes(data="label") if label == "Event" and n not in kept]
    folded = _without(graph, set(events))
    counted: dict[tuple, dict] = {}
    for event in events:
        ends = _ends(graph, event, folded)
        if not ends:
            continue
        hub = ends[0][1]
        data = graph.nodes[event]
        for type_, end in ends[1:]:
            if end == hub or (type_ == "OF_PRODUCT" and folded.has_edge(hub, end)):
                continue
            edge = counted.setdefault((hub, end, type_, data.get("event_type") or ""), {"count": 0, "times": []})
            edge["count"] += 1
            if data.get("event_time"):
                edge["times"].append(data["event_time"])
    for (hub, end, type_, event_type), edge in counted.items():
        folded.add_edge(hub, end, key=f"{type_}:{event_type}", type=type_, event_type=event_type,
                        count=edge["count"], times=sorted(edge["times"]))
    return folded, len(events)


def _without(graph: nx.MultiDiGraph, gone: set[str]) -> nx.MultiDiGraph:
    """A copy of ``graph`` without the ``gone`` nodes (built from what stays: cheaper than copying all)."""
    kept = nx.MultiDiGraph()
    kept.add_nodes_from((node, dict(data)) for node, data in graph.nodes(data=True) if node not in gone)
    kept.add_edges_from((start, end, key, dict(data)) for start in kept
                        for _, end, key, data in graph.out_edges(start, keys=True, data=True) if end not in gone)
    return kept


def _ends(graph: nx.MultiDiGraph, event: str, drawn: nx.MultiDiGraph) -> list[tuple[str, str]]:
    """``(relationship, node)`` of the event's drawn neighbours, the hub (``HUB_ORDER``) first."""
    ends = [(type_, end) for _, end, type_ in graph.out_edges(event, keys=True) if end in drawn]
    ends += [(type_, start) for start, _, type_ in graph.in_edges(event, keys=True) if start in drawn]
    return sorted(ends, key=lambda end: (HUB_ORDER.index(end[0]) if end[0] in HUB_ORDER else len(HUB_ORDER), end))


def group_regions(graph: nx.MultiDiGraph, keep: Iterable[str] = ()) -> tuple[nx.MultiDiGraph, int, int]:
    """Institutions (except ``keep``) of every region with two or more of them drawn as one ``Group`` node
    (``region``, ``members``), their edges merged (counts added, times joined); edges inside a group go.
    Also how many institutions were grouped, into how many groups."""
    kept = set(keep)
    by_region: dict[str, list[str]] = {}
    for node, data in graph.nodes(data=True):
        if data["label"] == "Institution" and node not in kept:
            by_region.setdefault(str(data.get("region") or "?"), []).append(node)
    groups = {region: members for region, members in by_region.items() if len(members) > 1}
    into = {member: node_id(GROUP, region) for region, members in groups.items() for member in members}
    grouped = nx.MultiDiGraph()
    grouped.add_nodes_from((n, d) for n, d in graph.nodes(data=True) if n not in into)
    for region, members in sorted(groups.items()):
        grouped.add_node(node_id(GROUP, region), label=GROUP, key=region, caption=region, of="Institution",
                         region=region, members=sorted(members))
    _merged_edges(graph, grouped, into)
    return grouped, len(into), len(groups)


def group_leaves(graph: nx.MultiDiGraph, keep: Iterable[str] = ()) -> tuple[nx.MultiDiGraph, int, int]:
    """The nodes (except ``keep`` and groups) joined to one other node only, two or more of one label on
    the same node, drawn as one ``Group`` node (``of``, ``around``, ``members``). Also how many nodes were
    grouped, into how many groups."""
    kept, around = set(keep), {}
    undirected = graph.to_undirected(as_view=True)
    for node, data in graph.nodes(data=True):
        if node not in kept and data["label"] != GROUP:
            neighbours = set(undirected.neighbors(node)) - {node}
            if len(neighbours) == 1:
                around.setdefault((next(iter(neighbours)), data["label"]), []).append(node)
    groups = {place: members for place, members in around.items() if len(members) > 1}
    into = {member: node_id(GROUP, f"{label}@{hub}") for (hub, label), members in groups.items() for member in members}
    grouped = nx.MultiDiGraph()
    grouped.add_nodes_from((n, d) for n, d in graph.nodes(data=True) if n not in into)
    for (hub, label), members in sorted(groups.items()):
        key = f"{label}@{hub}"
        grouped.add_node(node_id(GROUP, key), label=GROUP, key=key, caption=key, of=label, around=hub,
                         members=sorted(members))
    _merged_edges(graph, grouped, into)
    return grouped, len(into), len(groups)


def _merged_edges(graph: nx.MultiDiGraph, grouped: nx.MultiDiGraph, into: dict[str, str]) -> None:
    """``graph``'s edges into ``grouped``, each end replaced by its group; edges inside a group dropped."""
    for start, end, key, data in graph.edges(keys=True, data=True):
        ends = into.get(start, start), into.get(end, end)
        if ends[0] == ends[1] and (start in into or end in into):
            continue
        _merge_edge(grouped, *ends, key, data)


def _merge_edge(graph: nx.MultiDiGraph, start: str, end: str, key: str, data: dict) -> None:
    found = graph.get_edge_data(start, end, key)
    if found is None:
        graph.add_edge(start, end, key=key, **{**data, "count": data.get("count", 1),
                                               "times": list(data.get("times", ()))})
    else:
        found["count"] += data.get("count", 1)
        found["times"] = sorted(found["times"] + list(data.get("times", ())))


def nearest(graph: nx.MultiDiGraph, roots: Iterable[str], limit: int) -> nx.MultiDiGraph:
    """The ``limit`` nodes nearest ``roots`` (walking either way, ring by ring, the busiest first: most
    events counted on their edges; then from the busiest nodes of the parts not reached) and the edges
    among them."""
    if graph.number_of_nodes() <= limit:
        return graph
    undirected = graph.to_undirected(as_view=True)
    busy = dict(graph.degree(weight="count"))
    starts = [root for root in roots if root in graph] + sorted(graph, key=lambda n: (-busy[n], n))
    chosen: dict[str, None] = {}
    for start in starts:
        if len(chosen) >= limit:
            break
        if start not in chosen:
            _walk(undirected, start, chosen, limit, busy)
    return graph.subgraph(chosen).copy()


def _walk(graph: nx.Graph, start: str, chosen: dict[str, None], limit: int, busy: dict[str, float]) -> None:
    """Ring by ring from ``start``, the busiest nodes of a ring first, adding to ``chosen`` until it
    holds ``limit`` nodes."""
    chosen[start] = None
    ring = [start]
    while ring and len(chosen) < limit:
        found = {neighbour for node in ring for neighbour in graph.neighbors(node) if neighbour not in chosen}
        ring = sorted(found, key=lambda n: (-busy[n], n))[: limit - len(chosen)]
        chosen.update(dict.fromkeys(ring))

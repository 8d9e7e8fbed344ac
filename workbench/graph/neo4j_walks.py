"""Walks over a Neo4j graph that must equal ``MemoryStore``'s: neighbourhoods (one query: every node with
a shortest path of at most ``hops`` through allowed nodes, ``ANY SHORTEST`` over a quantified path, and
the relationships among them), every shortest path (``allShortestPaths``) and time-respecting paths (the
nodes near the target fetched breadth-first, one query per hop, then ``walks.time_respecting_paths`` as
``MemoryStore`` runs it).

``run(query, **params)`` runs one read query and returns its records as dicts.

>>> Allowed(labels=frozenset({"Event"})).params()["labels"]
['Event']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

import networkx as nx

from workbench.graph import walks
from workbench.graph.neo4j_write import identifier
from workbench.graph.schema import schema
from workbench.graph.store import entity, node_id, subgraph

Run = Callable[..., list[dict]]

#: Whether node ``b`` may be walked through (see ``Allowed``).
_ALLOWED = """
($timed = false OR NOT b:Event OR b.event_time IS NOT NULL)
AND (elementId(b) IN $ends OR (
  ($labels IS NULL OR any(l IN labels(b) WHERE l IN $labels))
  AND (NOT b:Event OR ($since IS NULL AND $until IS NULL)
       OR (b.event_time IS NOT NULL AND ($since IS NULL OR b.event_time >= $since)
           AND ($until IS NULL OR b.event_time <= $until)))))
"""

#: One hop from the frontier: every allowed neighbour, with its label, key and (events) time.
_HOP = f"""
UNWIND $frontier AS id
MATCH (a) WHERE elementId(a) = id
MATCH (a)-[{{types}}]-(b) WHERE {_ALLOWED}
RETURN DISTINCT id AS source, elementId(b) AS node, labels(b)[0] AS label, b[$keys[labels(b)[0]]] AS key,
       CASE WHEN b:Event THEN b.event_time END AS time
"""

#: Nodes ``n`` with their properties and the relationships going out of them.
_NODE_ROWS = """
RETURN elementId(n) AS id, labels(n)[0] AS label, properties(n) AS props,
       COLLECT { MATCH (n)-[r]->(m) RETURN [elementId(m), type(r), properties(r)] } AS out
"""

_SHORTEST = """
MATCH (a) WHERE elementId(a) = $a
MATCH (b) WHERE elementId(b) = $b
MATCH p = allShortestPaths((a)-[*..{max_hops}]-(b))
WHERE all(n IN nodes(p) WHERE n = a OR n = b OR $labels IS NULL OR any(l IN labels(n) WHERE l IN $labels))
RETURN [n IN nodes(p) | [labels(n)[0], n[$keys[labels(n)[0]]]]] AS path
"""


@dataclass(frozen=True)
class Allowed:
    """The nodes a walk may pass through: ``ends`` (element ids) always; any other node if its label is
    in ``labels`` (all when ``None``) and, for an Event, its time is in the window ``since``–``until``.
    With ``timed``, an Event without a time is never allowed (time-respecting walks)."""

    labels: frozenset[str] | None = None
    since: datetime | None = None
    until: datetime | None = None
    timed: bool = False
    ends: tuple[str, ...] = field(default_factory=tuple)

    def params(self) -> dict:
        return {"labels": None if self.labels is None else sorted(self.labels), "since": self.since,
                "until": self.until, "timed": self.timed, "ends": list(self.ends), "keys": label_keys()}


def walk_types(labels: frozenset[str] | None, ends: Iterable[str]) -> list[str] | None:
    """The relationship types a walk through ``labels`` (and its ``ends``' labels) can use (``None``: all).
    A relationship joins two walked nodes, so a type none of whose starts or none of whose ends may be
    walked is skipped: a busy node's thousands of other relationships are never read.

    >>> walk_types(frozenset({"Lead", "Code", "Product"}), ["Institution"])
    ['OF_PRODUCT', 'FLAGS']
    """
    if labels is None:
        return None
    walked = labels | set(ends)
    return [identifier(r.type) for r in schema().relationships if walked & set(r.starts) and walked & set(r.ends)]


def label_keys() -> dict[str, str]:
    """Each label's key property, for ``n[$keys[labels(n)[0]]]``."""
    return {label.name: label.key for label in schema().labels}


@dataclass
class Ball:
    """What a breadth-first search reached: distances, the edges met and each node's id and time."""

    distance: dict[str, int]
    edges: set[tuple[str, str]] = field(default_factory=set)
    ids: dict[str, str] = field(default_factory=dict)
    times: dict[str, object] = field(default_factory=dict)


def reach(run: Run, start: str, hops: int, allowed: Allowed, types: list[str] | None = None) -> Ball:
    """Breadth-first from ``start`` (an element id) to ``hops`` relationships of ``types`` (all when
    ``None``), through allowed nodes."""
    ball, frontier = Ball({start: 0}), [start] if types != [] else []
    query = _HOP.replace("{types}", ":" + "|".join(map(identifier, types)) if types else "")
    for depth in range(1, hops + 1):
        if not frontier:
            break
        found = []
        for row in run(query, frontier=frontier, **allowed.params()):
            ball.edges.add((row["source"], row["node"]))
            if row["node"] not in ball.distance:
                ball.distance[row["node"]] = depth
                ball.ids[row["node"]] = node_id(row["label"], row["key"])
                ball.times[row["node"]] = _native(row["time"])
                found.append(row["node"])
        frontier = found
    return ball


def neighbourhood(run: Run, label: str, key: str, hops: int, allowed: Allowed) -> nx.MultiDiGraph:
    """The nodes within ``hops`` of the node ``label`` ``key`` through allowed nodes, and every relationship
    among them, as ``store.subgraph`` shapes an answer (empty when the node is not there)."""
    declared = schema().label(label)
    start = f"MATCH (s:{identifier(declared.name)} {{{identifier(declared.key)}: $key}}) "
    types = walk_types(allowed.labels, [declared.name])
    if hops < 1 or types == []:
        reach_all = "WITH s AS n "
    else:
        kinds = ":" + "|".join(types) if types else ""
        reach_all = (f"MATCH ANY SHORTEST (s) ((a)-[{kinds}]-(b) WHERE {_ALLOWED}){{0,{int(hops)}}} (n) "
                     "WITH DISTINCT n ")
    rows = run(start + reach_all + _NODE_ROWS, key=key, **allowed.params())
    keys = label_keys()
    ids = {row["id"]: node_id(row["label"], row["props"][keys[row["label"]]]) for row in rows}
    nodes = [(row["label"], row["props"][keys[row["label"]]], _properties(row["props"])) for row in rows]
    relationships = [(ids[row["id"]], ids[end], type_, _properties(props))
                     for row in rows for end, type_, props in row["out"] if end in ids]
    return subgraph(nodes, relationships)


def shortest_paths(run: Run, ends: list[str], max_hops: int, labels: frozenset[str] | None) -> list[list[str]]:
    """Every shortest path between two nodes (element ids), through nodes of ``labels`` only."""
    if max_hops < 1:
        return []
    rows = run(_SHORTEST.replace("{max_hops}", str(int(max_hops))), a=ends[0], b=ends[1],
               labels=None if labels is None else sorted(labels), keys=label_keys())
    return [[node_id(label, key) for label, key in row["path"]] for row in rows]


def time_respecting_paths(run: Run, ends: list[str], max_hops: int, labels: frozenset[str] | None,
                          entities: tuple[str, str]) -> list[list[str]]:
    """The shortest time-respecting paths from ``ends[0]`` to ``ends[1]``: the nodes within ``max_hops``
    of the target are fetched, then walked as ``MemoryStore`` walks them. ``entities`` are the two ends'
    node ids."""
    a, b = ends
    types = walk_types(labels, [entity(node)[0] for node in entities])
    ball = reach(run, b, max_hops, Allowed(labels=labels, timed=True, ends=tuple(ends)), types)
    if a not in ball.distance:
        return []
    ball.ids.update({a: entities[0], b: entities[1]})
    ball.times.setdefault(b, _time_of(run, b))
    graph = nx.Graph()
    graph.add_nodes_from(ball.distance)
    graph.add_edges_from(ball.edges)
    found = walks.time_respecting_paths(graph, a, b, max_hops, ball.times.get)
    return [[ball.ids[node] for node in path] for path in found]


def _time_of(run: Run, element_id: str) -> object:
    rows = run("MATCH (n) WHERE elementId(n) = $id RETURN CASE WHEN n:Event THEN n.event_time END AS time",
               id=element_id)
    return _native(rows[0]["time"]) if rows else None


def _native(value: object) -> object:
    return value.to_native() if hasattr(value, "to_native") else value


def _properties(props: dict) -> dict:
    return {name: _native(value) for name, value in props.items()}

"""Path search on an undirected networkx graph (or view): every shortest path, and the shortest simple
paths that respect time (the events met along the path have non-decreasing times).

>>> g = nx.Graph([("a", "e1"), ("e1", "c"), ("c", "e2"), ("e2", "b"), ("a", "r"), ("r", "b")])
>>> times = {"e1": 2, "e2": 1}
>>> distances(g, "a", 1)
{'a': 0, 'e1': 1, 'r': 1}
>>> shortest_paths(g, "a", "b", 6)
[['a', 'r', 'b']]
>>> time_respecting_paths(g.subgraph(["a", "e1", "c", "e2", "b"]), "a", "b", 6, times.get)
[]
>>> time_respecting_paths(g.subgraph(["a", "e1", "c", "e2", "b"]), "b", "a", 6, times.get)
[['b', 'e2', 'c', 'e1', 'a']]
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator

import networkx as nx


def distances(graph: nx.Graph, source: Hashable, cutoff: int) -> dict:
    """Hops from ``source`` to every node at most ``cutoff`` hops away, breadth first. Unlike networkx's
    ``single_source_shortest_path_length`` it never sizes the graph, which on a filtered view means
    testing every node of the whole graph."""
    reached, frontier = {source: 0}, [source]
    for hop in range(1, cutoff + 1):
        frontier = [node for near in frontier for node in graph.neighbors(near) if node not in reached
                    and reached.setdefault(node, hop) == hop]
        if not frontier:
            break
    return reached


def shortest_paths(graph: nx.Graph, a: Hashable, b: Hashable, max_hops: int) -> list[list]:
    """Every shortest path from ``a`` to ``b`` of at most ``max_hops`` edges: each step goes to a
    neighbour one hop closer to ``b``."""
    to_b = distances(graph, b, max_hops)
    if a not in to_b:
        return []
    paths, partial = [], [[a]]
    while partial:
        path = partial.pop()
        if path[-1] == b:
            paths.append(path)
            continue
        closer = to_b[path[-1]] - 1
        partial += [[*path, node] for node in graph.neighbors(path[-1]) if to_b.get(node) == closer]
    return paths


def time_respecting_paths(graph: nx.Graph, a: Hashable, b: Hashable, max_hops: int,
                          time_of: Callable[[Hashable], object]) -> list[list]:
    """The shortest simple paths from ``a`` to ``b`` (at most ``max_hops`` edges) along which the times
    of the nodes that have one (``time_of`` is ``None`` for the others) never decrease.

    Deepening search: paths of each length in turn, each step only towards nodes close enough to ``b``
    to arrive in the hops left (distances from ``b`` ignoring time bound the search)."""
    to_b = distances(graph, b, max_hops)
    if a not in to_b:
        return []
    for length in range(to_b[a], max_hops + 1):
        found = list(_walks(graph, [a], {a}, b, length, to_b, time_of, time_of(a)))
        if found:
            return found
    return []


def _walks(graph: nx.Graph, path: list, on_path: set, b: Hashable, length: int, to_b: dict,
           time_of: Callable[[Hashable], object], last: object) -> Iterator[list]:
    if path[-1] == b:
        if len(path) - 1 == length:
            yield list(path)
        return
    left = length - len(path)  # hops left after the next step
    for node in graph.neighbors(path[-1]):
        if node in on_path or to_b.get(node, left + 1) > left:
            continue
        time = time_of(node)
        if time is not None and last is not None and time < last:
            continue
        path.append(node)
        on_path.add(node)
        yield from _walks(graph, path, on_path, b, length, to_b, time_of, last if time is None else time)
        path.pop()
        on_path.discard(node)

"""Communities of a weighted graph given in columns: one call, one deterministic answer.

``partition(sources, targets, weights)`` takes a weighted edge list (three equal-length columns: numpy
arrays, pandas or Arrow columns, or lists) of hashable node ids and returns ``{node: community}``.

- **Undirected view.** A flow ``a → b`` and a flow ``b → a`` are one undirected edge whose weight is the
  sum of all rows between ``a`` and ``b`` (either direction). Self-loops and zero weights carry no
  information about who belongs with whom and are dropped.
- **Every node named in the input is in the answer.** A node whose only rows are self-loops or have
  weight 0 (an isolated node) is alone in its own community.
- **Stable numbers.** Communities are numbered 0, 1, 2 … by size (most members first), ties broken by
  the smallest member id, whatever numbering the library used inside. Nodes are handed to the library in
  sorted order, so the answer does not depend on the order of the rows either. Node ids must therefore be
  of one comparable kind (all text, or all integers).
- **Same input, same seed, same answer**, in one process or another (one thread, seeded).

Methods: ``"leiden"`` (default; the Leiden algorithm maximising modularity, graspologic-native, MIT) and
``"louvain-networkx"`` (networkx's Louvain, the pure-Python baseline, far slower). See docs/analytics.md.

>>> communities = partition(["a", "b", "c", "x", "y", "z", "c"], ["b", "c", "a", "y", "z", "x", "x"],
...                         [5, 5, 5, 5, 5, 5, 1])
>>> communities
{'a': 0, 'b': 0, 'c': 0, 'x': 1, 'y': 1, 'z': 1}
>>> round(modularity(["a", "b", "c", "x", "y", "z", "c"], ["b", "c", "a", "y", "z", "x", "x"],
...                  [5, 5, 5, 5, 5, 5, 1], communities), 3)
0.468
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: The methods ``partition`` accepts; the first is the default.
METHODS = ("leiden", "louvain-networkx")
#: The objectives ``partition`` optimises; the first is the default.
OBJECTIVES = ("modularity", "cpm")


@dataclass(frozen=True)
class UndirectedGraph:
    """The undirected view of an edge list: ``nodes`` sorted, each edge once as indices ``first < second``
    into ``nodes``, edges sorted by ``(first, second)``, with the summed ``weight`` (every weight > 0)."""

    nodes: np.ndarray
    first: np.ndarray
    second: np.ndarray
    weight: np.ndarray

    @property
    def node_count(self) -> int:
        return len(self.nodes)

    def csr(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The symmetric adjacency as CSR arrays ``(indptr int64, indices int32, data float64)``."""
        # edges are sorted by (first, second): a stable sort by row of (second → first) followed by
        # (first → second) leaves every row's columns ascending
        rows = np.concatenate([self.second, self.first])
        columns = np.concatenate([self.first, self.second])
        order = np.argsort(rows, kind="stable")
        indptr = np.zeros(self.node_count + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=self.node_count), out=indptr[1:])
        return indptr, columns[order].astype(np.int32), np.concatenate([self.weight, self.weight])[order]


def partition(sources, targets, weights=None, *, resolution: float = 1.0, seed: int = 7,
              method: str = "leiden", objective: str = "modularity") -> dict[Hashable, int]:
    """Community number of every node of the weighted edge list ``sources[i] – targets[i]`` (weight
    ``weights[i]``, 1 when ``weights`` is None). A higher ``resolution`` gives more, smaller communities.
    ``objective``: ``modularity`` (γ = ``resolution``; what a community is depends on the whole graph)
    or ``cpm`` (the constant Potts model, Leiden only: a community is a group whose internal weight
    exceeds ``resolution`` per pair of members, whatever else the graph holds).

    >>> partition([1, 2, 3, 4], [2, 3, 1, 5], seed=7)
    {1: 0, 2: 0, 3: 0, 4: 1, 5: 1}
    >>> partition([], [])
    {}
    """
    if method not in _RUNNERS:
        raise ValueError(f"unknown method {method!r}: expected one of {', '.join(METHODS)}")
    if objective not in OBJECTIVES or (objective == "cpm" and method != "leiden"):
        raise ValueError(f"objective {objective!r} needs one of {OBJECTIVES} (cpm with leiden only)")
    if not resolution > 0:
        raise ValueError(f"resolution must be > 0, got {resolution!r}")
    if int(seed) != seed or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    graph = undirected_view(sources, targets, weights)
    if graph.node_count == 0:
        return {}
    labels = _RUNNERS[method](graph, float(resolution), int(seed), objective == "modularity")
    return dict(zip(graph.nodes.tolist(), stable_numbers(labels).tolist(), strict=True))


def modularity(sources, targets, weights, communities: Mapping[Hashable, int], *,
               resolution: float = 1.0) -> float:
    """Newman's modularity of ``communities`` (node → community) on the undirected view of the edge list,
    the same view ``partition`` uses (0.0 for a graph without edges).

    >>> modularity([1, 3], [2, 4], None, {1: 0, 2: 0, 3: 1, 4: 1})
    0.5
    """
    graph = undirected_view(sources, targets, weights)
    total = float(graph.weight.sum())
    if total == 0:
        return 0.0
    try:
        labels = np.array([communities[node] for node in graph.nodes.tolist()])
    except KeyError as missing:
        raise ValueError(f"node {missing.args[0]!r} has no community") from None
    _, labels = np.unique(labels, return_inverse=True)
    inside = graph.weight[labels[graph.first] == labels[graph.second]].sum()
    degree = np.bincount(labels[graph.first], graph.weight, len(graph.nodes))
    degree += np.bincount(labels[graph.second], graph.weight, len(graph.nodes))
    return float(inside / total - resolution * np.sum((degree / (2 * total)) ** 2))


def undirected_view(sources, targets, weights=None) -> UndirectedGraph:
    """Sorted nodes and the deduplicated undirected edges of an edge list (see the module's docstring)."""
    source_ids, target_ids = _column(sources), _column(targets)
    if len(source_ids) != len(target_ids):
        raise ValueError(f"{len(source_ids)} sources but {len(target_ids)} targets")
    weight = _weights(weights, len(source_ids))
    nodes, codes = _sorted_codes(np.concatenate([source_ids, target_ids]))
    first, second = codes[: len(source_ids)], codes[len(source_ids):]
    keep = (first != second) & (weight > 0)
    low, high = np.minimum(first, second)[keep], np.maximum(first, second)[keep]
    pair, position = np.unique(low * len(nodes) + high, return_inverse=True)
    summed = np.bincount(position.ravel(), weight[keep], len(pair))
    return UndirectedGraph(nodes, pair // max(len(nodes), 1), pair % max(len(nodes), 1), summed)


def stable_numbers(labels: np.ndarray) -> np.ndarray:
    """Renumber ``labels`` (one per node, nodes in sorted order) 0, 1 … by community size, largest first,
    ties by the smallest member (the first position).

    >>> stable_numbers(np.array([9, 4, 4, 7, 9, 4])).tolist()
    [1, 0, 0, 2, 1, 0]
    """
    _, first_position, inverse, size = np.unique(labels, return_index=True, return_inverse=True,
                                                 return_counts=True)
    rank = np.empty(len(size), dtype=np.int64)
    rank[np.lexsort((first_position, -size))] = np.arange(len(size))
    return rank[inverse.ravel()]


def _column(values) -> np.ndarray:
    """A 1-d numpy array of node ids; lists keep their Python values (no silent text conversion)."""
    if isinstance(values, np.ndarray):
        return values.ravel()
    return pd.Series(values, dtype=None if len(values) else object).to_numpy()


def _weights(weights, count: int) -> np.ndarray:
    if weights is None:
        return np.ones(count)
    weight = np.asarray(weights, dtype=np.float64).ravel()
    if len(weight) != count:
        raise ValueError(f"{count} edges but {len(weight)} weights")
    if not np.all(np.isfinite(weight)) or np.any(weight < 0):
        raise ValueError("weights must be finite and >= 0")
    return weight


def _sorted_codes(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct ids, sorted, and the position of each of ``ids`` among them."""
    codes, distinct = pd.factorize(ids, use_na_sentinel=True)
    if len(codes) and codes.min() < 0:
        raise ValueError("node ids must not be missing (None or NaN)")
    distinct = np.asarray(distinct)
    try:
        order = np.argsort(distinct, kind="stable")
    except TypeError:
        raise TypeError("node ids must be of one comparable kind (all text or all integers)") from None
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return distinct[order], rank[codes]


def _leiden(graph: UndirectedGraph, resolution: float, seed: int, use_modularity: bool) -> np.ndarray:
    """Leiden (modularity or CPM) from graspologic-native on the CSR adjacency; single-threaded, seeded."""
    import graspologic_native

    if len(graph.weight) == 0:
        return np.arange(graph.node_count)
    indptr, indices, data = graph.csr()
    _, found = graspologic_native.leiden_csr(indptr, indices, data, graph.node_count, resolution=resolution,
                                             seed=seed, use_modularity=use_modularity, iterations=LEIDEN_ITERATIONS)
    labels = np.empty(graph.node_count, dtype=np.int64)
    labels[np.fromiter(found.keys(), np.int64, len(found))] = np.fromiter(found.values(), np.int64, len(found))
    return labels


def _louvain_networkx(graph: UndirectedGraph, resolution: float, seed: int, _modularity: bool = True) -> np.ndarray:
    """networkx's Louvain on the same view (nodes added in sorted order, so seeded runs repeat)."""
    import networkx as nx

    nx_graph = nx.Graph()
    nx_graph.add_nodes_from(range(graph.node_count))
    nx_graph.add_weighted_edges_from(zip(graph.first.tolist(), graph.second.tolist(), graph.weight.tolist(), strict=True))
    labels = np.empty(graph.node_count, dtype=np.int64)
    found = nx.community.louvain_communities(nx_graph, weight="weight", resolution=resolution, seed=seed)
    for number, members in enumerate(found):
        labels[list(members)] = number
    return labels


#: Full Leiden passes, each starting from the previous partition. A second pass gains ≈ 0.001 of
#: modularity for twice the time (docs/analytics.md); one pass already leaves no community disconnected.
LEIDEN_ITERATIONS = 1

_RUNNERS: dict[str, Callable[[UndirectedGraph, float, int, bool], np.ndarray]] = {
    "leiden": _leiden,
    "louvain-networkx": _louvain_networkx,
}

"""The community benchmark's test graph and how a partition is judged against it: a planted partition
(``planted_graph``), agreement with the plant (``normalized_mutual_information``) and communities that fall
apart (``disconnected_communities``). Used by ``partition_bench.py``."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench.analytics.partition import UndirectedGraph  # noqa: E402


def planted_graph(node_count: int, edge_count: int, seed: int) -> tuple[UndirectedGraph, np.ndarray]:
    """Communities of 20–2,000 nodes (log-normal, median 60) on shuffled ids; 75 % of the edges inside a
    community (weight 1 + Poisson(2)), 25 % between random nodes (weight 1 + Poisson(0.5)); every node has
    at least one edge; exactly ``edge_count`` distinct undirected edges. Returns the graph and the plant."""
    rng = np.random.default_rng(seed)
    sizes = np.clip(rng.lognormal(np.log(60), 0.9, node_count // 10), 20, 2000).astype(np.int64)
    planted = rng.permutation(np.repeat(np.arange(len(sizes)), sizes)[:node_count])
    members = np.argsort(planted, kind="stable")
    start = np.searchsorted(planted[members], np.arange(planted.max() + 1))
    size = np.bincount(planted)
    batches = [_draw(rng, planted, members, start, size, np.arange(node_count))]
    while (have := len(np.unique(np.concatenate([b[0] for b in batches])))) < edge_count:
        batches.append(_draw(rng, planted, members, start, size,
                             rng.integers(0, node_count, int((edge_count - have) * 1.3) + 100)))
    keys, weights = (np.concatenate(part) for part in zip(*batches, strict=True))
    _, first_seen = np.unique(keys, return_index=True)
    chosen = np.sort(first_seen)[:edge_count]
    chosen = chosen[np.argsort(keys[chosen])]  # the order undirected_view gives
    return UndirectedGraph(np.arange(node_count), keys[chosen] // node_count, keys[chosen] % node_count,
                           weights[chosen]), planted


def _draw(rng, planted, members, start, size, sources) -> tuple[np.ndarray, np.ndarray]:
    count, node_count = len(sources), len(planted)
    community = planted[sources]
    targets = members[start[community] + (rng.random(count) * size[community]).astype(np.int64)]
    between = rng.random(count) < 0.25
    targets[between] = rng.integers(0, node_count, int(between.sum()))
    weight = np.where(between, 1 + rng.poisson(0.5, count), 1 + rng.poisson(2.0, count)).astype(np.float64)
    keep = sources != targets
    low, high = np.minimum(sources, targets)[keep], np.maximum(sources, targets)[keep]
    return low * node_count + high, weight[keep]


def normalized_mutual_information(found: np.ndarray, planted: np.ndarray) -> float:
    """NMI (arithmetic mean normalisation) of two labellings of the same nodes."""
    _, found = np.unique(found, return_inverse=True)
    _, planted = np.unique(planted, return_inverse=True)
    _, joint = np.unique(found.astype(np.int64) * (planted.max() + 1) + planted, return_counts=True)

    def entropy(counts: np.ndarray) -> float:
        p = counts / counts.sum()
        return float(-(p * np.log(p)).sum())

    found_h, planted_h = entropy(np.bincount(found)), entropy(np.bincount(planted))
    mutual = found_h + planted_h - entropy(joint)
    return 2 * mutual / (found_h + planted_h) if found_h + planted_h else 1.0


def disconnected_communities(graph: UndirectedGraph, labels: np.ndarray) -> int:
    """How many communities fall apart into several pieces when only their inside edges are kept."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    inside = labels[graph.first] == labels[graph.second]
    shape = (graph.node_count, graph.node_count)
    _, piece = connected_components(coo_matrix((graph.weight[inside], (graph.first[inside],
                                                                       graph.second[inside])), shape=shape))
    _, community = np.unique(labels, return_inverse=True)
    pieces = np.unique(community.astype(np.int64) * graph.node_count + piece) // graph.node_count
    return int((np.bincount(pieces) > 1).sum())

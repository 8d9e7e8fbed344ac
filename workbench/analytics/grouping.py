"""Networks first, communities inside the big ones: how rings and clusters group their edges.

Edges that touch form one connected network. A network of at most ``split_above`` members is taken whole
(splitting a handful of people who share a reseller would separate what belongs together); a larger one
(in a city, hubs connect almost everything) is split into communities by ``partition``, run on that
network alone, so what is found in one network never depends on the others.

>>> groups(["a", "b", "x"], ["b", "c", "y"], [1, 1, 1], split_above=50, resolution=1.0, seed=7,
...        method="leiden", objective="modularity")
{'a': 0, 'b': 0, 'c': 0, 'x': 1, 'y': 1}
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from workbench.analytics.partition import partition, stable_numbers, undirected_view


def groups(sources, targets, weights, *, split_above: int, resolution: float, seed: int, method: str,
           objective: str) -> dict[Hashable, int]:
    """Group number of every node: its network's, or its community's inside a network of more than
    ``split_above`` members. Numbered by size (largest first), ties by the smallest member."""
    view = undirected_view(sources, targets, weights)
    if view.node_count == 0:
        return {}
    adjacency = coo_matrix((view.weight, (view.first, view.second)), shape=(view.node_count, view.node_count))
    _, network = connected_components(adjacency, directed=False)
    labels = network.astype(np.int64) * view.node_count
    sizes = np.bincount(network)
    inside = network[view.first]
    for big in np.flatnonzero(sizes > split_above):
        edges = inside == big
        found = partition(view.first[edges], view.second[edges], view.weight[edges], resolution=resolution,
                          seed=seed, method=method, objective=objective)
        members = np.fromiter(found.keys(), np.int64, len(found))
        labels[members] += np.fromiter(found.values(), np.int64, len(found))
    return dict(zip(view.nodes.tolist(), stable_numbers(labels).tolist(), strict=True))


def grouped(sources, targets, weights, params: Mapping) -> dict[Hashable, int]:
    """``groups`` with the analysis parameters (``split_above``, ``resolution``, ``seed``, ``method``,
    ``objective``)."""
    return groups(sources, targets, weights, split_above=int(params["split_above"]),
                  resolution=float(params["resolution"]), seed=int(params["seed"]), method=str(params["method"]),
                  objective=str(params["objective"]))

"""Communities from ``workbench.analytics.partition``: planted structure, determinism, resolution, weights,
edge cases; every test on the default Leiden and on the networkx Louvain baseline."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys

import networkx as nx
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from workbench.analytics import METHODS, modularity, partition

#: A script printing the partition of ``random_flows(2)`` as JSON (for the across-processes test).
PRINT_PARTITION = """
import json, sys
from tests.analytics.test_partition import random_flows
from workbench.analytics import partition
print(json.dumps(partition(*random_flows(2), method=sys.argv[1])))
"""


@pytest.fixture(params=METHODS)
def method(request) -> str:
    return request.param


def cliques(count: int, size: int, weight: float = 1.0, bridge: float = 0.1) -> tuple[list, list, list]:
    """``count`` cliques of ``size`` nodes named ``c<k>-<i>``, clique k joined to k + 1 by one edge."""
    sources, targets, weights = [], [], []
    for k in range(count):
        for a, b in itertools.combinations(range(size), 2):
            sources.append(f"c{k}-{a}"), targets.append(f"c{k}-{b}"), weights.append(weight)
        if k + 1 < count:
            sources.append(f"c{k}-{size - 1}"), targets.append(f"c{k + 1}-0"), weights.append(bridge)
    return sources, targets, weights


def random_flows(seed: int) -> tuple[list, list, list]:
    """A directed flow graph of text ids: 40 groups of 15 nodes, most flows inside a group."""
    rng = np.random.default_rng(seed)
    sources = rng.integers(0, 600, 5000)
    inside = rng.random(5000) < 0.8
    targets = np.where(inside, sources // 15 * 15 + rng.integers(0, 15, 5000), rng.integers(0, 600, 5000))
    names = [f"H{i:04d}" for i in range(600)]
    return [names[i] for i in sources], [names[i] for i in targets], rng.integers(1, 6, 5000).tolist()


def groups(communities: dict) -> list[set]:
    found: dict[int, set] = {}
    for node, number in communities.items():
        found.setdefault(number, set()).add(node)
    return [found[number] for number in sorted(found)]


def test_three_cliques_joined_by_weak_edges_are_three_communities(method):
    communities = partition(*cliques(3, 5), method=method)
    assert groups(communities) == [{f"c{k}-{i}" for i in range(5)} for k in range(3)]


def test_numbers_go_by_size_then_smallest_member(method):
    sources, targets, weights = cliques(2, 4)
    more = list(itertools.combinations(["z1", "z2", "z3", "z4", "z5"], 2))
    sources += [a for a, _ in more] + ["z5"]
    targets += [b for _, b in more] + ["c0-0"]
    weights += [1.0] * len(more) + [0.1]
    numbers = partition(sources, targets, weights, method=method)
    assert (numbers["z1"], numbers["c0-0"], numbers["c1-0"]) == (0, 1, 2)


def test_same_answer_twice_and_whatever_the_row_order(method):
    sources, targets, weights = random_flows(1)
    first = partition(sources, targets, weights, method=method)
    assert partition(sources, targets, weights, method=method) == first
    order = np.random.default_rng(5).permutation(len(sources))
    shuffled = [[column[i] for i in order] for column in (sources, targets, weights)]
    assert partition(*shuffled, method=method) == first
    assert len(set(first.values())) > 10


def test_same_answer_in_two_other_processes(method):
    expected = partition(*random_flows(2), method=method)
    answers = []
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run([sys.executable, "-c", PRINT_PARTITION, method], capture_output=True, text=True,
                              env=env, check=True, cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
        answers.append(json.loads(done.stdout))
    assert answers == [expected, expected]


def test_higher_resolution_gives_more_communities(method):
    sources, targets, _ = cliques(12, 4, bridge=1.0)
    sources.append("c11-3"), targets.append("c0-0")  # a ring of cliques
    counts = [len(set(partition(sources, targets, resolution=r, method=method).values())) for r in (0.1, 1.0)]
    assert counts[0] < counts[1] == 12


def test_a_heavy_edge_keeps_two_nodes_together(method):
    sources, targets, weights = cliques(2, 5, bridge=1.0)
    sources += ["x", "x", "x", "x"]
    targets += ["c0-1", "c0-2", "c0-3", "c1-4"]
    light = partition(sources, targets, weights + [1.0, 1.0, 1.0, 1.0], method=method)
    heavy = partition(sources, targets, weights + [1.0, 1.0, 1.0, 30.0], method=method)
    assert light["x"] == light["c0-1"] != light["c1-4"]
    assert heavy["x"] == heavy["c1-4"] != heavy["c0-1"]


def test_small_and_degenerate_graphs(method):
    assert partition([], [], method=method) == {}
    assert partition(np.array([], dtype=object), np.array([], dtype=object), [], method=method) == {}
    assert partition(["a"], ["b"], [2.5], method=method) == {"a": 0, "b": 0}
    assert partition(["a"], ["a"], method=method) == {"a": 0}
    # a node whose only edge has weight 0 is isolated: alone in its own community, numbered last
    assert partition(["a", "b", "c"], ["b", "a", "d"], [1, 1, 0], method=method) == {"a": 0, "b": 0, "c": 1, "d": 2}


def test_flows_both_ways_are_one_undirected_edge():
    sources, targets, weights = random_flows(4)
    reversed_rows = partition(targets, sources, weights)
    assert partition(sources, targets, weights) == reversed_rows
    split = partition(sources + targets[:100], targets + sources[:100], [w / 2 for w in weights] + weights[:100])
    halved = [w / 2 + (w if i < 100 else 0) for i, w in enumerate(weights)]
    assert split == partition(sources, targets, halved)


def test_columns_from_numpy_pandas_and_arrow_give_the_same_answer():
    sources, targets, weights = random_flows(5)
    expected = partition(sources, targets, weights)
    assert partition(np.array(sources, dtype=object), np.array(targets), np.array(weights)) == expected
    assert partition(pd.Series(sources), pd.Series(targets), pd.Series(weights)) == expected
    assert partition(pa.chunked_array([sources[:10], sources[10:]]), pa.array(targets), pa.array(weights)) == expected


def test_integer_ids_come_back_as_python_ints():
    communities = partition(np.array([3, 1, 2]), np.array([1, 2, 3]))
    assert communities == {1: 0, 2: 0, 3: 0}
    assert all(type(node) is int for node in communities)


def test_modularity_agrees_with_networkx(method):
    sources, targets, weights = random_flows(6)
    communities = partition(sources, targets, weights, method=method)
    graph = nx.Graph()
    for a, b, w in zip(sources, targets, weights, strict=True):
        if a != b:
            graph.add_edge(a, b, weight=graph.get_edge_data(a, b, {"weight": 0})["weight"] + w)
    graph.add_nodes_from(communities)
    expected = nx.community.modularity(graph, groups(communities), weight="weight", resolution=1.5)
    assert modularity(sources, targets, weights, communities, resolution=1.5) == pytest.approx(expected)
    assert modularity(sources, targets, weights, communities) > 0.5


def test_leiden_is_at_least_as_good_as_the_baseline_on_planted_flows():
    sources, targets, weights = random_flows(7)
    quality = {m: modularity(sources, targets, weights, partition(sources, targets, weights, method=m))
               for m in METHODS}
    assert quality["leiden"] >= quality["louvain-networkx"] - 0.01


@pytest.mark.parametrize(("arguments", "options", "error", "message"), [
    ((["a"], ["b", "c"]), {}, ValueError, "1 sources but 2 targets"),
    ((["a"], ["b"], [1, 2]), {}, ValueError, "1 edges but 2 weights"),
    ((["a"], ["b"], [-1]), {}, ValueError, "finite and >= 0"),
    ((["a"], ["b"], [float("nan")]), {}, ValueError, "finite and >= 0"),
    ((["a"], [None]), {}, ValueError, "must not be missing"),
    ((["a"], [1]), {}, TypeError, "one comparable kind"),
    ((["a"], ["b"]), {"method": "infomap"}, ValueError, "unknown method"),
    ((["a"], ["b"]), {"resolution": 0}, ValueError, "resolution must be > 0"),
    ((["a"], ["b"]), {"seed": -1}, ValueError, "non-negative integer"),
])
def test_bad_input_says_what_is_wrong(arguments, options, error, message):
    with pytest.raises(error, match=message):
        partition(*arguments, **options)


def test_modularity_needs_a_community_for_every_node():
    with pytest.raises(ValueError, match="node 'b' has no community"):
        modularity(["a"], ["b"], None, {"a": 0})


def test_csr_rows_hold_both_directions_with_columns_ascending():
    from scipy import sparse

    from workbench.analytics.partition import undirected_view

    view = undirected_view(*random_flows(8))
    indptr, indices, data = view.csr()
    both = (np.concatenate([view.weight, view.weight]),
            (np.concatenate([view.first, view.second]), np.concatenate([view.second, view.first])))
    expected = sparse.csr_matrix(both, shape=(view.node_count, view.node_count))
    expected.sort_indices()
    assert (indptr.tolist(), indices.tolist(), data.tolist()) == (
        expected.indptr.tolist(), expected.indices.tolist(), expected.data.tolist())

"""Community detection libraries on a planted-partition graph (200 k nodes, 1 M weighted edges by default).

For each candidate, in a fresh process of its own: wall time of arrays → partition (graph construction
included; median and range of ``--repeats`` runs), peak resident memory (the process's, and above what it
held once the input was loaded and the library imported), modularity reached (resolution 1, computed the
same way for all), number of communities and how many of them are disconnected (their inside edges leave
them in several pieces), agreement with the planted communities (NMI), determinism (the
same partition from every run of the first process and from a second process) and, with ``--wheels``,
whether ``pip download --only-binary=:all:`` finds wheels for CPython 3.10, 3.11 and 3.12 on Linux x86_64
(dependencies included). Prints a markdown table; the ratio is networkx Louvain's median time over the
candidate's.

    python benchmarks/partition_bench.py [--nodes 200000] [--edges 1000000] [--repeats 3] [--wheels]
        [--only NAME …]

The candidates other than graspologic-native and networkx are not project dependencies: a candidate that
does not import is reported as such. To measure them all, use a separate virtual environment:
``pip install igraph leidenalg networkit scikit-network`` there and run this file with its Python and
``PYTHONPATH`` set to the project root.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from planted_graph import disconnected_communities, normalized_mutual_information, planted_graph  # noqa: E402

from workbench.analytics.partition import UndirectedGraph, modularity, partition, stable_numbers  # noqa: E402

SEED = 7
#: Text node ids for the text-id row, made once per process.
TEXT_IDS: dict[str, np.ndarray] = {}
PYTHONS = ("3.10", "3.11", "3.12")
#: Linux x86_64 wheel tags pip may take, oldest glibc first (manylinux2014 = glibc 2.17).
PLATFORMS = ("manylinux2014_x86_64", *(f"manylinux_2_{minor}_x86_64" for minor in range(17, 29)))


@dataclass(frozen=True)
class Candidate:
    runner: Callable[[UndirectedGraph, int], np.ndarray]
    module: str
    licence: str
    packages: tuple[str, ...]


def run_networkx(graph: UndirectedGraph, seed: int) -> np.ndarray:
    return _as_labels(partition(graph.first, graph.second, graph.weight, seed=seed, method="louvain-networkx"),
                      graph.node_count)


def run_graspologic(graph: UndirectedGraph, seed: int, iterations: int = 1) -> np.ndarray:
    import graspologic_native

    indptr, indices, data = graph.csr()
    _, found = graspologic_native.leiden_csr(indptr, indices, data, graph.node_count, seed=seed,
                                             iterations=iterations)
    return _as_labels(found, graph.node_count)


def run_graspologic_twice(graph: UndirectedGraph, seed: int) -> np.ndarray:
    return run_graspologic(graph, seed, iterations=2)


def run_tcw(graph: UndirectedGraph, seed: int) -> np.ndarray:
    return _as_labels(partition(graph.first, graph.second, graph.weight, seed=seed), graph.node_count)


def run_tcw_text(graph: UndirectedGraph, seed: int) -> np.ndarray:
    """The workbench's interface with text ids (institution codes, pseudonyms), made before the clock starts."""
    return _in_name_order(partition(TEXT_IDS["sources"], TEXT_IDS["targets"], graph.weight, seed=seed))


def run_tcw_cpm(graph: UndirectedGraph, seed: int) -> np.ndarray:
    """The constant Potts model (``--param objective=cpm --param resolution=0.02``), text ids."""
    return _in_name_order(partition(TEXT_IDS["sources"], TEXT_IDS["targets"], graph.weight, seed=seed,
                                    objective="cpm", resolution=0.02))


def run_tcw_analyse(graph: UndirectedGraph, seed: int) -> np.ndarray:
    """As ``tcw analyse`` groups edges by default (networks, Leiden inside the big ones), text ids."""
    from workbench.analytics.declared import resolved
    from workbench.analytics.grouping import grouped

    params = {**resolved({}), "seed": seed}
    return _in_name_order(grouped(TEXT_IDS["sources"], TEXT_IDS["targets"], graph.weight, params))


def _in_name_order(found: dict) -> np.ndarray:
    return np.array([found[name] for name in TEXT_IDS["names"].tolist()])


def run_igraph_leiden(graph: UndirectedGraph, seed: int) -> np.ndarray:
    import random

    random.seed(seed)  # igraph draws from Python's random module
    found = _igraph(graph).community_leiden("modularity", weights=graph.weight.tolist(), n_iterations=2)
    return np.array(found.membership)


def run_igraph_multilevel(graph: UndirectedGraph, seed: int) -> np.ndarray:
    import random

    random.seed(seed)
    return np.array(_igraph(graph).community_multilevel(weights=graph.weight.tolist()).membership)


def run_leidenalg(graph: UndirectedGraph, seed: int) -> np.ndarray:
    import leidenalg

    found = leidenalg.find_partition(_igraph(graph), leidenalg.RBConfigurationVertexPartition,
                                     weights=graph.weight.tolist(), resolution_parameter=1.0, seed=seed,
                                     n_iterations=2)
    return np.array(found.membership)


def run_networkit_plm(graph: UndirectedGraph, seed: int) -> np.ndarray:
    import networkit

    algorithm = networkit.community.PLM(_networkit(graph, seed), refine=True, gamma=1.0, par="none")
    algorithm.run()
    return np.array(algorithm.getPartition().getVector())


def run_networkit_leiden(graph: UndirectedGraph, seed: int) -> np.ndarray:
    import networkit

    algorithm = networkit.community.ParallelLeiden(_networkit(graph, seed), randomize=True, iterations=3)
    algorithm.run()
    return np.array(algorithm.getPartition().getVector())


def run_sknetwork_leiden(graph: UndirectedGraph, seed: int) -> np.ndarray:
    from sknetwork.clustering import Leiden

    return Leiden(modularity="newman", random_state=seed, return_probs=False,
                  return_aggregate=False).fit_predict(_scipy_adjacency(graph))


def run_sknetwork_louvain(graph: UndirectedGraph, seed: int) -> np.ndarray:
    from sknetwork.clustering import Louvain

    return Louvain(modularity="newman", random_state=seed, return_probs=False,
                   return_aggregate=False).fit_predict(_scipy_adjacency(graph))


def _igraph(graph: UndirectedGraph):
    import igraph

    return igraph.Graph(n=graph.node_count, edges=np.column_stack([graph.first, graph.second]).tolist())


def _networkit(graph: UndirectedGraph, seed: int):
    import networkit

    networkit.engineering.setNumberOfThreads(1)
    networkit.engineering.setSeed(seed, False)
    built = networkit.Graph(graph.node_count, weighted=True)
    built.addEdges((graph.weight, (graph.first, graph.second)))
    return built


def _scipy_adjacency(graph: UndirectedGraph):
    from scipy import sparse

    indptr, indices, data = graph.csr()
    return sparse.csr_matrix((data, indices, indptr), shape=(graph.node_count, graph.node_count))


def _as_labels(found: dict, node_count: int) -> np.ndarray:
    labels = np.full(node_count, -1, dtype=np.int64)
    labels[np.fromiter(found.keys(), np.int64, len(found))] = np.fromiter(found.values(), np.int64, len(found))
    return labels


CANDIDATES = {
    "networkx louvain_communities": Candidate(run_networkx, "networkx", "BSD-3-Clause", ("networkx",)),
    "graspologic-native leiden_csr, 1 iteration": Candidate(run_graspologic, "graspologic_native", "MIT",
                                                            ("graspologic-native",)),
    "graspologic-native leiden_csr, 2 iterations": Candidate(run_graspologic_twice, "graspologic_native",
                                                             "MIT", ()),
    "tcw partition (as shipped), int ids": Candidate(run_tcw, "graspologic_native", "MIT", ()),
    "tcw partition (as shipped), text ids": Candidate(run_tcw_text, "graspologic_native", "MIT", ()),
    "tcw analyse grouping (defaults), text ids": Candidate(run_tcw_analyse, "graspologic_native", "MIT", ()),
    "tcw partition, CPM γ=0.02, text ids": Candidate(run_tcw_cpm, "graspologic_native", "MIT", ()),
    "igraph community_leiden": Candidate(run_igraph_leiden, "igraph", "GPL-2.0-or-later", ("igraph",)),
    "igraph community_multilevel": Candidate(run_igraph_multilevel, "igraph", "GPL-2.0-or-later", ()),
    "leidenalg (RBConfiguration, γ=1)": Candidate(run_leidenalg, "leidenalg", "GPL-3.0-or-later",
                                                  ("leidenalg",)),
    "networkit PLM (refine), 1 thread": Candidate(run_networkit_plm, "networkit", "MIT", ("networkit",)),
    "networkit ParallelLeiden, 1 thread": Candidate(run_networkit_leiden, "networkit", "MIT", ()),
    "scikit-network Leiden": Candidate(run_sknetwork_leiden, "sknetwork", "BSD-3-Clause", ("scikit-network",)),
    "scikit-network Louvain": Candidate(run_sknetwork_louvain, "sknetwork", "BSD-3-Clause", ()),
}


def worker(name: str, graph_file: Path, repeats: int) -> dict:
    """Run one candidate ``repeats`` times in this process; the measurements as a dict."""
    candidate = CANDIDATES[name]
    with np.load(graph_file) as saved:
        graph = UndirectedGraph(np.arange(int(saved["nodes"])), saved["first"], saved["second"], saved["weight"])
        planted = saved["planted"]
    if candidate.runner in (run_tcw_text, run_tcw_cpm, run_tcw_analyse):
        names = np.array([f"P{i:07d}" for i in range(graph.node_count)], dtype=object)
        TEXT_IDS.update(names=names, sources=names[graph.first], targets=names[graph.second])
    importlib.import_module(candidate.module)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    seconds, digests = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        labels = candidate.runner(graph, SEED)
        seconds.append(time.perf_counter() - started)
        digests.append(hashlib.sha256(stable_numbers(labels).tobytes()).hexdigest())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    quality = modularity(graph.first, graph.second, graph.weight, dict(enumerate(labels.tolist())))
    return {"seconds": seconds, "digests": digests, "peak_mib": peak, "above_input_mib": peak - before,
            "modularity": quality, "communities": len(np.unique(labels)),
            "nmi": normalized_mutual_information(labels, planted),
            "disconnected": disconnected_communities(graph, labels)}


def measure(name: str, graph_file: Path, repeats: int) -> dict:
    """The candidate's measurements from a first process (``repeats`` runs) and a second (one run)."""
    runs = []
    for count in (repeats, 1):
        done = subprocess.run([sys.executable, __file__, "--worker", name, "--graph", str(graph_file),
                               "--repeats", str(count)], capture_output=True, text=True, timeout=3600)
        if done.returncode != 0:
            return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"}
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    first, second = runs
    first["same_in_process"] = len(set(first["digests"])) == 1
    first["same_across_processes"] = first["digests"][0] == second["digests"][0]
    return first


def wheels(packages: tuple[str, ...]) -> str:
    """For which of ``PYTHONS`` ``pip download --only-binary=:all:`` finds Linux x86_64 wheels of
    ``packages`` and their dependencies; the oldest glibc the main package's wheel needs."""
    found, glibc = [], set()
    for python in PYTHONS:
        with tempfile.TemporaryDirectory() as folder:
            platforms = [arg for tag in PLATFORMS for arg in ("--platform", tag)]
            done = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:",
                                   "--python-version", python, "--implementation", "cp", *platforms,
                                   "-d", folder, *packages], capture_output=True, text=True)
            if done.returncode == 0:
                found.append(python)
                stem = packages[0].replace("-", "_")
                glibc |= {_glibc(path.name) for path in Path(folder).glob(f"{stem}-*.whl")}
    versions = ", ".join(found) if found else "none"
    if glibc == {"none needed"}:
        return f"{versions} (pure Python)"
    return f"{versions} (glibc ≥ {', '.join(sorted(glibc))})" if glibc else versions


def _glibc(wheel_name: str) -> str:
    """The oldest glibc among a wheel's platform tags (``manylinux2014`` is 2.17)."""
    minors = []
    for tag in wheel_name.removesuffix(".whl").split("-")[-1].split("."):
        tag = tag.replace("manylinux2014", "manylinux_2_17").replace("manylinux2010", "manylinux_2_12")
        if tag.startswith("manylinux_2_"):
            minors.append(int(tag.split("_")[2]))
    return f"2.{min(minors)}" if minors else "none needed"


def table(results: dict[str, dict], wheel_notes: dict[str, str]) -> str:
    baseline = results.get("networkx louvain_communities", {}).get("seconds")
    header = ("| candidate | licence | s (median, range) | vs networkx | peak RSS MiB (above input) | modularity "
              "| communities (disconnected) | NMI to plant | deterministic (3 runs, 2nd process) "
              "| wheels cp3.x, Linux x86_64 |")
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    for name, result in results.items():
        candidate = CANDIDATES[name]
        if "error" in result:
            lines.append(f"| {name} | {candidate.licence} | {result['error']} |" + " |" * 7)
            continue
        median = statistics.median(result["seconds"])
        ratio = _ratio(statistics.median(baseline) / median) if baseline else "–"
        same = ("yes" if result["same_in_process"] and result["same_across_processes"]
                else f"no (in process: {result['same_in_process']}, across: {result['same_across_processes']})")
        lines.append(f"| {name} | {candidate.licence} | {median:.2f} ({min(result['seconds']):.2f}–"
                     f"{max(result['seconds']):.2f}) | {ratio} | {result['peak_mib']:,.0f} "
                     f"(+{result['above_input_mib']:,.0f}) | {result['modularity']:.4f} | "
                     f"{result['communities']:,} ({result['disconnected']}) | {result['nmi']:.3f} | {same} | "
                     f"{wheel_notes.get(name, '')} |")
    return "\n".join(lines)


def _ratio(times: float) -> str:
    if round(times, 2) == 1:
        return "1× (baseline)"
    return f"{times:.0f}× faster" if times >= 10 else f"{times:.1f}× faster"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=200_000)
    parser.add_argument("--edges", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", action="append", choices=sorted(CANDIDATES), help="run only these")
    parser.add_argument("--wheels", action="store_true", help="check wheels with pip download (network)")
    parser.add_argument("--worker", choices=sorted(CANDIDATES), help=argparse.SUPPRESS)
    parser.add_argument("--graph", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.graph, args.repeats)))
        return
    graph, planted = planted_graph(args.nodes, args.edges, SEED)
    print(f"planted graph: {graph.node_count:,} nodes, {len(graph.weight):,} edges, "
          f"{planted.max() + 1:,} planted communities, seed {SEED}; Python {sys.version.split()[0]}; "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    results, wheel_notes = {}, {}
    with tempfile.TemporaryDirectory() as folder:
        graph_file = Path(folder) / "graph.npz"
        np.savez(graph_file, nodes=graph.node_count, first=graph.first, second=graph.second,
                 weight=graph.weight, planted=planted)
        for name in args.only or CANDIDATES:
            results[name] = measure(name, graph_file, args.repeats)
            print(f"{name}: {json.dumps(results[name])}", file=sys.stderr, flush=True)
            if args.wheels and CANDIDATES[name].packages:
                wheel_notes[name] = wheels(CANDIDATES[name].packages)
    print(table(results, wheel_notes))
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

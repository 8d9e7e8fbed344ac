"""``tcw analyse`` on the screen benchmark's workspace (≥ 10 M events): wall time and peak memory of the
command (median of ``--repeat`` runs), the size of what it reduced the events to (flow events, routes,
copy sales, flow-graph nodes and edges), and the plain pandas + networkx baseline (``baseline_analyse.py``).

    python benchmarks/analyse_bench.py [--records 6700000] [--repeat 3]

Data: ``tcw generate --format json --seed 11`` and ``tcw ingest``, cached under ``.bench/``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys

import duckdb
from bench_data import BENCH, ROOT, TCW, checked, generated_workspace
from measure import measure

from loaders.workspace import Workspace
from workbench.analytics.run import analyse_workspace


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=6_700_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    ws = generated_workspace(args.records, "screen-ws")
    events = duckdb.sql("SELECT count(*) FROM read_parquet($p)", params={"p": str(ws / "events" / "*.parquet")}
                        ).fetchall()[0][0]
    out = BENCH / "analysis"
    runs = [checked(measure([*TCW, "analyse", "--workspace", str(ws), "--out", str(out)])) for _ in range(args.repeat)]
    baseline = checked(measure([sys.executable, str(ROOT / "benchmarks" / "baseline_analyse.py"), str(ws)]))
    analysis = analyse_workspace(Workspace(ws))
    seconds = [run.seconds for run in runs]
    middle = statistics.median(seconds)
    print(f"machine: {os.cpu_count()} cores; {events:,} events")
    print(f"reduced to: {analysis.flows.flow_events:,} flow events → {len(analysis.routes):,} routes, "
          f"{analysis.flows.copies.num_rows:,} copy sales; flow graph {analysis.graph.number_of_nodes():,} nodes, "
          f"{analysis.graph.number_of_edges():,} edges; {len(analysis.communities)} communities, "
          f"{len(analysis.brokers)} brokers")
    print("| run | seconds (median, range) | events/s | peak RSS MiB | ratio to baseline |")
    print("|---|---|---|---|---|")
    print(f"| tcw analyse | {middle:.1f} ({min(seconds):.1f}–{max(seconds):.1f}) | {events / middle:,.0f} | "
          f"{max(run.peak_rss_mib for run in runs):,.0f} | {baseline.seconds / middle:.1f}× faster |")
    print(f"| pandas + networkx baseline | {baseline.seconds:.1f} | {events / baseline.seconds:,.0f} | "
          f"{baseline.peak_rss_mib:,.0f} | 1× ({baseline.stdout.strip()}) |")


if __name__ == "__main__":
    main()

"""Screening speed and memory on ≥ 10 M generated events: every rule on DuckDB (median of ``--repeat``
runs), the same rules in plain pandas (``baseline_screens.py``) and on Spark local; the Spark leads and
repeat ledger must equal DuckDB's. Prints the ledger's bucket counts.

    python benchmarks/screen_bench.py [--records 6700000] [--repeat 3] [--skip-spark]

Data: ``tcw generate --format json --seed 11`` and ``tcw ingest``, cached under ``.bench/``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
from bench_data import BENCH, ROOT, TCW, checked, generated_workspace
from measure import measure

from workbench.screens.ledger import ledger_summary


def screen(ws: Path, engine: str, out: Path):
    return checked(measure([*TCW, "screen", "--workspace", str(ws), "--engine", engine, "--out", str(out)]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=6_700_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-spark", action="store_true")
    args = parser.parse_args()
    ws = generated_workspace(args.records, "screen-ws")
    events = duckdb.sql("SELECT count(*) FROM read_parquet($p)", params={"p": str(ws / "events" / "*.parquet")}
                        ).fetchall()[0][0]
    print(f"machine: {os.cpu_count()} cores; {events:,} events")
    print("| engine | seconds (median, range) | events/s | peak RSS MiB | leads | ratio to pandas |")
    print("|---|---|---|---|---|---|")
    runs = [screen(ws, "duckdb", BENCH / "leads-duckdb.parquet") for _ in range(args.repeat)]
    baseline = checked(measure([sys.executable, str(ROOT / "benchmarks" / "baseline_screens.py"), str(ws)]))
    seconds = [run.seconds for run in runs]
    middle = statistics.median(seconds)
    leads = pq.read_table(BENCH / "leads-duckdb.parquet")
    ledger = pq.read_table(BENCH / "repeats.parquet")
    print(f"| DuckDB | {middle:.1f} ({min(seconds):.1f}–{max(seconds):.1f}) | {events / middle:,.0f} | "
          f"{max(run.peak_rss_mib for run in runs):,.0f} | {leads.num_rows} | {baseline.seconds / middle:.1f}× |")
    print(f"| pandas baseline | {baseline.seconds:.1f} | {events / baseline.seconds:,.0f} | "
          f"{baseline.peak_rss_mib:,.0f} | {sum(int(line.split()[1]) for line in baseline.stdout.split(chr(10)) if line.strip())} | 1.0× |")
    if not args.skip_spark:
        spark = screen(ws, "spark", BENCH / "leads-spark.parquet")
        same = pq.read_table(BENCH / "leads-spark.parquet").equals(leads) and pq.read_table(
            BENCH / "repeats.parquet").equals(ledger)
        print(f"| Spark local[2] | {spark.seconds:.1f} | {events / spark.seconds:,.0f} | {spark.peak_rss_mib:,.0f} | "
              f"{'identical' if same else 'DIFFERENT'} | {baseline.seconds / spark.seconds:.1f}× |")

    print()
    print(ledger_summary(ledger))


if __name__ == "__main__":
    main()

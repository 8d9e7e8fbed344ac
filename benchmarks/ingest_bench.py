"""Ingest throughput and peak memory for formats A (nhsa-json) and B (CSV), beside the json+pandas baseline.

    python benchmarks/ingest_bench.py [--records 1000000] [--small 250000] [--skip-baseline]

Generates the data with ``tcw generate`` (cached under .bench/), ingests it into a fresh workspace with
``tcw ingest`` and prints a Markdown table: records read, seconds, records/s, peak RSS of the whole
process tree, and the ratio to the baseline. Two sizes show whether memory stays flat in file size.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import sys
from pathlib import Path

from measure import measure

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / ".bench"
TCW = [sys.executable, "-m", "workbench.cli"]


def dataset(fmt: str, records: int) -> Path:
    folder = BENCH / f"{fmt}-{records}"
    if not (folder / "summary.json").exists():
        shutil.rmtree(folder, ignore_errors=True)
        result = measure([*TCW, "generate", "--out", str(folder), "--scale", str(records), "--format", fmt, "--seed", "11"])
        if result.returncode:
            sys.exit(result.stdout)
        print(f"generated {fmt} {records:,} in {result.seconds:.1f} s", file=sys.stderr)
    return folder


def run_ingest(folder: Path) -> tuple[int, float, float]:
    workspace = BENCH / "ws"
    shutil.rmtree(workspace, ignore_errors=True)
    result = measure([*TCW, "ingest", str(folder / "uploads"), "--workspace", str(workspace)])
    if result.returncode:
        sys.exit(result.stdout)
    read = int(re.search(r"读取 read ([\d,]+)", result.stdout).group(1).replace(",", ""))
    return read, result.seconds, result.peak_rss_mib


def run_baseline(fmt: str, folder: Path) -> tuple[float, float]:
    result = measure([sys.executable, str(ROOT / "benchmarks" / "baseline_ingest.py"), fmt,
                      str(folder / "uploads"), str(BENCH / "baseline.parquet")])
    if result.returncode:
        sys.exit(result.stdout)
    return result.seconds, result.peak_rss_mib


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=250_000)
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print("| format | records read | tcw s | tcw records/s | tcw peak RSS MiB | baseline s | baseline records/s "
          "| baseline peak RSS MiB | speed ratio |")
    print("|---|---|---|---|---|---|---|---|---|")
    for fmt in ("json", "csv"):
        for records in (args.small, args.records):
            folder = dataset(fmt, records)
            read, seconds, rss = run_ingest(folder)
            base = ("—", "—", "—", "—")
            if not args.skip_baseline:
                b_seconds, b_rss = run_baseline(fmt, folder)
                base = (f"{b_seconds:.1f}", f"{read / b_seconds:,.0f}", f"{b_rss:,.0f}", f"{b_seconds / seconds:.1f}×")
            print(f"| {fmt} | {read:,} | {seconds:.1f} | {read / seconds:,.0f} | {rss:,.0f} | " + " | ".join(base) + " |")


if __name__ == "__main__":
    main()

"""Ingest throughput and peak memory for formats A (nhsa-json) and B (CSV), beside the json+pandas baseline.

    python benchmarks/ingest_bench.py [--sizes 250000,1000000,3000000] [--formats json,csv] [--repeat 3]
                                      [--skip-baseline]

Generates the data with ``tcw generate`` (cached under .bench/), ingests it into a fresh workspace with
``tcw ingest`` (``--repeat`` times: the median is reported with the range, as this machine's speed
varies from run to run) and prints a Markdown table: records read, seconds, records/s, peak RSS of the
whole process tree, and the ratio to the baseline. Several sizes show whether memory stays flat in file
size. At the middle size the SQL path alone (``TCW_NATIVE=0``, without the compiled reader) is measured
too.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
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


def run_ingest(folder: Path, repeat: int, native: bool = True) -> tuple[int, list[float], float]:
    """(records read, seconds of each run, highest peak RSS)."""
    workspace = BENCH / "ws"
    env = os.environ | ({} if native else {"TCW_NATIVE": "0"})
    seconds, peak, read = [], 0.0, 0
    for _ in range(repeat):
        shutil.rmtree(workspace, ignore_errors=True)
        result = measure([*TCW, "ingest", str(folder / "uploads"), "--workspace", str(workspace)], env=env)
        if result.returncode:
            sys.exit(result.stdout)
        read = int(re.search(r"读取 read ([\d,]+)", result.stdout).group(1).replace(",", ""))
        seconds.append(result.seconds)
        peak = max(peak, result.peak_rss_mib)
    return read, seconds, peak


def run_baseline(fmt: str, folder: Path) -> tuple[float, float]:
    result = measure([sys.executable, str(ROOT / "benchmarks" / "baseline_ingest.py"), fmt,
                      str(folder / "uploads"), str(BENCH / "baseline.parquet")])
    if result.returncode:
        sys.exit(result.stdout)
    return result.seconds, result.peak_rss_mib


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="250000,1000000,3000000", help="record counts, comma-separated")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--formats", default="json,csv")
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print("| format | path | records read | tcw s (median, range) | tcw records/s | tcw peak RSS MiB | baseline s "
          "| baseline records/s | baseline peak RSS MiB | speed ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for fmt in args.formats.split(","):
        for records in sizes:
            folder = dataset(fmt, records)
            runs = [("compiled", True)] + ([("SQL only", False)] if records == sizes[len(sizes) // 2] else [])
            base = ("—", "—", "—")
            if not args.skip_baseline:
                b_seconds, b_rss = run_baseline(fmt, folder)
            for label, native in runs:
                read, seconds, rss = run_ingest(folder, args.repeat if native else 1, native)
                middle = statistics.median(seconds)
                if not args.skip_baseline:
                    base = (f"{b_seconds:.1f}", f"{read / b_seconds:,.0f}", f"{b_rss:,.0f}")
                ratio = f"{b_seconds / middle:.1f}×" if not args.skip_baseline else "—"
                spread = f"{middle:.1f} ({min(seconds):.1f}–{max(seconds):.1f})" if len(seconds) > 1 else f"{middle:.1f}"
                print(f"| {fmt} | {label} | {read:,} | {spread} | {read / middle:,.0f} | {rss:,.0f} | "
                      + " | ".join(base) + f" | {ratio} |", flush=True)


if __name__ == "__main__":
    main()

"""The generated data the benchmarks share, made once under ``.bench/`` and kept between runs.

    ws = generated_workspace(700_000, "graph-ws")   # .bench/json-700000 ingested into .bench/graph-ws-700000
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from measure import Measured, measure

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / ".bench"
TCW = [sys.executable, "-m", "workbench.cli"]


def generated_workspace(records: int, prefix: str) -> Path:
    """``tcw generate --format json --seed 11`` of about ``records`` records, ingested into the workspace
    ``.bench/<prefix>-<records>`` (each step only when its output is missing)."""
    data, ws = BENCH / f"json-{records}", BENCH / f"{prefix}-{records}"
    if not (data / "summary.json").exists():
        shutil.rmtree(data, ignore_errors=True)
        checked(measure([*TCW, "generate", "--out", str(data), "--scale", str(records), "--format", "json",
                         "--seed", "11"]))
    if not (ws / "events").exists():
        checked(measure([*TCW, "ingest", str(data / "uploads"), str(data / "reference"), "--workspace", str(ws)]))
    return ws


def checked(result: Measured) -> Measured:
    """The result of a command that succeeded; its output and exit otherwise."""
    if result.returncode:
        sys.exit(result.stdout)
    return result

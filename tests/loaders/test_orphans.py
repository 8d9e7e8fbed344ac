"""No orphans: when an ingest is killed outright, its worker processes end too, and the next run removes
the work files it left."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

from loaders.ingest import ingest
from loaders.workspace import Workspace
from tests.conftest import envelope, sale, write_ndjson
from tests.loaders.crash_inputs import code
from tests.loaders.test_crash_safety import REPO


def _uploads(folder: Path, files: int = 8, records: int = 2_000) -> list[Path]:
    folder.mkdir()
    return [write_ndjson(folder / f"sales-{f}.ndjson",
                         [envelope("3505", "selinfo", sale(f"S{f}-{n}", [code(f * records + n)])) for n in range(records)])
            for f in range(files)]


def _group(leader: int) -> list[psutil.Process]:
    """Live processes of the process group ``leader`` started (zombies are dead)."""
    found = []
    for process in psutil.process_iter(["pid", "status"]):
        try:
            if os.getpgid(process.pid) == leader and process.info["status"] != psutil.STATUS_ZOMBIE:
                found.append(process)
        except (ProcessLookupError, psutil.NoSuchProcess):
            continue
    return found


def test_workers_of_a_killed_ingest_end_and_its_work_files_are_removed(tmp_path):
    files = _uploads(tmp_path / "in")
    ws = Workspace(tmp_path / "ws")
    command = [sys.executable, "-m", "workbench.cli", "ingest", "--workers", "2", "-w", str(ws.root), *map(str, files)]
    env = {**os.environ, "PYTHONPATH": str(REPO), "TCW_TASK_MB": "1", "TCW_KILL_AT": "1"}
    process = subprocess.Popen(command, env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    assert process.wait(timeout=300) == -signal.SIGKILL, process.stderr.read()
    deadline = time.monotonic() + 10
    while _group(process.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _group(process.pid) == [], "worker processes outlived the killed ingest"
    assert any((ws.root / "tmp").iterdir()), "the killed run should have left its work folder"
    report = ingest(files, ws, workers=1)
    assert [line for line in report.recovered if "work folder" in line]
    assert not any((ws.root / "tmp").iterdir())
    assert report.counts.accepted == 8 * 2_000

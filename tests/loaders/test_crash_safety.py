"""Crash safety by fault injection: an ingest killed with SIGKILL at each of its write stages in turn.

After every kill the workspace still opens, holds exactly the data of before the run or of after it, and
running the same ingest again ends in the workspace of a clean run (same rows, same event ids). The
stages are the process's checkpoints (``loaders.faults``): staging the reference, each worker part, each
staged or rewritten file, the journal, each rename of the commit, the run log.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from loaders.doctor import examine
from loaders.ingest import ingest
from loaders.recovery import recover
from loaders.workspace import Workspace
from tests.loaders.crash_inputs import batch_a, batch_b, snapshot

REPO = Path(__file__).resolve().parents[2]


def tcw(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The real command in a process of its own (so it can be killed)."""
    return subprocess.run([sys.executable, "-m", "workbench.cli", *args], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})}, cwd=cwd, timeout=300)


@pytest.fixture(scope="module")
def crash_setup(tmp_path_factory):
    """A workspace after batch A (kept as a template), batch B's files, the clean result of A then B,
    and the stages a run of B passes."""
    root = tmp_path_factory.mktemp("crash")
    first, second = batch_a(root / "a"), batch_b(root / "b")
    template = Workspace(root / "template")
    ingest(first, template, workers=1)
    clean = Workspace(root / "clean")
    shutil.copytree(template.root, clean.root)
    before = snapshot(template)
    ingest(second, clean, workers=1)
    log = root / "stages.log"
    census = Workspace(root / "census")
    shutil.copytree(template.root, census.root)
    assert tcw("ingest", "--workers", "1", "-w", str(census.root), *map(str, second),
               env={"TCW_CHECKPOINT_LOG": str(log)}).returncode == 0
    stages = [line.split("\t")[2] for line in log.read_text().splitlines()]
    return {"template": template, "second": second, "before": before, "after": snapshot(clean), "stages": stages}


def test_the_census_passes_every_kind_of_write_stage(crash_setup):
    kinds = {stage.split(" ")[0] for stage in crash_setup["stages"]}
    assert {"stage", "part", "rewrite", "write", "move", "journal"} <= kinds
    assert crash_setup["before"] != crash_setup["after"]


def test_a_kill_at_every_write_stage_leaves_a_workspace_that_recovers_and_completes(crash_setup, tmp_path):
    stages, second = crash_setup["stages"], crash_setup["second"]
    outcomes = []
    for number, stage in enumerate(stages, start=1):
        ws = Workspace(tmp_path / f"kill-{number}")
        shutil.copytree(crash_setup["template"].root, ws.root)
        killed = tcw("ingest", "--workers", "1", "-w", str(ws.root), *map(str, second), env={"TCW_KILL_AT": str(number)})
        assert killed.returncode == -signal.SIGKILL, (stage, killed.stderr)
        with ws.locked():
            recover(ws)
        state = snapshot(ws)
        assert state in (crash_setup["before"], crash_setup["after"]), f"killed at {number} ({stage}): a mixed state"
        outcomes.append("after" if state == crash_setup["after"] else "before")
        assert [finding.problem for finding in examine(ws)] == []
        ingest(second, ws, workers=1)
        assert snapshot(ws) == crash_setup["after"], f"killed at {number} ({stage}), then run again"
        assert not any((ws.root / "tmp").iterdir())
    # kills before the journal is written roll back; kills after it are completed
    assert outcomes[0] == "before" and outcomes[-1] == "after"
    assert outcomes.index("after") == stages.index("write journal.json") + 1


def test_a_killed_ingest_is_completed_or_rolled_back_by_the_next_command_too(crash_setup, tmp_path):
    """Not only ingest recovers: a screen after the kill finds the committed state, not a mixed one."""
    stages = crash_setup["stages"]
    ws = Workspace(tmp_path / "ws")
    shutil.copytree(crash_setup["template"].root, ws.root)
    middle = stages.index("move events") + 1  # some renames done, others not
    tcw("ingest", "--workers", "1", "-w", str(ws.root), *map(str, crash_setup["second"]), env={"TCW_KILL_AT": str(middle)})
    assert (ws.root / "journal.json").exists()
    screened = tcw("screen", "-w", str(ws.root), "--out", str(tmp_path / "leads.csv"))
    assert screened.returncode == 0, screened.stderr
    assert snapshot(ws) == crash_setup["after"] and not (ws.root / "journal.json").exists()


def test_a_workspace_with_a_zero_byte_file_says_what_to_do_and_doctor_repairs_it(crash_setup, tmp_path):
    ws = Workspace(tmp_path / "ws")
    shutil.copytree(crash_setup["template"].root, ws.root)
    (ws.root / "deletes").mkdir(exist_ok=True)
    (ws.root / "deletes" / "old.parquet").write_bytes(b"")  # what writing in place left behind when killed
    refused = tcw("ingest", "-w", str(ws.root), *map(str, crash_setup["second"]))
    assert refused.returncode == 2 and "doctor --repair" in refused.stderr and "Traceback" not in refused.stderr
    assert tcw("doctor", "-w", str(ws.root)).returncode == 2
    repaired = tcw("doctor", "--repair", "-w", str(ws.root))
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert (ws.root / "quarantine" / "deletes" / "old.parquet").exists()
    assert tcw("ingest", "-w", str(ws.root), *map(str, crash_setup["second"])).returncode == 0
    assert snapshot(ws) == crash_setup["after"]


def test_a_failed_ingest_changes_nothing_and_is_logged(crash_setup, tmp_path):
    """A reference file that fails its checks after another reference was staged: nothing is kept."""
    ws = Workspace(tmp_path / "ws")
    shutil.copytree(crash_setup["template"].root, ws.root)
    broken = tmp_path / "products.csv"
    broken.write_text("医保药品编码,药品名称\n,没有编码的药品\n", encoding="utf-8")
    institutions = [path for path in crash_setup["second"] if path.name == "institutions.csv"]
    failed = tcw("ingest", "-w", str(ws.root), *map(str, institutions), str(broken))
    assert failed.returncode == 2, failed.stderr
    assert snapshot(ws) == crash_setup["before"]
    last = ws.runs()[-1]
    assert last["status"] == "failed" and "products.csv" in last["error"]


def test_a_second_ingest_of_the_same_files_writes_no_data_file(crash_setup, tmp_path):
    ws = Workspace(tmp_path / "ws")
    shutil.copytree(crash_setup["template"].root, ws.root)
    ingest(crash_setup["second"], ws, workers=1)
    written = {path: path.stat().st_mtime_ns for path in ws.root.rglob("*.parquet")}
    ingest(crash_setup["second"], ws, workers=1)
    assert {path: path.stat().st_mtime_ns for path in ws.root.rglob("*.parquet")} == written


def test_workspace_files_are_readable_by_their_owner_only(crash_setup, tmp_path):
    ws = Workspace(tmp_path / "ws")
    ingest(crash_setup["second"], ws, workers=1)
    modes = {path.relative_to(ws.root): path.stat().st_mode & 0o777 for path in (ws.root, *ws.root.rglob("*"))}
    assert {mode for mode in modes.values()} <= {0o600, 0o700}, modes

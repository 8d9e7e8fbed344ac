"""``tcw doctor``: check that a workspace opens, that its counts reconcile with its run log, and that
nothing is left over; ``--repair`` puts right what can be put right and says what to do with the rest.

>>> import tempfile
>>> ws = Workspace(Path(tempfile.mkdtemp()) / "ws")
>>> _ = ws.folder("events")
>>> [finding.problem for finding in examine(ws)]
[]
"""

from __future__ import annotations

import fcntl
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from loaders.atomic import FILE_MODE, FOLDER_MODE, private_folder
from loaders.recovery import leftovers, parquet_problem, recover
from loaders.transaction import JOURNAL
from loaders.workspace import DATA_FOLDERS, Workspace

QUARANTINE = "quarantine"


@dataclass
class Finding:
    """One thing wrong with a workspace, what to do about it, and whether ``--repair`` did it."""

    problem: str
    fix: str
    repaired: bool = False

    def line(self) -> str:
        state = "已修复 repaired" if self.repaired else "待处理 to do"
        return f"[{state}] {self.problem} → {self.fix}"


def examine(ws: Workspace, repair: bool = False) -> list[Finding]:
    """Everything wrong with ``ws`` (repaired where possible when ``repair``)."""
    if repair:
        with ws.locked():
            return _examine(ws, repair=True)
    return _examine(ws, repair=False)


def _examine(ws: Workspace, repair: bool) -> list[Finding]:
    findings = _interrupted(ws, repair, busy=not repair and _busy(ws))
    findings += _unreadable(ws, repair)
    findings += _unreconciled(ws)
    findings += _permissions(ws, repair)
    return findings


def _busy(ws: Workspace) -> bool:
    """True while an ingest holds the workspace (its work folder is then in use, not left over)."""
    if not (ws.root / ".lock").exists():
        return False
    with ws.lock_file() as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


def _interrupted(ws: Workspace, repair: bool, busy: bool) -> list[Finding]:
    if busy:
        return [Finding("一次载入正在运行 / an ingest is running", "wait for it to finish, then check again")]
    findings = []
    if (ws.root / JOURNAL).exists():
        findings.append(Finding("一次载入在提交时中断 / an ingest was interrupted while committing",
                                "tcw doctor --repair (or the next tcw ingest) completes it"))
    for path in leftovers(ws):
        findings.append(Finding(f"中断的载入留下的文件 / left by an interrupted run: {path.relative_to(ws.root)}",
                                "tcw doctor --repair (or the next tcw ingest) removes it"))
    if repair and findings:
        recover(ws)
        for finding in findings:
            finding.repaired = True
    return findings


def _unreadable(ws: Workspace, repair: bool) -> list[Finding]:
    findings = []
    for kind in DATA_FOLDERS:
        for path in map(Path, ws.parts(kind)):
            problem = parquet_problem(path)
            if problem is None:
                continue
            finding = Finding(f"无法读取 / unreadable: {kind}/{path.name} ({problem})",
                              "tcw doctor --repair moves it to quarantine/; then ingest its source files again "
                              "(runs.jsonl lists every run's files)")
            if repair:
                target = private_folder(ws.root / QUARANTINE / kind) / path.name
                os.replace(path, target)
                finding.repaired = True
            findings.append(finding)
    return findings


def _unreconciled(ws: Workspace) -> list[Finding]:
    """The last committed run's totals against the files (only for runs that logged them)."""
    committed = [run for run in ws.runs() if run.get("status", "ok") == "ok" and "counts" in run]
    if not committed:
        return []
    counts = committed[-1]["counts"]
    findings = []
    for kind, total in (("events", "events_total"), ("rejects", "rejects_total")):
        if total not in counts:
            continue
        actual = sum(_rows(path) for path in ws.parts(kind))
        if actual != counts[total]:
            findings.append(Finding(
                f"{kind} 行数 {actual:,} 与运行记录的 {counts[total]:,} 不符 / {kind} hold {actual:,} rows, the run log "
                f"says {counts[total]:,}", "files were changed outside tcw: ingest the sources into a new workspace"))
    return findings


def _rows(path: str) -> int:
    try:
        return pq.ParquetFile(path).metadata.num_rows
    except Exception:  # reported as unreadable already
        return 0


def _permissions(ws: Workspace, repair: bool) -> list[Finding]:
    """Folders and files readable by others (events and rejects hold personal data)."""
    exposed = [path for path in (ws.root, *ws.root.rglob("*"))
               if not path.is_symlink() and stat.S_IMODE(path.stat().st_mode) & 0o077]
    if not exposed:
        return []
    finding = Finding(f"{len(exposed)} 个文件或文件夹他人可读 / readable by other users, e.g. "
                      f"{exposed[0].relative_to(ws.root.parent)}", "tcw doctor --repair makes them owner-only")
    if repair:
        for path in exposed:
            os.chmod(path, FOLDER_MODE if path.is_dir() else FILE_MODE)
        finding.repaired = True
    return [finding]

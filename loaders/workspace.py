"""The workspace folder: canonical events (the source of truth) and everything needed to rebuild them.

Layout::

    events/*.parquet         canonical events, one row per code per record (files added by each run;
                             a file is rewritten only when a delete or new reference data touches it)
    deletes/<run>.parquet    3507 delete instructions (kept, so a later upload of a deleted record stays out)
    rejects/<run>.parquet    rows that could not be used: file, line, field, reason, source text
    reference/<kind>.parquet institutions, products, pack_relations
    runs.jsonl               one line per ingest run with its counts
    tmp/                     work files of a run in progress

>>> import tempfile
>>> ws = Workspace(Path(tempfile.mkdtemp()) / "ws")
>>> ws.event_files()
[]
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from loaders.errors import BadInput

DEFAULT_WORKSPACE = "tcw-workspace"


def workspace_path(given: str | os.PathLike | None) -> Path:
    """``--workspace``, else ``$TCW_WORKSPACE``, else ``./tcw-workspace``."""
    return Path(given or os.environ.get("TCW_WORKSPACE") or DEFAULT_WORKSPACE)


@dataclass(frozen=True)
class Workspace:
    """Paths and bookkeeping of one workspace folder."""

    root: Path

    @property
    def events_dir(self) -> Path:
        return self.root / "events"

    @property
    def events_glob(self) -> str:
        """What to pass to ``read_parquet`` for all canonical events of the workspace."""
        return str(self.events_dir / "*.parquet")

    def folder(self, name: str) -> Path:
        path = self.root / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def parts(self, name: str) -> list[str]:
        """The Parquet files of one folder (events, deletes, rejects), in name order."""
        folder = self.root / name
        return sorted(str(p) for p in folder.glob("*.parquet")) if folder.is_dir() else []

    def event_files(self) -> list[str]:
        return self.parts("events")

    def reference_path(self, kind: str) -> Path:
        return self.folder("reference") / f"{kind}.parquet"

    def new_run(self) -> tuple[str, Path]:
        """A fresh run id and its work folder."""
        run_id = time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}-{time.monotonic_ns() % 10**6:06d}"
        work = self.folder("tmp") / run_id
        work.mkdir(parents=True)
        return run_id, work

    def log_run(self, entry: dict) -> None:
        with open(self.root / "runs.jsonl", "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, ensure_ascii=False) + "\n")

    @contextmanager
    def locked(self):
        """Hold the workspace for one writer; a second concurrent ingest gets a clear error."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise BadInput("工作区正被另一个进程写入 / the workspace is in use by another ingest",
                               path=str(self.root), hint="wait for it to finish") from None
            try:
                yield self
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def clear_work(self, work: Path) -> None:
        shutil.rmtree(work, ignore_errors=True)

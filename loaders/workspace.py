"""The workspace folder: canonical events (the source of truth) and everything needed to rebuild them.

Layout::

    events/*.parquet         canonical events, one row per code per record (files added by each run;
                             a file is rewritten only when a delete or new reference data touches it)
    deletes/<run>.parquet    3507 delete instructions (kept, so a later upload of a deleted record stays out)
    rejects/<run>.parquet    rows that could not be used: file, line, field, reason, source text
    reference/<kind>.parquet institutions, products, pack_relations
    runs.jsonl               one line per ingest run with its counts (failed runs too)
    journal.json             the changes of a run being committed (see ``loaders.transaction``)
    tmp/                     work files of a run in progress (a dead run's are removed by the next)

Files and folders are readable by their owner only: events and rejects hold personal data.

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

from loaders.atomic import private_folder, write_atomic
from loaders.errors import BadInput

DEFAULT_WORKSPACE = "tcw-workspace"
#: The folders of data files a run changes (all through ``loaders.transaction``).
DATA_FOLDERS = ("events", "deletes", "rejects", "reference")


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
        private_folder(self.root)
        return private_folder(self.root / name)

    def parts(self, name: str) -> list[str]:
        """The Parquet files of one folder (events, deletes, rejects), in name order."""
        folder = self.root / name
        return sorted(str(p) for p in folder.glob("*.parquet")) if folder.is_dir() else []

    def event_files(self) -> list[str]:
        return self.parts("events")

    def reference_path(self, kind: str) -> Path:
        return self.folder("reference") / f"{kind}.parquet"

    @staticmethod
    def new_run_id() -> str:
        """A fresh run id (time, process, a counter)."""
        return time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}-{time.monotonic_ns() % 10**6:06d}"

    def work_folder(self, run_id: str) -> Path:
        """The work folder of a run (made here)."""
        work = self.folder("tmp") / run_id
        work.mkdir(parents=True)
        return work

    @property
    def runs_log(self) -> Path:
        return self.root / "runs.jsonl"

    def runs(self) -> list[dict]:
        """The run log's entries, oldest first."""
        if not self.runs_log.exists():
            return []
        lines = self.runs_log.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def log_run(self, entry: dict) -> None:
        """Add a run's line to ``runs.jsonl`` (rewritten atomically; a run already logged is not added)."""
        private_folder(self.root)
        with open(os.open(self.root / ".runs.lock", os.O_RDWR | os.O_CREAT, 0o600)) as guard:
            fcntl.flock(guard, fcntl.LOCK_EX)  # a failed run logs without the workspace lock
            old = self.runs_log.read_bytes() if self.runs_log.exists() else b""
            if entry.get("run") and f'"run": {json.dumps(entry["run"])}'.encode() in old:
                return
            line = json.dumps(entry, ensure_ascii=False, allow_nan=False) + "\n"
            write_atomic(self.runs_log, old + line.encode("utf-8"))

    def lock_file(self):
        """The workspace's lock file, opened (owner-only when made)."""
        private_folder(self.root)
        return os.fdopen(os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT, 0o600), "r+")

    @contextmanager
    def locked(self):
        """Hold the workspace for one writer; a second concurrent ingest gets a clear error."""
        with self.lock_file() as handle:
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

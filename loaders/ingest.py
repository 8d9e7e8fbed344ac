"""``tcw ingest``: files and folders of uploads → the workspace's canonical events.

Every file is checked (format, encoding, header) before anything is written, so an unreadable input
stops the run with one clear line and leaves the workspace as it was. Row-level problems never stop
a run: they become rejects with file, line, field and reason. A run's changes are staged and committed
together (``loaders.transaction``): a run that fails or is killed changes nothing, and the next run
removes what it left (``loaders.recovery``). Every run, failed ones too, has a line in ``runs.jsonl``.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from loaders import nhsa_json
from loaders.consolidate import RunCounts, consolidate
from loaders.detect import Detected
from loaders.errors import BadInput
from loaders.events_format import events_task
from loaders.executor import (
    TASK_BYTES,
    Block,
    TableFile,
    Task,
    block_batches,
    run_tasks,
    table_batches,
    table_file_batches,
)
from loaders.pool import Workers, default_workers, worker_pool
from loaders.raw import with_file
from loaders.recovery import recover, require_readable
from loaders.reference import read_reference, store_reference
from loaders.survey import survey
from loaders.table import read_csv_table, read_xlsx_table
from loaders.transaction import Transaction
from loaders.walk import collect_files
from loaders.workspace import Workspace


def memory_limit() -> str:
    """DuckDB's memory cap for consolidation (``$TCW_MEMORY_LIMIT``, default 1GB); beyond it, it spills."""
    return os.environ.get("TCW_MEMORY_LIMIT", "1GB")


@dataclass
class IngestReport:
    """The counts of one ingest run (see ``RunCounts``) plus what was read."""

    counts: RunCounts
    files: dict[str, str] = field(default_factory=dict)
    references: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    recovered: list[str] = field(default_factory=list)
    seconds: float = 0.0
    workspace: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def ingest(paths: list[str | Path], workspace: Workspace, forced: str | None = None,
           workers: int | Workers | None = None, progress: Callable[[int], None] | None = None) -> IngestReport:
    """Load ``paths`` (files or folders) into ``workspace``; idempotent. ``workers``: a number of
    processes (default one per core), or workers the caller started already."""
    started = time.monotonic()
    # pyarrow imports pandas on first use (half a second): do it while the survey runs on the workers
    threading.Thread(target=_warm_pyarrow, daemon=True).start()
    run_id = workspace.new_run_id()
    try:
        with _workers(workers) as pool:
            detected, skipped, deletes = survey(collect_files(paths), {Path(p) for p in paths}, forced, pool)
            with workspace.locked():
                recovered = recover(workspace)
                require_readable(workspace)
                work = workspace.work_folder(run_id)
                try:
                    tx = Transaction.begin(workspace, run_id, work)
                    report = _run(tx, detected, deletes, pool, progress)
                    report.skipped, report.recovered = skipped, recovered
                    report.seconds = round(time.monotonic() - started, 3)
                    tx.commit({"run": run_id, "status": "ok", **report.as_dict()})
                finally:
                    workspace.clear_work(work)
    except (Exception, KeyboardInterrupt) as error:
        _log_failure(workspace, run_id, paths, error)
        raise
    return report


def _log_failure(ws: Workspace, run_id: str, paths: list, error: BaseException) -> None:
    """A run that stopped leaves the workspace as it was, and a line saying why (in a workspace that
    exists: a first run that fails makes none)."""
    if not ws.root.is_dir():
        return
    reason = str(error) if isinstance(error, BadInput) else f"{type(error).__name__}: {error}"
    with suppress(OSError):  # a workspace that cannot be written (a full disk): the error says enough
        ws.log_run({"run": run_id, "status": "failed", "paths": [str(p) for p in paths], "error": reason})


@contextmanager
def _workers(workers: int | Workers | None) -> Iterator[Workers]:
    if isinstance(workers, Workers):
        yield workers
        return
    with worker_pool(workers or default_workers()) as pool:
        yield pool


def _warm_pyarrow() -> None:
    pa.array([0])


def _run(tx: Transaction, detected: dict[Path, Detected], deletes: list, pool, progress) -> IngestReport:
    report = IngestReport(RunCounts(), workspace=str(tx.ws.root))
    parts: list[str] = []
    con = duckdb.connect(config={"memory_limit": memory_limit(), "temp_directory": str(tx.work / "spill")})
    try:
        changed = False
        for path, found in detected.items():
            report.files[str(path)] = found.kind if found.kind != "reference" else f"reference:{found.reference}"
            if found.kind == "reference":
                table = read_reference(path, found.reference, found.container, found.encoding)
                report.references[found.reference] = table.num_rows
                changed |= store_reference(con, tx, found.reference, table)
        indexed = list(enumerate(detected.items()))
        known = known_deletes(con, tx, deletes)
        run_tasks(_tasks(indexed, con, tx, known), pool, lambda done: _collect(parts, done, progress))
        report.counts = consolidate(con, tx, parts, reference_changed=changed, known=known)
    finally:
        con.close()
    return report


def _collect(parts: list[str], done: list[str], progress) -> None:
    parts.extend(done)
    if progress is not None:
        progress(len(done))


def _tasks(indexed: list, con, tx: Transaction, known: pa.Table) -> Iterator[Task]:
    """Tasks for every file: format-A blocks batched across files, tables batched by rows."""
    work = tx.work
    shared = {"institutions": tx.content("reference", "institutions.parquet") or "", "deletes": known}
    blocks = (
        Block(str(path), offset, length, first, found.encoding, index)
        for index, (path, found) in indexed
        if found.container == "jsonl"
        for offset, length, first in nhsa_json.line_blocks(path)
    )
    yield from block_batches(blocks, work, shared)
    small = (TableFile(str(path), found.container, found.encoding, found.headers, index)
             for index, (path, found) in indexed if found.kind == "table" and _small(path))
    yield from table_file_batches(small, work, shared)
    files = tuple((index, str(path)) for index, (path, _) in indexed)
    yield from table_batches(_tables(indexed), work, shared | {"files": files})
    for index, (path, found) in indexed:
        if found.kind == "events":
            yield events_task(con, path, found, work, index)


def known_deletes(con, tx: Transaction, scanned: list[tuple]) -> pa.Table:
    """3507 deletes known before the workers start: the workspace's, and those the survey's scan of this
    run's files found. Workers keep the records they name out of the events files."""
    table = pa.table({name: pa.array([row[i] for row in scanned], pa.string())
                      for i, name in enumerate(("institution_code", "record_no", "delete_data_type", "upload_time"))})
    existing = tx.files("deletes")
    if existing:
        old = con.sql("SELECT institution_code, record_no, delete_data_type, strftime(upload_time, '%Y-%m-%d %H:%M:%S') "
                      "AS upload_time FROM read_parquet($d)", params={"d": existing}).to_arrow_table()
        table = pa.concat_tables([old.cast(table.schema), table])
    return table


def _small(path: Path) -> bool:
    """Small table files are read by the workers; a large one is streamed here, a block at a time."""
    return path.stat().st_size <= TASK_BYTES // 4


def _tables(indexed) -> Iterator[tuple[str, pa.Table]]:
    """(kind, table) for files read into tables: format B, and format-A files that are not one per line."""
    for index, (path, found) in indexed:
        if found.kind == "table" and not _small(path):
            tables = (read_xlsx_table(path) if found.container == "xlsx"
                      else read_csv_table(path, found.encoding, found.headers))
            yield from (("raw", with_file(table, index)) for table in tables)
        elif found.container == "json":
            for table in nhsa_json.read_streamed(path, found.encoding, index):
                yield ("lines", table) if "text" in table.column_names else ("raw", table)

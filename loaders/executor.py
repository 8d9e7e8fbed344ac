"""Normalisation tasks run by worker processes, each with its own DuckDB connection.

A task is large enough that planning the normalisation query (tens of milliseconds) is paid rarely:
format-A files are cut into byte blocks of whole lines and small files share a task; small tables are
concatenated. The compiled reader (``loaders/native.py``) reads a task first when it is built; what it
declines goes through the SQL normalisation into a second part folder (``<target>-rest``). Every task
writes its rows to part folders (``event|reject|delete|deleted|duplicate.parquet``) and returns them, so
the parent only holds a few tasks in flight and memory stays flat in the input's size.
"""

from __future__ import annotations

import gc
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from loaders import native, nhsa_json
from loaders.events_format import write_events
from loaders.faults import checkpoint
from loaders.normalize import PartContext, prepare, write_fast_part, write_lines, write_raw
from loaders.pool import Workers
from loaders.raw import raw_table

TASK_BYTES = int(os.environ.get("TCW_TASK_MB", "64")) << 20
TASK_ROWS = 100_000
_CONNECTION: duckdb.DuckDBPyConnection | None = None


@dataclass(frozen=True)
class Block:
    """Whole lines ``[offset, offset + length)`` of a format-A file, the first being ``first_line``."""

    path: str
    offset: int
    length: int
    first_line: int
    encoding: str
    file_index: int


@dataclass(frozen=True)
class TableFile:
    """A format-B file small enough to be read whole by a worker."""

    path: str
    container: str
    encoding: str
    headers: tuple[str, ...]
    file_index: int


@dataclass(frozen=True)
class Task:
    """One unit of work: format-A ``blocks``, format-B ``tables``, a ``lines`` or ``raw`` table, or an
    ``events`` file."""

    kind: str
    target: str
    blocks: tuple[Block, ...] = ()
    tables: tuple[TableFile, ...] = ()
    table: pa.Table | None = None
    path: str = ""
    container: str = ""
    file_index: int = 0
    files: tuple[tuple[int, str], ...] = ()
    institutions: str = ""
    deletes: pa.Table | None = None

    def file_table(self) -> pa.Table:
        """``file_index`` → ``source_file`` for the files this task covers."""
        files = dict(self.files) | {block.file_index: block.path for block in self.blocks}
        files |= {table.file_index: table.path for table in self.tables}
        return pa.table({"file_index": pa.array(list(files), pa.int32()),
                         "source_file": pa.array(list(files.values()), pa.string())})


def run_tasks(tasks: Iterable[Task], workers: Workers, done: Callable[[list[str]], None]) -> None:
    """Run tasks on the workers (in this process when there is no pool), calling ``done`` per result."""

    def finished(parts: list[str]) -> None:
        checkpoint("part written")
        done(parts)

    if workers.pool is None:
        for task in tasks:
            finished(run_task(task))
        return
    pending: deque[Future] = deque()
    for task in tasks:
        pending.append(workers.pool.submit(run_task, task))
        while len(pending) >= 2 * workers.count:
            finished(pending.popleft().result())
    while pending:
        finished(pending.popleft().result())


def run_task(task: Task) -> list[str]:
    """Normalise one task into part folders; returns their paths."""
    con = _connection()
    context = PartContext(task.file_table(), task.institutions, task.deletes)
    if task.kind == "events":
        write_events(con, task.path, task.container, task.target, task.file_index)
        return [task.target]
    if task.kind != "lines" and native.available():
        return _run_fast(con, task, context)
    if task.kind in ("raw", "tables"):
        write_raw(con, _task_table(task), task.target, context)
        return [task.target]
    if task.kind == "lines":
        return _sql_lines(con, task.table, task.target, context)
    chunk, errors = _read_blocks(task.blocks)
    return _sql_lines(con, chunk, task.target, context, errors)


def _run_fast(con, task: Task, context: PartContext) -> list[str]:
    """The compiled reader first; the lines and rows it declines go through SQL into ``<target>-rest``."""
    events = native.builder(task.institutions, native.known_deletes(con, task.deletes))
    rest = task.target + "-rest"
    outputs = [task.target]
    if task.kind == "block":
        declined, errors = [], []
        for b in task.blocks:
            data, bad = nhsa_json.block_bytes(Path(b.path), b.offset, b.length, b.encoding)
            chunk, not_utf8 = nhsa_json.lines_table(native.add_lines(events, data, b.first_line, b.file_index, b.path),
                                                    b.file_index)
            declined.append(chunk)
            errors.append(nhsa_json.undecodable_rows([(b.first_line + at, raw) for at, raw in bad] + not_utf8,
                                                     b.encoding, b.file_index))
        outputs += _sql_lines(con, pa.concat_tables(declined), rest, context, pa.concat_tables(errors))
    else:
        files = dict(zip(*(context.files[name].to_pylist() for name in ("file_index", "source_file")), strict=True))
        left = [native.add_raw(events, table, files) if kind == "raw" else table for kind, table in _fast_tables(events, task)]
        left = [table for table in left if table.num_rows]
        if left:
            write_raw(con, pa.concat_tables(left), rest, context)
            outputs.append(rest)
    write_fast_part(native.finish(events), task.target)
    return outputs


def _sql_lines(con, chunk: pa.Table, target: str, context: PartContext, errors: pa.Table | None = None) -> list[str]:
    """Format-A lines through SQL, and the raw error rows of lines a reader could not read (``errors``);
    when a line is not JSON, the JSON lines and the rest go separately. Returns the part folders written
    (a folder holds only the files of rows it was given)."""
    bad = errors if errors is not None and errors.num_rows else None
    if chunk.num_rows:
        try:
            write_lines(con, chunk, target, context)
        except duckdb.InvalidInputException:
            chunk, malformed = nhsa_json.malformed_lines(chunk, con)
            write_lines(con, chunk, target, context)
            bad = pa.concat_tables([bad, malformed]) if bad is not None else malformed
    if bad is not None:
        write_raw(con, bad, target + "-bad", context)
    return [target, target + "-bad"]


def _fast_tables(events, task: Task) -> Iterator[tuple[str, pa.Table]]:
    """A task's tables for the compiled reader: ("left", rows it declined) for CSV files it read
    itself, ("raw", table) for everything else (read by the Arrow or Excel reader)."""
    if task.kind == "raw":
        yield "raw", task.table
        return
    for file in task.tables:
        left = native.add_csv(events, Path(file.path), file.encoding, file.headers, file.file_index) \
            if file.container == "csv" else None
        if left is not None:
            yield "left", left
        else:
            yield "raw", _read_tables((file,))


def _task_table(task: Task) -> pa.Table:
    return task.table if task.kind == "raw" else _read_tables(task.tables)


def block_batches(blocks: Iterable[Block], folder: Path, shared: dict) -> Iterator[Task]:
    """Group blocks (of one or many files) into tasks of about ``TASK_BYTES``; ``shared`` holds the Task
    fields every task of the run has (institutions reference, known deletes, file names)."""
    batch: list[Block] = []
    size = 0
    for number, block in enumerate(blocks):
        batch.append(block)
        size += block.length
        if size >= TASK_BYTES:
            yield Task("block", str(folder / f"json-{number:07d}"), blocks=tuple(batch), **shared)
            batch, size = [], 0
    if batch:
        yield Task("block", str(folder / "json-last"), blocks=tuple(batch), **shared)


def table_file_batches(tables: Iterable[TableFile], folder: Path, shared: dict) -> Iterator[Task]:
    """Group small format-B files into tasks of about ``TASK_BYTES`` (the worker reads them)."""
    batch: list[TableFile] = []
    size = 0
    for number, table in enumerate(tables):
        batch.append(table)
        size += Path(table.path).stat().st_size
        if size >= TASK_BYTES // 4:
            yield Task("tables", str(folder / f"files-{number:07d}"), tables=tuple(batch), **shared)
            batch, size = [], 0
    if batch:
        yield Task("tables", str(folder / "files-last"), tables=tuple(batch), **shared)


def table_batches(tables: Iterable[tuple[str, pa.Table]], folder: Path, shared: dict) -> Iterator[Task]:
    """Concatenate small tables of one kind (``raw`` or ``lines``) into tasks of about ``TASK_ROWS`` rows."""
    pending: dict[str, list[pa.Table]] = {"raw": [], "lines": []}
    for number, (kind, table) in enumerate(tables):
        pending[kind].append(table)
        if sum(t.num_rows for t in pending[kind]) >= TASK_ROWS:
            yield Task(kind, str(folder / f"table-{kind}-{number:07d}"), table=pa.concat_tables(pending[kind]),
                       **shared)
            pending[kind] = []
    for kind, rest in pending.items():
        if rest:
            yield Task(kind, str(folder / f"table-{kind}-last"), table=pa.concat_tables(rest), **shared)


def _read_tables(files: tuple[TableFile, ...]) -> pa.Table:
    from loaders.raw import with_file
    from loaders.table import read_csv_table, read_xlsx_table

    tables = []
    for file in files:
        path = Path(file.path)
        reader = read_xlsx_table(path) if file.container == "xlsx" else read_csv_table(path, file.encoding, file.headers)
        tables.extend(with_file(table, file.file_index) for table in reader)
    return pa.concat_tables(tables) if tables else raw_table({}, 0)


def _read_blocks(blocks: tuple[Block, ...]) -> tuple[pa.Table, pa.Table]:
    """The lines of format-A blocks, and the error rows of their lines that do not decode."""
    read = [nhsa_json.read_block(Path(b.path), b.offset, b.length, b.first_line, b.encoding, b.file_index)
            for b in blocks]
    return pa.concat_tables([chunk for chunk, _ in read]), pa.concat_tables([errors for _, errors in read])


def start_worker() -> None:
    """A worker process: its DuckDB connection; the objects of its imports are set aside from garbage
    collection, and collections are rarer (a worker makes few, short-lived Python objects)."""
    _connection()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def _connection() -> duckdb.DuckDBPyConnection:
    global _CONNECTION
    if _CONNECTION is None:
        limit = os.environ.get("TCW_WORKER_MEMORY_LIMIT", "512MB")
        _CONNECTION = duckdb.connect(config={"threads": 1, "memory_limit": limit})
        prepare(_CONNECTION)
    return _CONNECTION

"""Normalisation tasks run by worker processes, each with its own DuckDB connection.

Format A is cut into byte blocks of whole lines that workers read and normalise independently; other
formats hand over raw tables. Every task writes its rows to Parquet part files and returns their paths,
so the parent only ever holds a few tasks in flight and memory stays flat in the size of the input.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from loaders import nhsa_json
from loaders.events_format import write_events
from loaders.normalize import prepare, write_lines, write_raw

_CONNECTION: duckdb.DuckDBPyConnection | None = None


@dataclass(frozen=True)
class Task:
    """One unit of work: a ``block`` of a format-A file, or a ``lines``/``raw`` table."""

    kind: str
    target: str
    source_file: str
    file_index: int
    table: pa.Table | None = None
    block: tuple[int, int, int] = (0, 0, 0)
    encoding: str = "utf-8"


def run_tasks(tasks: Iterable[Task], workers: int, done: Callable[[list[str]], None]) -> None:
    """Run tasks on ``workers`` processes (in this process when 1), calling ``done`` per result."""
    if workers <= 1:
        for task in tasks:
            done(run_task(task))
        return
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker) as pool:
        pending: deque[Future] = deque()
        for task in tasks:
            pending.append(pool.submit(run_task, task))
            while len(pending) >= 2 * workers:
                done(pending.popleft().result())
        while pending:
            done(pending.popleft().result())


def default_workers() -> int:
    """One worker per core, at most four."""
    return max(1, min(4, os.cpu_count() or 1))


def run_task(task: Task) -> list[str]:
    """Normalise one task into part files; returns their paths (a malformed line adds a second part)."""
    con = _connection()
    if task.kind == "raw":
        write_raw(con, task.table, task.target, task.source_file, task.file_index)
        return [task.target]
    if task.kind == "events":
        write_events(con, task.source_file, task.encoding, task.target, task.file_index)
        return [task.target]
    chunk = task.table if task.kind == "lines" else _block(task)
    try:
        write_lines(con, chunk, task.target, task.source_file, task.file_index)
        return [task.target]
    except duckdb.InvalidInputException:
        good, bad = nhsa_json.malformed_lines(chunk, con)
        second = task.target.replace(".parquet", "-bad.parquet")
        write_lines(con, good, task.target, task.source_file, task.file_index)
        write_raw(con, bad, second, task.source_file, task.file_index)
        return [task.target, second]


def block_tasks(path: Path, encoding: str, folder: Path, file_index: int) -> Iterator[Task]:
    """Tasks covering a newline-delimited format-A file."""
    for number, block in enumerate(nhsa_json.line_blocks(path)):
        target = str(folder / f"f{file_index:06d}-{number:06d}.parquet")
        yield Task("block", target, str(path), file_index, block=block, encoding=encoding)


def _block(task: Task) -> pa.Table:
    return nhsa_json.read_block(Path(task.source_file), *task.block, task.encoding)


def _init_worker() -> None:
    _connection()


def _connection() -> duckdb.DuckDBPyConnection:
    global _CONNECTION
    if _CONNECTION is None:
        _CONNECTION = duckdb.connect(config={"threads": 1, "memory_limit": "512MB"})
        prepare(_CONNECTION)
    return _CONNECTION

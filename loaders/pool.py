"""Worker processes for ingest, started before the heavy modules load.

This module imports only the standard library, so a command can start the workers first and let
their start-up (each imports DuckDB and pyarrow) overlap its own.

>>> default_workers() >= 1
True
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Workers:
    """Worker processes (``pool`` is None when there is one: tasks then run in this process)."""

    pool: ProcessPoolExecutor | None
    count: int


def default_workers() -> int:
    """One worker per core, at most four."""
    return max(1, min(4, os.cpu_count() or 1))


@contextmanager
def worker_pool(workers: int) -> Iterator[Workers]:
    """Start ``workers`` processes at once, so their imports overlap whatever the caller does before
    the first task."""
    if workers <= 1:
        yield Workers(None, 1)
        return
    # spawn, not fork: the parent holds DuckDB's threads, and a forked copy of them can deadlock
    context = multiprocessing.get_context("spawn")
    # workers are single-threaded by design; idle BLAS threads (numpy, imported by pyarrow) would spin
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_start, initargs=(os.getpid(),), mp_context=context)
    try:
        for _ in range(workers):
            pool.submit(_ready)
        yield Workers(pool, workers)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def map_files(workers: Workers, function: Callable, items: list) -> list:
    """``function`` over ``items`` on the workers, results in order (small items: many per call)."""
    if workers.pool is None:
        return [function(item) for item in items]
    chunk = max(1, min(64, len(items) // (4 * workers.count) or 1))
    return list(workers.pool.map(function, items, chunksize=chunk))


def _start(parent: int) -> None:
    """In a new worker: watch the parent, load the loaders and open the worker's DuckDB connection."""
    from loaders.executor import start_worker

    watch_parent(parent)
    start_worker()


def watch_parent(parent: int, every: float = 0.5) -> threading.Thread:
    """Make this worker process end when ``parent`` does, even when the parent is killed outright
    (SIGKILL, OOM) and cannot shut its workers down: a thread notices that the process was handed to
    another parent and exits at once, so no worker keeps its memory or files.

    >>> watch_parent(os.getppid()).daemon
    True
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        os._exit(70)

    thread = threading.Thread(target=watch, name="watch-parent", daemon=True)
    thread.start()
    return thread


def _ready() -> None:
    """A no-op task: its only effect is that the pool starts every worker now."""

"""What a run finds of an earlier run that died, and how it puts the workspace right.

Every run that takes the workspace's lock first calls :func:`recover`: a journal left by a commit that
was cut short is applied (the run completed), and the work folders and half-written files of runs that
died before committing are removed (those runs rolled back). Readers (screens, graph) call
:func:`settle`, which does the same when no run holds the lock.

>>> import tempfile
>>> from loaders.workspace import Workspace
>>> ws = Workspace(Path(tempfile.mkdtemp()) / "ws")
>>> _ = (ws.folder("tmp") / "dead-run").mkdir()
>>> with ws.locked():
...     recover(ws)
['removed the work folder of an unfinished run: tmp/dead-run']
"""

from __future__ import annotations

import fcntl
import shutil
from pathlib import Path

import pyarrow.parquet as pq

from loaders.atomic import is_partial
from loaders.errors import BadInput
from loaders.transaction import JOURNAL, apply_journal
from loaders.workspace import DATA_FOLDERS, Workspace


def recover(ws: Workspace) -> list[str]:
    """Finish an interrupted commit and remove what dead runs left; call with the lock held. Returns
    one line per thing done."""
    done = []
    run = apply_journal(ws)
    if run:
        done.append(f"completed the interrupted commit of run {run}")
    for leftover in leftovers(ws):
        relative = leftover.relative_to(ws.root)
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
            done.append(f"removed the work folder of an unfinished run: {relative}")
        else:
            leftover.unlink(missing_ok=True)
            done.append(f"removed a half-written file: {relative}")
    return done


def leftovers(ws: Workspace) -> list[Path]:
    """Work folders of runs (only dead ones when nobody holds the lock) and half-written files."""
    found = sorted((ws.root / "tmp").iterdir()) if (ws.root / "tmp").is_dir() else []
    for folder in (ws.root, *(ws.root / name for name in DATA_FOLDERS)):
        if folder.is_dir():
            found.extend(sorted(path for path in folder.iterdir() if is_partial(path) or path.suffix == ".tmp"))
    return found


def pending(ws: Workspace) -> bool:
    """True when an earlier run left something to complete or remove."""
    return (ws.root / JOURNAL).exists() or bool(leftovers(ws))


def parquet_problem(path: str | Path) -> str | None:
    """Why a Parquet file cannot be read, or None."""
    try:
        pq.ParquetFile(path).metadata  # noqa: B018 - reading the footer is the check
    except Exception as error:  # any reason a reader would fail is the answer
        return f"{type(error).__name__}: {error}"
    return None


def require_readable(ws: Workspace) -> None:
    """``BadInput`` naming the first data file that cannot be read (a workspace damaged outside tcw, or
    by a version that wrote files in place), with what to do."""
    for kind in DATA_FOLDERS:
        for path in ws.parts(kind):
            problem = parquet_problem(path)
            if problem:
                raise BadInput(f"工作区文件无法读取 / a workspace file cannot be read ({problem})", path=path,
                               hint=f"run tcw doctor --repair --workspace {ws.root}")


def settle(ws: Workspace) -> None:
    """Before reading a workspace: recover it if a dead run left work behind, and refuse one with an
    unreadable file. While a run holds the lock, a reader refuses to read a half-applied commit."""
    if not ws.root.is_dir():
        return
    if pending(ws):
        _recover_unless_busy(ws)
    require_readable(ws)


def _recover_unless_busy(ws: Workspace) -> None:
    with ws.lock_file() as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if (ws.root / JOURNAL).exists():
                raise BadInput("工作区正在提交一次载入 / the workspace is committing an ingest right now",
                               path=str(ws.root), hint="try again in a moment") from None
            return
        try:
            recover(ws)
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)

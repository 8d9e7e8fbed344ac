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


def settle(ws: Workspace) -> None:
    """Before reading a workspace: recover it if a dead run left work behind. While a run holds the
    lock, a reader waits for nothing but refuses to read a half-applied commit."""
    if not ws.root.is_dir() or not pending(ws):
        return
    with open(ws.root / ".lock", "a") as handle:
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

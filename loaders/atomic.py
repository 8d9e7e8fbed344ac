"""Atomic file writes: a file is written under a temporary name beside its target, flushed to disk and
renamed into place, so a reader (or a later run after a crash) sees the old file or the new one, never a
half-written one. Files are created readable by their owner only (workspace files hold personal data).

>>> import tempfile
>>> target = Path(tempfile.mkdtemp()) / "a.txt"
>>> with atomic_path(target) as temporary:
...     _ = temporary.write_text("new")
>>> target.read_text(), oct(target.stat().st_mode & 0o777)
('new', '0o600')
>>> write_atomic(target, b"newer"); target.read_bytes()
b'newer'
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from loaders.faults import checkpoint

#: Suffix of the temporary names; a file carrying it belongs to a write that never finished.
PARTIAL = ".partial"
FILE_MODE = 0o600
FOLDER_MODE = 0o700


def temporary_name(target: Path) -> Path:
    """A name beside ``target`` that no other process uses (same folder, so the rename is atomic)."""
    return target.with_name(f".{target.name}.{os.getpid()}{PARTIAL}")


def is_partial(path: Path) -> bool:
    """True for the temporary file of an unfinished atomic write."""
    return path.name.endswith(PARTIAL)


@contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """A temporary path to write ``target``'s new content to; renamed into place when the block ends
    without an error, removed otherwise."""
    target = Path(target)
    temporary = temporary_name(target)
    temporary.unlink(missing_ok=True)
    try:
        yield temporary
        if not temporary.exists():  # the writer made nothing (e.g. an empty result): nothing to publish
            return
        os.chmod(temporary, FILE_MODE)
        fsync_file(temporary)
        checkpoint(f"write {target.name}")
        os.replace(temporary, target)
        fsync_folder(target.parent)
    finally:
        temporary.unlink(missing_ok=True)


def write_atomic(target: str | os.PathLike, data: bytes) -> None:
    """Replace ``target`` by ``data`` atomically."""
    with atomic_path(target) as temporary:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)


def fsync_file(path: str | os.PathLike) -> None:
    """Flush one file's content to disk."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def fsync_folder(path: str | os.PathLike) -> None:
    """Flush a folder's entries (a rename or a new name in it) to disk."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def private_folder(path: str | os.PathLike) -> Path:
    """Make ``path`` (and missing parents) with owner-only access; returns it."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    return path

"""The files an ingest run reads: the paths named on the command line, and the files found by walking the
folders among them (recursively, in name order).

A named path that cannot be read (missing, empty text, no permission, not a regular file, a broken or
looping link) is bad input: one line, exit 2. In a folder, everything that is not read is listed with the
reason (``Walk.skipped``, printed by ``tcw ingest``): hidden entries, empty files, files and folders without
permission, link loops and broken links, special files, a second link to a file already found.

>>> import tempfile
>>> root = Path(tempfile.mkdtemp())
>>> _ = (root / "a.csv").write_text("x"); _ = (root / "empty.csv").write_text(""); _ = (root / ".hidden").write_text("x")
>>> (root / "loop").symlink_to(root / "loop")
>>> found = collect_files([root])
>>> [path.name for path in found]
['a.csv']
>>> {Path(path).name: reason.split(" / ")[1] for path, reason in found.skipped.items()}
{'.hidden': 'hidden', 'empty.csv': 'empty file', 'loop': 'a symbolic link loop'}
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from loaders.errors import BadInput

HIDDEN = "隐藏 / hidden"
EMPTY = "空文件 / empty file"
UNREADABLE = "无读取权限 / no permission to read"
LOOP = "符号链接循环 / a symbolic link loop"
BROKEN = "链接目标不存在 / a broken link (its target does not exist)"
SPECIAL = "不是普通文件 / not a regular file (a pipe, socket or device)"
OPEN_FOLDER = "无法打开文件夹 / cannot open the folder"


class Walk(list):
    """The files to read, in order (a list of paths), and ``skipped``: what the walk passed over (path →
    reason), for the ingest report."""

    def __init__(self, files: Iterable[Path] = (), skipped: dict[str, str] | None = None) -> None:
        super().__init__(files)
        self.skipped: dict[str, str] = dict(skipped or {})


def collect_files(paths: Iterable[str | os.PathLike]) -> Walk:
    """The files under the given paths (see the module docstring); ``BadInput`` for a named path that
    cannot be read."""
    walk, seen = Walk(), _Seen()
    for given in paths:
        path = named_path(given)
        if path.is_dir():
            _walk_folder(path, walk, seen)
        elif seen.first(path, walk):
            walk.append(path)
    return walk


def named_path(given: str | os.PathLike) -> Path:
    """A path named on the command line, checked: it exists and can be read; ``BadInput`` otherwise."""
    if not str(given).strip():
        raise BadInput("路径为空 / an empty path", hint="name a file or folder (use . for the current folder)")
    path = Path(given)
    reason = unusable(path)
    if reason is None:
        reason = _unopenable(path) if path.is_dir() else _unreadable(path)
    if reason is not None:
        raise BadInput(reason, path=str(path), hint=_hint(reason))
    return path


_HINTS = {UNREADABLE: "give yourself read permission (chmod, or ask the file's owner), or copy it somewhere readable",
          OPEN_FOLDER: "give yourself permission to list and enter the folder (chmod u+rx), or name its files",
          LOOP: "point the link at a real file", BROKEN: "point the link at a real file",
          SPECIAL: "copy the data into a file first"}


def _hint(reason: str) -> str:
    return next((hint for start, hint in _HINTS.items() if reason.startswith(start)), "check the path")


def unusable(path: Path) -> str | None:
    """Why ``path`` is neither a readable-looking file nor a folder (``None`` when it is one)."""
    try:
        info = path.stat()
    except OSError as error:
        if error.errno == errno.ELOOP:
            return LOOP
        if error.errno == errno.ENOENT and path.is_symlink():
            return BROKEN
        if error.errno in (errno.ENOENT, errno.ENOTDIR):
            return "路径不存在 / no such file or folder"
        return f"无法访问 / cannot reach it: {error.strerror}"
    if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
        return SPECIAL
    return None


def _unreadable(path: Path) -> str | None:
    """Why the regular file ``path`` cannot be opened for reading (``None`` when it can)."""
    try:
        os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK))
    except PermissionError:
        return UNREADABLE
    except OSError as error:
        return f"无法打开 / cannot open it: {error.strerror}"
    return None


def _unopenable(folder: Path) -> str | None:
    """Why the folder's entries cannot be listed (``None`` when they can)."""
    try:
        with os.scandir(folder):
            return None
    except OSError as error:
        return f"{OPEN_FOLDER}: {error.strerror}"


class _Seen:
    """Files and folders already walked, by device and inode: a second link to one is skipped (a link to
    a folder above it is a loop)."""

    def __init__(self) -> None:
        self.where: dict[tuple[int, int], Path] = {}

    def first(self, path: Path, walk: Walk) -> bool:
        """Whether ``path`` is met for the first time (else it is listed: a loop when it leads back to a
        folder above it, else the same as the first)."""
        info = path.stat()
        identity = (info.st_dev, info.st_ino)
        earlier = self.where.get(identity)
        if earlier is None:
            self.where[identity] = path
            return True
        inside = earlier in path.parents
        walk.skipped[str(path)] = LOOP if inside else f"与 {earlier} 相同 / the same as {earlier} (a link)"
        return False


def _walk_folder(folder: Path, walk: Walk, seen: _Seen) -> None:
    """Add the folder's files in name order, recursively; list what is passed over."""
    if not seen.first(folder, walk):
        return
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError as error:
        walk.skipped[str(folder)] = f"{OPEN_FOLDER}: {error.strerror}"
        return
    for entry in entries:
        path = Path(entry.path)
        reason = HIDDEN if entry.name.startswith(".") else unusable(path)
        if reason is not None:
            walk.skipped[str(path)] = reason
        elif path.is_dir():
            _walk_folder(path, walk, seen)
        else:
            _add_file(path, walk, seen)


def _add_file(path: Path, walk: Walk, seen: _Seen) -> None:
    reason = EMPTY if path.stat().st_size == 0 else _unreadable(path)
    if reason is not None:
        walk.skipped[str(path)] = reason
    elif seen.first(path, walk):
        walk.append(path)

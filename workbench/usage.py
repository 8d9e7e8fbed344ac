"""Paths given on the command line, checked before any work: one that cannot serve (empty, a file where a
folder is needed or the reverse, under a file, in a folder the user may not write, an unknown extension)
is bad usage, one line and exit 2, instead of an internal error half way through.

>>> import tempfile
>>> here = Path(tempfile.mkdtemp())
>>> output_file(str(here / "new" / "leads.csv"), "--out", (".csv", ".json")).name
'leads.csv'
>>> output_file(str(here / "leads.txt"), "--out", (".csv", ".json"))
Traceback (most recent call last):
...
loaders.errors.BadInput: ...leads.txt: --out 的扩展名应为 .csv, .json / --out must end in .csv, .json (e.g. leads.csv)
"""

from __future__ import annotations

import os
from pathlib import Path

from loaders.errors import BadInput
from loaders.workspace import workspace_path


def given_path(text: str | os.PathLike, option: str) -> Path:
    """``text`` as a path; an empty one is bad usage (``Path("")`` would quietly mean the current folder).

    >>> given_path("", "--out")
    Traceback (most recent call last):
    ...
    loaders.errors.BadInput: --out 路径为空 / --out is an empty path (name a file or folder (. for the current folder))
    """
    if not str(text).strip():
        raise BadInput(f"{option} 路径为空 / {option} is an empty path", hint="name a file or folder (. for the current folder)")
    return Path(text)


def workspace_folder(given: str | None, writes: bool = True) -> Path:
    """The workspace folder (``--workspace``, else ``$TCW_WORKSPACE``, else ``./tcw-workspace``): a folder
    or nothing yet, under folders; ``writes``: one the user may write in (or create)."""
    path = workspace_path(None if given is None else given_path(given, "--workspace"))
    if _exists(path, "--workspace") and not path.is_dir():
        raise BadInput("--workspace 是文件而不是文件夹 / --workspace is a file, not a folder", path=str(path),
                       hint="name a folder (made on first use)")
    if writes or not _exists(path, "--workspace"):
        writable_place(path, "--workspace")
    return path


def output_file(given: str | os.PathLike, option: str, suffixes: tuple[str, ...]) -> Path:
    """A file to write: a known extension, not a folder, in a folder the user may write in (or create)."""
    path = given_path(given, option)
    if path.suffix.lower() not in suffixes:
        names = ", ".join(suffixes)
        raise BadInput(f"{option} 的扩展名应为 {names} / {option} must end in {names}", path=str(path),
                       hint=f"e.g. leads{suffixes[0]}")
    if _exists(path, option) and not path.is_file():
        raise BadInput(f"{option} 是文件夹 / {option} names a folder, not a file", path=str(path),
                       hint="name a file inside it")
    writable_place(path.parent, option, shown=path)
    return path


def output_folder(given: str | os.PathLike, option: str) -> Path:
    """A folder to write into: not a file, in a place the user may write in (made when missing)."""
    path = given_path(given, option)
    if _exists(path, option) and not path.is_dir():
        raise BadInput(f"{option} 是文件而不是文件夹 / {option} is a file, not a folder", path=str(path),
                       hint="name a new or existing folder")
    writable_place(path, option)
    return path


def writable_place(path: Path, option: str, shown: Path | None = None) -> None:
    """``path`` (a folder, existing or to be made) can be written: the nearest existing folder at or
    above it is a folder the user may write in. ``shown``: the path the user gave, for the message."""
    existing = next((p for p in (path, *path.parents) if _exists(p, option)), Path("."))
    where = str(shown or path)
    if not existing.is_dir():
        raise BadInput(f"{option} 位于文件 {existing} 之下 / {option} lies under a file, {existing}", path=where,
                       hint="choose a path under a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise BadInput(f"{option} 所在文件夹无写入权限 / no permission to write in {existing}", path=where,
                       hint="choose a folder you may write in, or ask its owner for write permission")


def _exists(path: Path, option: str) -> bool:
    """Whether something is at ``path``; a path that cannot even be looked at is bad usage."""
    try:
        path.stat()
    except (FileNotFoundError, NotADirectoryError):  # under a file: ``writable_place`` names the file
        return False
    except OSError as error:
        raise BadInput(f"{option} 无法访问 / {option} cannot be reached: {error.strerror}", path=str(path),
                       hint="check the path and your permissions on the folders above it") from None
    return True

"""Check a case package against its manifest, as a folder or as its zip, and write the zip.

``verify_package`` recomputes the SHA-256 of every file and names each one changed (content or size),
missing or added; a missing, unreadable or malformed manifest is a problem, and so is a zip member with an
absolute path or ``..`` (members are read in memory, block by block, never extracted). ``zip_package``
writes ``<folder>.zip`` with the files under one top folder named after the package, in sorted order with
fixed times: the same folder gives the same bytes.

>>> import tempfile
>>> from workbench.cases.manifest import write_manifest
>>> folder = Path(tempfile.mkdtemp()) / "pkg"
>>> folder.mkdir()
>>> _ = (folder / "nodes.csv").write_text("id\\nC1\\n")
>>> _ = write_manifest(folder, {"case": {"id": "CASE-1"}})
>>> verify_package(folder), verify_package(zip_package(folder))
([], [])
>>> _ = (folder / "nodes.csv").write_text("id\\nC2\\n")
>>> verify_package(folder)
['已改动 / changed: nodes.csv (SHA-256 不符 / SHA-256 differs)']
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from loaders.atomic import atomic_path
from loaders.errors import BadInput
from workbench.cases.manifest import (
    BLOCK,
    MANIFEST,
    manifest_problem,
    package_paths,
    safe_relative,
    stream_digest,
)

#: A fixed time for every zip member (the earliest a zip can hold), so equal folders give equal zips.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
#: Largest manifest read from a zip (a guard against a member that inflates without end).
MAX_MANIFEST = 64 << 20
#: What may go wrong reading a zip member.
READ_ERRORS = (OSError, zipfile.BadZipFile, zlib.error, RuntimeError, NotImplementedError, EOFError)

Opener = Callable[[], BinaryIO]


def verify_package(path: Path) -> list[str]:
    """The problems of the package at ``path`` (a folder or a ``.zip``), empty when it is intact."""
    path = Path(path)
    if path.is_dir():
        return _verify_folder(path)
    if path.is_file():
        return _verify_zip(path)
    raise BadInput("找不到包 / no package here", path=str(path),
                   hint="give the folder tcw case export wrote, or its .zip")


def zip_package(folder: Path) -> Path:
    """Write ``<folder>.zip`` atomically (members under ``<folder name>/``, sorted, fixed times); its path."""
    folder = Path(folder).resolve()
    if not (folder / MANIFEST).is_file():
        raise BadInput("包中没有 manifest.json / the package has no manifest.json", path=str(folder),
                       hint="write the manifest before zipping (tcw case export)")
    target = folder.with_name(f"{folder.name}.zip")
    with atomic_path(target) as temporary, zipfile.ZipFile(temporary, "w") as archive:
        for name in package_paths(folder):
            source = folder / name
            info = zipfile.ZipInfo(f"{folder.name}/{name}", date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, whatever the machine: the attributes below mean the same everywhere
            info.external_attr = (stat.S_IFREG | 0o600) << 16
            info.file_size = source.stat().st_size
            with open(source, "rb") as reader, archive.open(info, "w") as writer:
                shutil.copyfileobj(reader, writer, BLOCK)
    return target


def _verify_folder(folder: Path) -> list[str]:
    root = folder
    try:
        if not (folder / MANIFEST).exists():
            entries = list(folder.iterdir())
            if len(entries) == 1 and entries[0].is_dir() and (entries[0] / MANIFEST).exists():
                root = entries[0]  # the package unpacked with its top folder
    except OSError as error:
        return [f"无法读取 / unreadable: {folder} ({error.strerror or error})"]
    problems, present = _folder_files(root)
    manifest = _parse(_file_opener(root / MANIFEST), _is_regular(root / MANIFEST))
    if isinstance(manifest, str):
        return [manifest, *problems]
    return problems + _compare(manifest["files"], present)


def _folder_files(root: Path) -> tuple[list[str], dict[str, Opener]]:
    """The folder's regular files but the manifest, by relative path (links are not followed), and the
    problems of the rest (links, special files, unreadable folders)."""
    problems: list[str] = []
    present: dict[str, Opener] = {}

    def unreadable(error: OSError) -> None:
        name = Path(error.filename or "").relative_to(root).as_posix() if error.filename else "?"
        problems.append(f"无法读取 / unreadable: {name} ({error.strerror or error})")

    for folder, folders, names in os.walk(root, onerror=unreadable):
        for entry in [*folders, *names]:
            path = Path(folder, entry)
            name = path.relative_to(root).as_posix()
            mode = path.lstat().st_mode
            if stat.S_ISREG(mode) and name != MANIFEST:
                present[name] = _file_opener(path)
            elif not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
                problems.append(f"不是普通文件 / not a regular file: {name}")
    return sorted(problems), dict(sorted(present.items()))


def _verify_zip(path: Path) -> list[str]:
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as error:
        return [f"不是可读的 zip / not a readable zip: {error}"]
    with archive:
        problems, members = _members(archive)
        prefix = _top_folder(members)
        present: dict[str, Opener] = {}
        for name, info in members.items():
            if not name.startswith(prefix):
                problems.append(f"多出 / extra: {name}")
            elif name != prefix + MANIFEST:
                present[name[len(prefix):]] = _member_opener(archive, info)
        manifest_info = members.get(prefix + MANIFEST)
        manifest = _parse(_member_opener(archive, manifest_info), manifest_info is not None)
        if isinstance(manifest, str):
            return [manifest, *problems]
        return problems + _compare(manifest["files"], present)


def _members(archive: zipfile.ZipFile) -> tuple[list[str], dict[str, zipfile.ZipInfo]]:
    """The zip's file members by name, and the problems of the others (unsafe paths, links, doubles)."""
    problems, members = [], {}
    for info in archive.infolist():
        name = info.filename
        if not safe_relative(name.rstrip("/")):
            problems.append(f"不安全的成员路径 / unsafe member path: {name}")
        elif info.is_dir():
            continue
        elif stat.S_ISLNK(info.external_attr >> 16):
            problems.append(f"不是普通文件 / not a regular file: {name}")
        elif name in members:
            problems.append(f"重复的成员 / duplicate member: {name}")
        else:
            members[name] = info
    return problems, members


def _top_folder(members: dict) -> str:
    """``""`` when the manifest is at the zip's root, ``"<top>/"`` when every member is under one folder
    holding it."""
    if MANIFEST in members:
        return ""
    tops = {name.split("/", 1)[0] for name in members if "/" in name}
    if len(tops) == 1 and f"{next(iter(tops))}/{MANIFEST}" in members:
        return f"{next(iter(tops))}/"
    return ""


def _parse(opener: Opener, exists: bool) -> dict | str:
    """The manifest, or the problem with it."""
    if not exists:
        return f"缺少清单 / {MANIFEST} is missing"
    try:
        with opener() as handle:
            data = handle.read(MAX_MANIFEST + 1)
        if len(data) > MAX_MANIFEST:
            return f"清单过大 / {MANIFEST} is too large"
        manifest = json.loads(data.decode("utf-8"))
    except READ_ERRORS as error:
        return f"无法读取清单 / cannot read {MANIFEST}: {error}"
    except ValueError as error:
        return f"清单格式错误 / {MANIFEST} is malformed: {error}"
    return manifest_problem(manifest) or manifest


def _compare(listed: dict, present: dict[str, Opener]) -> list[str]:
    """Each listed file missing or changed, and each present file not listed."""
    problems = []
    for name, entry in listed.items():
        if name not in present:
            problems.append(f"缺少 / missing: {name}")
            continue
        try:
            with present[name]() as handle:
                found = stream_digest(handle, limit=entry["bytes"])
        except READ_ERRORS as error:
            problems.append(f"无法读取 / unreadable: {name} ({error})")
            continue
        if found["bytes"] != entry["bytes"]:
            size = f"{found['bytes']:,}" if found["bytes"] <= entry["bytes"] else f"> {entry['bytes']:,}"
            problems.append(f"已改动 / changed: {name} (大小 size {size}, 清单 listed {entry['bytes']:,})")
        elif found["sha256"] != entry["sha256"]:
            problems.append(f"已改动 / changed: {name} (SHA-256 不符 / SHA-256 differs)")
    problems += [f"多出 / extra: {name}" for name in sorted(set(present) - set(listed))]
    return problems


def _is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


def _file_opener(path: Path) -> Opener:
    return lambda: open(path, "rb")


def _member_opener(archive: zipfile.ZipFile, info: zipfile.ZipInfo | None) -> Opener:
    return lambda: archive.open(info)

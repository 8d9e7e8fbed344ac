"""A case package's ``manifest.json``: what made the package (tool and version, time, case, pseudonymisation
mode, parameters, queries, the inputs with their SHA-256) and the SHA-256 and size of every file it holds,
so the receiving side can check that nothing was changed, lost or added (``workbench.cases.verify``).

>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> _ = (folder / "nodes.csv").write_text("id\\n")
>>> manifest = read_manifest(write_manifest(folder, {"case": {"id": "CASE-1", "title": "串换"}}).parent)
>>> manifest["format"], manifest["pseudonymisation"], manifest["files"]["nodes.csv"]["bytes"]
('tcw-case-package/1', 'pseudonymised', 3)
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path, PurePosixPath

from loaders.atomic import write_atomic
from loaders.errors import BadInput
from workbench.cases.model import Case

FORMAT = "tcw-case-package/1"
MANIFEST = "manifest.json"
TOOL = "tcw"
#: Bytes read at a time when hashing.
BLOCK = 1 << 20
MODES = ("pseudonymised", "revealed")


def package_manifest(folder: Path, info: dict) -> dict:
    """The manifest of the package in ``folder``.

    ``info``: ``case`` (a ``Case``, or a dict with ``id``/``case_id``, ``title``, ``status``, ``assignee``),
    ``pseudonymisation`` (``"pseudonymised"``, the default, or ``"revealed"``), ``parameters`` (dict),
    ``queries``, ``inputs`` (paths of the input files, hashed here), ``input_root`` (optional: inputs under
    it are named relative to it), ``created_at`` (optional, UTC ISO; default now)."""
    folder = Path(folder)
    mode = info.get("pseudonymisation") or MODES[0]
    if mode not in MODES:
        raise BadInput(f"未知的假名化方式 / unknown pseudonymisation mode {mode!r}", hint=" or ".join(MODES))
    return {
        "format": FORMAT,
        "tool": {"name": TOOL, "version": tool_version()},
        "created_at": info.get("created_at") or datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "case": _case(info.get("case")),
        "pseudonymisation": mode,
        "parameters": info.get("parameters") or {},
        "queries": info.get("queries") or {},
        "inputs": [_input(Path(path), info.get("input_root")) for path in info.get("inputs") or ()],
        "files": package_files(folder),
    }


def write_manifest(folder: Path, info: dict) -> Path:
    """Write ``folder/manifest.json`` (UTF-8, keys sorted) atomically; its path."""
    manifest = package_manifest(folder, info)
    text = json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=2, default=str) + "\n"
    path = Path(folder) / MANIFEST
    write_atomic(path, text.encode("utf-8"))
    return path


def read_manifest(folder: Path) -> dict:
    """The manifest of the package in ``folder``; ``BadInput`` when it is missing or not a manifest."""
    path = Path(folder) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BadInput(f"无法读取清单 / cannot read the manifest: {error}", path=str(path),
                       hint="export the case again (tcw case export)") from None
    problem = manifest_problem(manifest)
    if problem:
        raise BadInput(problem, path=str(path), hint="export the case again (tcw case export)")
    return manifest


def manifest_problem(manifest) -> str:
    """What is wrong with a parsed manifest's shape ('' when nothing).

    >>> manifest_problem({"format": FORMAT, "files": {"a.csv": {"sha256": "0" * 64, "bytes": 1}}})
    ''
    >>> manifest_problem({"format": FORMAT, "files": {"../a.csv": {"sha256": "0" * 64, "bytes": 1}}})
    '清单中的路径不安全 / unsafe path in the manifest: ../a.csv'
    """
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        return f"不是 {FORMAT} 清单 / not a {FORMAT} manifest"
    files = manifest.get("files")
    if not isinstance(files, dict):
        return "清单没有文件列表 / the manifest has no files list"
    for name, entry in files.items():
        if not safe_relative(name) or name == MANIFEST:
            return f"清单中的路径不安全 / unsafe path in the manifest: {name}"
        if not (isinstance(entry, dict) and _is_sha256(entry.get("sha256")) and type(entry.get("bytes")) is int):
            return f"清单条目格式错误 / malformed manifest entry: {name}"
    return ""


def package_files(folder: Path) -> dict[str, dict]:
    """``{relative POSIX path: {"sha256", "bytes"}}`` of every file under ``folder`` but ``manifest.json``,
    sorted."""
    folder = Path(folder)
    return {name: file_digest(folder / name) for name in package_paths(folder) if name != MANIFEST}


def package_paths(folder: Path) -> list[str]:
    """The relative POSIX paths of the files under ``folder`` (subfolders included), sorted; ``BadInput``
    for anything but regular files and folders (links, pipes)."""
    folder = Path(folder)
    found = []
    for root, folders, names in os.walk(folder, onerror=_unreadable):
        for name in [*folders, *names]:
            path = Path(root, name)
            mode = path.lstat().st_mode
            if stat.S_ISDIR(mode):
                continue
            if not stat.S_ISREG(mode):
                raise BadInput("包中只能有普通文件 / a package holds only regular files", path=str(path),
                               hint="remove the link or special file")
            found.append(path.relative_to(folder).as_posix())
    return sorted(found)


def file_digest(path: Path) -> dict:
    """``{"sha256", "bytes"}`` of a file, read in 1 MiB blocks."""
    with open(path, "rb") as handle:
        return stream_digest(handle)


def stream_digest(handle, limit: int | None = None) -> dict:
    """``{"sha256", "bytes"}`` of what a binary stream holds, read in 1 MiB blocks; with ``limit``, stops
    after reading more than ``limit`` bytes (the digest is then of that prefix)."""
    digest, size = hashlib.sha256(), 0
    while block := handle.read(BLOCK):
        digest.update(block)
        size += len(block)
        if limit is not None and size > limit:
            break
    return {"sha256": digest.hexdigest(), "bytes": size}


def safe_relative(name: str) -> bool:
    """True for a relative POSIX path that stays inside its folder (no absolute path, drive, ``..``).

    >>> safe_relative("a/b.csv"), safe_relative("/etc/passwd"), safe_relative("a/../../b"), safe_relative("C:x")
    (True, False, False, False)
    """
    if not name or "\\" in name or "\x00" in name or name.startswith("/") or ":" in name.split("/")[0]:
        return False
    parts = PurePosixPath(name).parts
    return bool(parts) and ".." not in parts


def tool_version() -> str:
    try:
        return version(TOOL)
    except PackageNotFoundError:
        return "unknown"


def _case(case) -> dict:
    if isinstance(case, Case):
        return {"id": case.case_id, "title": case.title, "status": case.status, "assignee": case.assignee}
    case = case or {}
    return {"id": case.get("id") or case.get("case_id") or "", "title": case.get("title") or "",
            "status": case.get("status") or "", "assignee": case.get("assignee") or ""}


def _input(path: Path, root) -> dict:
    try:
        digest = file_digest(path)
    except OSError as error:
        raise BadInput(f"无法读取输入文件 / cannot read an input file: {error.strerror or error}", path=str(path),
                       hint="check the workspace (tcw doctor)") from None
    name = path.as_posix()
    if root is not None and path.is_relative_to(Path(root)):
        name = path.relative_to(Path(root)).as_posix()
    return {"path": name, **digest}


def _unreadable(error: OSError) -> None:
    raise BadInput(f"无法读取包中的文件夹 / cannot read a folder of the package: {error.strerror or error}",
                   path=str(error.filename or ""), hint="check its permissions")


def _is_sha256(value) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)

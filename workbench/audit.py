"""The workspace audit log: one hash-chained JSON line per case action, export or query in
``WORKSPACE/audit.jsonl``, and ``audit.head.json`` holding the last line's seq and hash (the chain's rules
are in ``workbench.audit_chain``).

Editing a line breaks its hash, removing or reordering lines breaks ``prev`` and ``seq``, removing the last
lines breaks the head. The log is append-only, never rewritten, so the workspace's atomic-rename rule does
not apply to it: a line is added by one ``os.write`` on an ``O_APPEND`` descriptor under an exclusive
``flock``, then fsync; only the small head file is replaced atomically (``loaders.atomic``). A crash can
leave a partly written last line, or a head one entry behind. ``record`` refuses to chain onto a partial
line, or onto a log its head disagrees with (that would hide removed lines), until ``repair`` has moved
the partial line aside (kept, and the move recorded); tampering is never repaired.

>>> import tempfile
>>> root = Path(tempfile.mkdtemp())
>>> record(root, "case new", "C1")["seq"], record(root, "query", detail={"code": "8123"})["seq"]
(1, 2)
>>> verify(root), [entry["action"] for entry in entries(root)], head(root)["seq"]
([], ['case new', 'query'], 2)
"""

from __future__ import annotations

import fcntl
import getpass
import hashlib
import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from loaders.atomic import FILE_MODE, private_folder, write_atomic
from loaders.errors import BadInput
from workbench.audit_chain import (
    GENESIS,
    agrees,
    behind,
    canonical,
    chain_problems,
    head_problems,
    named,
    parse,
    sealed,
    split,
    torn_problem,
)

LOG, HEAD, LOCK = "audit.jsonl", "audit.head.json", ".audit.lock"


def record(root: Path, action: str, case_id: str | None = None, detail: dict | None = None) -> dict:
    """Append one entry (safe with several processes at once) and return it. ``detail`` is stored as JSON
    (paths and other values as text). Raises ``BadInput`` when the log's end is damaged or disagrees with
    its head."""
    root = private_folder(root)
    with _locked(root, exclusive=True):
        return _append(root, action, case_id, detail)


def verify(root: Path) -> list[str]:
    """What is wrong with the log and its head, one bilingual sentence each naming the line; [] if intact."""
    root = Path(root)
    with _locked(root, exclusive=False):
        log, saved = root / LOG, _head(root)
        if not log.exists():
            return [] if saved is None else [f"日志缺失而头记录存在（{named(saved)}）/ the log is missing while its "
                                             f"head exists ({named(saved)}): the log was removed"]
        lines, torn = split(log.read_bytes())
    problems, last = chain_problems(lines)
    if torn:
        problems.append(torn_problem(len(lines) + 1))
    return problems + head_problems(saved, last)


def entries(root: Path) -> list[dict]:
    """The log's readable entries, oldest first (lines that are not entries are left out: verify names them)."""
    log = Path(root) / LOG
    if not log.exists():
        return []
    return [entry for entry in map(parse, split(log.read_bytes())[0]) if entry is not None]


def head(root: Path) -> dict | None:
    """The head file: ``{"seq": …, "hash": …}`` of the last entry (None without one, {} when unreadable)."""
    return _head(Path(root))


def repair(root: Path) -> list[str]:
    """Put right what a crash left: a partly written last line is moved to ``audit.torn-<time>.bin`` (and the
    move recorded), a head one entry behind is brought up to date. Returns what was done."""
    root, done = Path(root), []
    if not (root / LOG).exists():
        return done
    with _locked(root, exclusive=True):
        data = (root / LOG).read_bytes()
        lines, torn = split(data)
        if torn:
            aside = root / f"audit.torn-{datetime.now(timezone.utc):%Y%m%dT%H%M%S%f}.bin"
            write_atomic(aside, torn)
            os.truncate(root / LOG, len(data) - len(torn))
            detail = {"moved_to": aside.name, "bytes": len(torn), "sha256": hashlib.sha256(torn).hexdigest()}
            _append(root, "audit repair", None, detail)
            done.append(f"第 {len(lines) + 1} 行只写了一半，已移至 / the partly written line {len(lines) + 1} moved "
                        f"to {aside.name}")
        elif (last := parse(lines[-1]) if lines else None) and behind(_head(root), last):
            _write_head(root, last)
            done.append(f"头记录已更新到第 {last['seq']} 条 / the head brought up to entry {last['seq']}")
    return done


def _append(root: Path, action: str, case_id: str | None, detail: dict | None) -> dict:
    """Append one entry; the caller holds the lock."""
    descriptor = os.open(root / LOG, os.O_RDWR | os.O_CREAT | os.O_APPEND, FILE_MODE)
    try:
        os.fchmod(descriptor, FILE_MODE)
        last = _last_entry(root, descriptor)
        entry = sealed({"seq": last["seq"] + 1, "at": datetime.now(timezone.utc).isoformat(timespec="microseconds"),
                        "user": _user(), "host": socket.gethostname(), "action": action, "case_id": case_id,
                        "detail": json.loads(json.dumps(detail or {}, ensure_ascii=False, default=str)),
                        "prev": last["hash"]})
        line = canonical(entry) + b"\n"
        if os.write(descriptor, line) != len(line):
            raise OSError(f"short write to {root / LOG}")
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    _write_head(root, entry)
    return entry


def _last_entry(root: Path, descriptor: int) -> dict:
    """The entry to chain onto (seq 0 and the genesis hash for an empty log); refuses a damaged end."""
    lines, torn = split(_tail(descriptor))
    last, saved, log = parse(lines[-1]) if lines else {"seq": 0, "hash": GENESIS}, _head(root), str(root / LOG)
    if torn or last is None:
        raise BadInput("审计日志末行损坏 / the audit log's last line is damaged", path=log,
                       hint="tcw audit verify; tcw audit repair moves a partly written line aside")
    if last["seq"] and not (agrees(saved, last) or behind(saved, last)):
        raise BadInput("审计日志与其头记录不符（末尾的行可能被删除）/ the audit log disagrees with its head (lines may "
                       "have been removed)", path=log, hint="tcw audit verify; keep both files as evidence")
    if not last["seq"] and saved is not None:
        raise BadInput("审计日志为空而头记录存在 / the audit log is empty or missing while its head exists", path=log,
                       hint="tcw audit verify; keep audit.head.json as evidence")
    return last


def _tail(descriptor: int) -> bytes:
    """The end of the file from the start of its last complete line (the whole file when short)."""
    size, chunk = os.fstat(descriptor).st_size, 4096
    while True:
        start = max(0, size - chunk)
        data = os.pread(descriptor, size - start, start)
        if start == 0:
            return data
        if data.count(b"\n") >= 2 or (b"\n" in data and not data.endswith(b"\n")):
            return data[data.find(b"\n") + 1:]  # drops the line the window cut
        chunk *= 4


def _head(root: Path) -> dict | None:
    try:
        saved = json.loads((root / HEAD).read_bytes())
    except FileNotFoundError:
        return None
    except ValueError:
        return {}
    return saved if isinstance(saved, dict) else {}


def _write_head(root: Path, entry: dict) -> None:
    write_atomic(root / HEAD, canonical({"seq": entry["seq"], "hash": entry["hash"]}) + b"\n")


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return str(os.getuid())


@contextmanager
def _locked(root: Path, exclusive: bool) -> Iterator[None]:
    """The audit lock: exclusive for writers, shared for readers (none before the first writer made it, so a
    reader changes nothing)."""
    flags = os.O_RDWR | os.O_CREAT if exclusive else os.O_RDONLY
    try:
        descriptor = os.open(root / LOCK, flags, FILE_MODE)
    except OSError:
        if exclusive:
            raise
        yield
        return
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(descriptor)

"""The audit log's chain rules, on lines already read: how an entry is hashed, and what a sequence of
lines and a head say about edits, removals, reorderings and interrupted writes (``workbench.audit`` reads
and appends the files).

An entry's ``hash`` is the SHA-256 of the canonical JSON (sorted keys, UTF-8, no spaces) of its other
fields, ``prev`` (the previous entry's hash; 64 zeros for the first) included.

>>> first = sealed({"seq": 1, "at": "t", "user": "u", "host": "h", "action": "query", "case_id": None,
...                 "detail": {}, "prev": GENESIS})
>>> second = sealed({**first, "seq": 2, "prev": first["hash"]})
>>> lines = [canonical(first), canonical(second)]
>>> chain_problems(lines)[0], head_problems({"seq": 2, "hash": second["hash"]}, second)
([], [])
>>> for problem in chain_problems(lines[1:])[0]:
...     print(problem)
第 1 行 / line 1: prev 与上一行的 hash 不符（有行被删除或调换）/ prev does not match the previous line's hash (a line removed or reordered)
第 1 行 / line 1: 序号 seq 2，应为 expected 1（序号断档或调换 / a gap or a reordering）
"""

from __future__ import annotations

import hashlib
import json

GENESIS = "0" * 64
FIELDS = ("seq", "at", "user", "host", "action", "case_id", "detail", "prev", "hash")


def canonical(value) -> bytes:
    """The one JSON text a hash is taken over (and a line is written as).

    >>> canonical({"b": "药", "a": [1, 2]}).decode()
    '{"a":[1,2],"b":"药"}'
    """
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def digest(entry: dict) -> str:
    """SHA-256 over every field of ``entry`` but ``hash``."""
    return hashlib.sha256(canonical({k: v for k, v in entry.items() if k != "hash"})).hexdigest()


def sealed(entry: dict) -> dict:
    """``entry`` with its ``hash``."""
    return {**entry, "hash": digest(entry)}


def split(data: bytes) -> tuple[list[bytes], bytes]:
    """Complete lines, and what follows the last newline (a partly written line, or nothing).

    >>> split(b'{"a":1}\\n{"b"')
    ([b'{"a":1}'], b'{"b"')
    """
    *lines, torn = data.split(b"\n")
    return lines, torn


def parse(line: bytes) -> dict | None:
    """One line's entry, or None when it is not one (not JSON, fields missing or of the wrong kind)."""
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    if not isinstance(entry, dict) or set(entry) != set(FIELDS) or type(entry["seq"]) is not int:
        return None
    return entry if all(isinstance(entry[k], str) for k in ("prev", "hash")) else None


def chain_problems(lines: list[bytes]) -> tuple[list[str], dict | None]:
    """The problems of complete lines, each naming its line, and the last readable entry."""
    problems, last, expected_seq, expected_prev = [], None, 1, GENESIS
    for number, line in enumerate(lines, 1):
        where, entry = f"第 {number} 行 / line {number}: ", parse(line)
        if entry is None:
            problems.append(where + "不是审计记录（非 JSON 或缺字段）/ not an audit entry (not JSON or fields missing)")
            expected_seq = expected_prev = None
            continue
        if digest(entry) != entry["hash"]:
            problems.append(where + "内容与其 hash 不符（被修改）/ its content does not match its hash (edited)")
        if expected_prev is not None and entry["prev"] != expected_prev:
            problems.append(where + "prev 与上一行的 hash 不符（有行被删除或调换）/ prev does not match the previous "
                            "line's hash (a line removed or reordered)")
        if expected_seq is not None and entry["seq"] != expected_seq:
            problems.append(where + f"序号 seq {entry['seq']}，应为 expected {expected_seq}（序号断档或调换 / a gap "
                            "or a reordering）")
        last, expected_seq, expected_prev = entry, entry["seq"] + 1, entry["hash"]
    return problems, last


def torn_problem(number: int) -> str:
    """A partly written last line: a crash, not tampering."""
    return (f"第 {number} 行 / line {number}: 只写了一半（写入中断，无换行）/ partly written (a write was interrupted; "
            "no newline at the end): tcw audit repair moves it aside")


def head_problems(saved: dict | None, last: dict | None) -> list[str]:
    """What the head (``{"seq", "hash"}``, None when missing, {} when unreadable) says against the last entry."""
    if last is None:
        return [] if saved is None else [f"头记录（{named(saved)}）存在，日志中却没有可读记录 / the head exists "
                                         f"({named(saved)}), the log holds no readable entry (lines removed)"]
    if agrees(saved, last):
        return []
    if behind(saved, last):
        return [f"头记录落后一条（写入第 {last['seq']} 条后中断）/ the head is one entry behind (interrupted after "
                f"entry {last['seq']} was written): tcw audit repair updates it"]
    return [f"头记录（{named(saved)}）与最后一行（第 {last['seq']} 条）不符：末尾的行被删除或改动 / the head "
            f"({named(saved)}) does not match the last line (seq {last['seq']}): lines removed from the end or changed"]


def agrees(saved: dict | None, entry: dict) -> bool:
    """The head names ``entry``."""
    return saved is not None and saved.get("seq") == entry["seq"] and saved.get("hash") == entry["hash"]


def behind(saved: dict | None, entry: dict) -> bool:
    """The head names the entry before ``entry`` (a crash between writing the line and the head), or is
    missing before the first entry."""
    if saved is None:
        return entry["seq"] == 1 and entry["prev"] == GENESIS
    return saved.get("seq") == entry["seq"] - 1 and saved.get("hash") == entry["prev"]


def named(saved: dict | None) -> str:
    """The head as a message shows it.

    >>> named({"seq": 3, "hash": "ab" * 32}), named(None), named({})
    ('seq 3, abababababababab', '无 missing', '无法读取 unreadable')
    """
    if saved is None:
        return "无 missing"
    if not isinstance(saved.get("seq"), int) or not isinstance(saved.get("hash"), str):
        return "无法读取 unreadable"
    return f"seq {saved['seq']}, {saved['hash'][:16]}"

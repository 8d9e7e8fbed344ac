"""The workspace audit log on real files: entries chained by hash, appends from several processes at once,
and every kind of damage (an edited byte, a removed, reordered or cut line, a removed tail, a removed log)
named by ``verify`` and refused by ``record``; ``tcw audit`` run as a program."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import stat
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from loaders.errors import BadInput
from workbench import audit
from workbench.audit_chain import GENESIS, canonical, digest

TCW = Path(sys.executable).with_name("tcw")
ENV = {k: v for k, v in os.environ.items() if k != "TCW_DEBUG"}


def _logged(root: Path, count: int = 5) -> Path:
    for n in range(1, count + 1):
        audit.record(root, "case status", f"C{n % 2}", {"note": f"step-{n}", "files": {"a.csv": "ab" * 32}})
    return root


def _lines(root: Path) -> list[bytes]:
    return (root / audit.LOG).read_bytes().splitlines(keepends=True)


def _rewrite(root: Path, lines: list[bytes]) -> None:
    (root / audit.LOG).write_bytes(b"".join(lines))


def _appender(root: str, worker: int, count: int, start) -> None:
    start.wait(30)
    for n in range(count):
        audit.record(Path(root), "query", None, {"worker": worker, "n": n})


def test_entries_hold_who_when_what_and_chain_by_hash(tmp_path):
    first = audit.record(tmp_path, "case new", "C1", {"lead": "L1", "out": tmp_path / "pkg"})
    second = audit.record(tmp_path, "case export", "C1", {"files": {"a.csv": "00" * 32}, "reveal": False})
    assert [first["seq"], second["seq"]] == [1, 2]
    assert first["prev"] == GENESIS and second["prev"] == first["hash"]
    for entry in (first, second):
        body = {k: v for k, v in entry.items() if k != "hash"}
        assert entry["hash"] == hashlib.sha256(json.dumps(
            body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()
        at = datetime.fromisoformat(entry["at"])
        assert at.utcoffset().total_seconds() == 0 and len(entry["at"].split(".")[1]) == len("123456+00:00")
        assert entry["user"] and entry["host"]
    assert first["detail"]["out"] == str(tmp_path / "pkg")  # a path is stored as text
    assert _lines(tmp_path) == [canonical(first) + b"\n", canonical(second) + b"\n"]
    assert audit.entries(tmp_path) == [first, second]
    assert audit.head(tmp_path) == {"seq": 2, "hash": second["hash"]}
    for name in (audit.LOG, audit.HEAD, audit.LOCK):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name
    assert audit.verify(tmp_path) == []


def test_four_processes_appending_at_once_keep_every_entry_in_one_chain(tmp_path):
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(4)
    workers = [context.Process(target=_appender, args=(str(tmp_path), w, 25, start)) for w in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(60)
        assert process.exitcode == 0
    entries = audit.entries(tmp_path)
    assert [e["seq"] for e in entries] == list(range(1, 101))
    assert sorted((e["detail"]["worker"], e["detail"]["n"]) for e in entries) == [
        (w, n) for w in range(4) for n in range(25)]
    turns = sum(a["detail"]["worker"] != b["detail"]["worker"] for a, b in zip(entries[:-1], entries[1:], strict=True))
    assert turns > 3  # they did append at the same time (one after the other would take 3 turns)
    assert audit.verify(tmp_path) == []


def test_long_lines_chain_too(tmp_path):
    for n in range(3):
        audit.record(tmp_path, "case export", "C1", {"files": {f"f{i}.csv": "cd" * 32 for i in range(300 + n)}})
    assert len(_lines(tmp_path)[-1]) > 20_000  # beyond the first windows the end is read in
    assert audit.verify(tmp_path) == [] and audit.head(tmp_path)["seq"] == 3


def test_one_edited_byte_names_its_line(tmp_path):
    lines = _lines(_logged(tmp_path))
    lines[2] = lines[2].replace(b"step-3", b"step-8")
    _rewrite(tmp_path, lines)
    problems = audit.verify(tmp_path)
    assert len(problems) == 1 and problems[0].startswith("第 3 行 / line 3:") and "edited" in problems[0]


def test_an_edited_line_given_a_new_hash_breaks_the_next_line(tmp_path):
    lines = _lines(_logged(tmp_path))
    entry = json.loads(lines[2])
    entry["detail"]["note"] = "forged"
    entry["hash"] = digest(entry)
    lines[2] = canonical(entry) + b"\n"
    _rewrite(tmp_path, lines)
    problems = audit.verify(tmp_path)
    assert len(problems) == 1 and problems[0].startswith("第 4 行 / line 4:") and "prev" in problems[0]


def test_a_removed_middle_line_is_named(tmp_path):
    lines = _lines(_logged(tmp_path))
    _rewrite(tmp_path, lines[:2] + lines[3:])
    problems = audit.verify(tmp_path)
    assert problems and all(p.startswith("第 3 行 / line 3:") for p in problems)
    assert any("removed or reordered" in p for p in problems) and any("seq 4" in p for p in problems)


def test_reordered_lines_are_named(tmp_path):
    lines = _lines(_logged(tmp_path))
    _rewrite(tmp_path, [lines[0], lines[2], lines[1], *lines[3:]])
    problems = audit.verify(tmp_path)
    named = {p.split(" /")[0] for p in problems}
    assert {"第 2 行", "第 3 行"} <= named and "第 1 行" not in named


def test_a_line_that_is_not_json_is_named(tmp_path):
    lines = _lines(_logged(tmp_path))
    lines[1] = b"not json at all\n"
    _rewrite(tmp_path, lines)
    problems = audit.verify(tmp_path)
    assert problems[0].startswith("第 2 行 / line 2:") and "not an audit entry" in problems[0]
    assert [e["seq"] for e in audit.entries(tmp_path)] == [1, 3, 4, 5]


def test_a_removed_tail_is_detected_by_the_head_and_not_hidden_by_the_next_record(tmp_path):
    lines = _lines(_logged(tmp_path))
    _rewrite(tmp_path, lines[:-1])
    problems = audit.verify(tmp_path)
    assert len(problems) == 1 and "lines removed from the end" in problems[0] and "seq 5" in problems[0]
    with pytest.raises(BadInput, match="disagrees with its head"):
        audit.record(tmp_path, "query")
    assert _lines(tmp_path) == lines[:-1] and audit.head(tmp_path)["seq"] == 5
    assert audit.repair(tmp_path) == [] and audit.verify(tmp_path) == problems  # tampering is not repaired


def test_a_removed_log_is_detected_while_its_head_remains(tmp_path):
    _logged(tmp_path)
    (tmp_path / audit.LOG).unlink()
    problems = audit.verify(tmp_path)
    assert len(problems) == 1 and "the log is missing" in problems[0]
    with pytest.raises(BadInput, match="missing while its head exists"):
        audit.record(tmp_path, "query")
    (tmp_path / audit.HEAD).write_text("{broken", encoding="utf-8")
    assert "unreadable" in audit.verify(tmp_path)[0]


def test_a_partly_written_last_line_is_reported_as_such_refused_and_repaired(tmp_path):
    lines = _lines(_logged(tmp_path))
    torn = lines[-1][:40]
    _rewrite(tmp_path, [*lines, torn])  # a crash in the middle of the sixth write
    problems = audit.verify(tmp_path)
    assert problems == [problems[0]] and problems[0].startswith("第 6 行 / line 6:")
    assert "partly written" in problems[0] and "edited" not in problems[0]
    with pytest.raises(BadInput, match="last line is damaged"):
        audit.record(tmp_path, "query")
    done = audit.repair(tmp_path)
    assert len(done) == 1 and "line 6" in done[0]
    aside = next(tmp_path.glob("audit.torn-*.bin"))
    assert aside.read_bytes() == torn and stat.S_IMODE(aside.stat().st_mode) == 0o600
    repair = audit.entries(tmp_path)[-1]
    assert (repair["seq"], repair["action"]) == (6, "audit repair")
    assert repair["detail"] == {"moved_to": aside.name, "bytes": 40, "sha256": hashlib.sha256(torn).hexdigest()}
    assert _lines(tmp_path)[:5] == lines and audit.verify(tmp_path) == []
    assert audit.record(tmp_path, "query")["seq"] == 7


def test_a_head_one_entry_behind_is_an_interrupted_write_that_the_next_record_completes(tmp_path):
    _logged(tmp_path)
    fourth = audit.entries(tmp_path)[3]
    (tmp_path / audit.HEAD).write_bytes(canonical({"seq": 4, "hash": fourth["hash"]}))
    problems = audit.verify(tmp_path)
    assert len(problems) == 1 and "one entry behind" in problems[0]
    assert audit.record(tmp_path, "query")["seq"] == 6 and audit.verify(tmp_path) == []
    (tmp_path / audit.HEAD).unlink()  # a head missing after six entries is no crash
    assert "head (无 missing) does not match" in audit.verify(tmp_path)[0]


def test_repair_brings_a_lagging_head_up_to_date(tmp_path):
    audit.record(tmp_path, "case new", "C1")
    (tmp_path / audit.HEAD).unlink()  # the crash between the first line and its head
    assert "one entry behind" in audit.verify(tmp_path)[0]
    assert "entry 1" in audit.repair(tmp_path)[0] and audit.verify(tmp_path) == []


def _tcw(*args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([str(TCW), "audit", *args], capture_output=True, text=True, env=ENV, timeout=60)
    assert "Traceback" not in result.stderr and "内部错误" not in result.stderr, result.stderr
    return result


def test_tcw_audit_verify_exit_0_when_intact_and_2_listing_the_problems(tmp_path):
    _logged(tmp_path)
    result = _tcw("verify", "--workspace", str(tmp_path))
    assert result.returncode == 0, result.stderr
    hash16 = audit.head(tmp_path)["hash"][:16]
    assert result.stdout.strip() == f"审计日志完整 audit log intact: 5 条 entries, head {hash16}"
    lines = _lines(tmp_path)
    _rewrite(tmp_path, [lines[0], lines[2], lines[1], *lines[3:]])
    result = _tcw("verify", "--workspace", str(tmp_path))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("错误 error:") == 1 and "failed verification" in result.stderr
    listed = [line.strip() for line in result.stderr.splitlines()[1:]]
    assert listed == audit.verify(tmp_path) and any(line.startswith("第 2 行") for line in listed)


def test_tcw_audit_show_repair_and_bad_usage(tmp_path):
    _logged(tmp_path)
    shown = _tcw("show", "--workspace", str(tmp_path), "--case", "C1", "--last", "2").stdout.splitlines()
    assert [line.split()[0] for line in shown] == ["#3", "#5"] and all("case status  C1" in s for s in shown)
    assert "note=step-5" in shown[-1] and "files=[1 项 items]" in shown[-1]
    (tmp_path / audit.LOG).open("ab").write(b'{"seq":6,"at"')
    assert _tcw("verify", "--workspace", str(tmp_path)).returncode == 2
    result = _tcw("repair", "--workspace", str(tmp_path))
    assert result.returncode == 0 and "line 6" in result.stdout
    assert _tcw("verify", "--workspace", str(tmp_path)).returncode == 0
    afile = tmp_path / "afile"
    afile.write_text("x", encoding="utf-8")
    assert _tcw("verify", "--workspace", str(afile)).returncode == 2
    assert _tcw("show", "--workspace", str(tmp_path), "--last", "0").returncode == 2
    empty = _tcw("verify", "--workspace", str(tmp_path / "new"))
    assert empty.returncode == 0 and "no audit log yet" in empty.stdout and not (tmp_path / "new").exists()

"""What the reader fuzz test asserts of one ingested upload: the outcome is success or ``BadInput``;
``read = accepted + rejected + duplicates`` and ``read`` equals the test's own count; every non-blank
line is accounted for; nothing is garbled, not finite or out of range; every line whose meaning the
test knows reads as it should (``fuzz_uploads.RecordExpect``)."""

from __future__ import annotations

import json
import math
import sys
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from loaders.errors import BadInput
from loaders.ingest import ingest
from loaders.workspace import Workspace
from tests.loaders.fuzz_lines import PhysicalLine, physical_lines
from tests.loaders.fuzz_uploads import Doc, Record, Sheet

#: business and upload times outside these years are not data (0001-01-01 and 9999-12-31 are fillers)
PLAUSIBLE_YEARS = range(1990, 2100)
NUMBERS = ("quantity", "record_quantity", "unit_price", "amount")


@dataclass(frozen=True)
class Failure:
    """One broken promise: ``check`` names the class, ``detail`` says where and what."""

    check: str
    detail: str


def check_upload(upload: Doc | Sheet, path: Path, workspace: Workspace) -> list[Failure]:
    """Ingest ``path`` (``upload`` written out) into a fresh ``workspace`` and check everything."""
    ignored: list = []
    try:
        with unraisable_kept(ignored):
            report = ingest([path], workspace, workers=1)
    except BadInput as error:
        return _refused(upload, workspace, error) + _ignored(ignored)
    except Exception as error:  # any other exception is the finding
        return [Failure(f"exception:{type(error).__name__}@{_raised_at(error)}", f"{error}"[:300])]
    lines = physical_lines(upload, path)
    stored = _stored(workspace)
    failures = _ignored(ignored) + _counts(report.counts, lines)
    failures += _lines_accounted(lines, stored, report.counts.duplicates)
    failures += _values(stored["events"], path)
    failures += _reject_texts(upload, stored["rejects"], lines)
    failures += _expectations(lines, stored)
    return failures


def _refused(upload, workspace: Workspace, error: BadInput) -> list[Failure]:
    failures = []
    if not upload.bad_input_ok:
        failures.append(Failure("bad-input-for-a-row-level-change", str(error)[:300]))
    if workspace.event_files() or workspace.parts("rejects"):
        failures.append(Failure("bad-input-left-files", str(error)[:300]))
    return failures


@contextmanager
def unraisable_kept(found: list):
    """Exceptions Python could only print ("Exception ignored in …", e.g. raised in a parser's callback)."""
    before = sys.unraisablehook
    sys.unraisablehook = found.append
    try:
        yield
    finally:
        sys.unraisablehook = before


def _ignored(found: list) -> list[Failure]:
    return [Failure(f"exception-ignored:{info.exc_type.__name__}", f"in {info.object}: {info.exc_value}"[:300])
            for info in found[:1]]


def _raised_at(error: Exception) -> str:
    frames = [f for f in traceback.extract_tb(error.__traceback__) if "/loaders/" in f.filename]
    frame = frames[-1] if frames else traceback.extract_tb(error.__traceback__)[-1]
    return f"{Path(frame.filename).name}:{frame.lineno}"


def _stored(workspace: Workspace) -> dict[str, list[dict]]:
    found = {}
    for kind, files in (("events", workspace.event_files()), ("rejects", workspace.parts("rejects")),
                        ("deletes", workspace.parts("deletes"))):
        if not files:
            found[kind] = []
            continue
        relation = duckdb.sql("SELECT * FROM read_parquet($f, union_by_name => true)", params={"f": files})
        found[kind] = [dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall()]
    return found


def _counts(counts, lines: list[PhysicalLine] | None) -> list[Failure]:
    failures = []
    if counts.read != counts.accepted + counts.rejected + counts.duplicates:
        failures.append(Failure("counts-do-not-add-up", f"read {counts.read} != accepted {counts.accepted} + "
                                f"rejected {counts.rejected} + duplicates {counts.duplicates}"))
    if lines is not None and all(line.records is not None for line in lines):
        expected = sum(line.records for line in lines)
        if counts.read != expected:
            failures.append(Failure("read-differs-from-records-in-file",
                                    f"read {counts.read}, the file holds {expected} records"))
    return failures


def _lines_accounted(lines: list[PhysicalLine] | None, stored: dict, duplicates: int) -> list[Failure]:
    if lines is None:
        return []
    seen = {row["source_line"] for kind in ("events", "rejects", "deletes") for row in stored[kind]}
    numbers = {line.number for line in lines}
    failures = []
    missing = sorted(numbers - seen)
    if len(missing) > duplicates:
        failures.append(Failure("line-not-accounted-for", f"lines {missing[:10]} are in no event or reject "
                                f"({duplicates} duplicates)"))
    wrong = sorted(seen - numbers)
    if wrong:
        failures.append(Failure("source-line-not-a-record-line", f"source_line {wrong[:10]} is not a non-blank "
                                f"record line of the file"))
    return failures


def _values(events: list[dict], path: Path) -> list[Failure]:
    """No U+FFFD unless the input held one; numbers finite; times in plausible years."""
    failures: dict[str, Failure] = {}
    held = _input_holds_replacement(path)
    for event in events:
        where = f"line {event['source_line']} record {event['record_no']!r}"
        for name, value in event.items():
            if isinstance(value, str) and "\ufffd" in value and not held:
                failures.setdefault("garbled", Failure("garbled-u+fffd", f"{where}: {name} = {value[:80]!r}"))
            if name in NUMBERS and isinstance(value, float) and not math.isfinite(value):
                failures.setdefault("finite", Failure("non-finite-number-accepted", f"{where}: {name} = {value}"))
            if name in ("event_time", "upload_time") and value is not None and value.year not in PLAUSIBLE_YEARS:
                failures.setdefault("year", Failure("implausible-year-accepted", f"{where}: {name} = {value}"))
    return list(failures.values())


def _input_holds_replacement(path: Path) -> bool:
    data = path.read_bytes()
    return any("\ufffd" in data.decode(codec, errors="ignore") for codec in ("utf-8", "gb18030"))


def _reject_texts(upload, rejects: list[dict], lines: list[PhysicalLine] | None) -> list[Failure]:
    """A JSON line's reject keeps the record's text or the line's, never a record made up of nulls."""
    if upload.fmt != "ndjson":
        return []
    by_number = {line.number: line for line in lines or ()}
    for reject in rejects:
        text = reject["source_text"] or ""
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            continue
        line = by_number.get(reject["source_line"])
        if _made_up(value) and (line is None or text != line.text.strip()):
            shown = line.text[:80] if line else "?"
            return [Failure("reject-text-made-up", f"line {reject['source_line']} ({shown!r}) stored as "
                            f"{text[:80]!r}")]
    return []


def _made_up(value) -> bool:
    return isinstance(value, dict) and bool(value) and all(v in (None, "", [], {}) for v in value.values())


def _expectations(lines: list[PhysicalLine] | None, stored: dict) -> list[Failure]:
    """Each record of a line the test knows reads as expected: the same, rejected, or a duplicate."""
    if lines is None:
        return []
    groups: dict[tuple[int, int], list[dict]] = {}
    for event in stored["events"]:
        groups.setdefault((event["source_line"], event["record_index"]), []).append(event)
    rejected: dict[int, dict[int, str]] = {}
    for reject in stored["rejects"]:
        rejected.setdefault(reject["source_line"], {})[reject["record_index"]] = (
            f"{reject['reject_field']}: {reject['reject_reason']}"[:120])
    failures: dict[str, Failure] = {}
    for line in lines:
        for position, expect in enumerate(line.expect or (), start=1):
            group = groups.get((line.number, position))
            reason = rejected.get(line.number, {}).get(position)
            if reason is None and len(line.expect) == 1:
                reason = next(iter(rejected.get(line.number, {}).values()), None)
            failure = _judge(expect, group, reason, line)
            if failure is not None:
                failures.setdefault(failure.check, failure)
        if line.expect is not None:
            extra = [key for key in groups if key[0] == line.number and key[1] > len(line.expect)]
            if extra:
                failures.setdefault("extra", Failure("extra-record-read", f"line {line.number}: records {extra}"))
    return list(failures.values())


def _judge(expect, group: list[dict] | None, reason: str | None, line: PhysicalLine) -> Failure | None:
    where = f"line {line.number} ({line.text[:60]!r})"
    if group is not None:
        if expect.kind == "reject":
            found = {k: group[0][k] for k in ("record_quantity", "unit_price", "event_time", "trace_code")}
            return Failure("accepted-where-a-reject-is-due", f"{where}: accepted {found}")
        if expect.kind in ("same", "same_or_reject"):
            return _compare(expect.record, group, where)
        return None
    if reason is not None:
        if expect.kind == "same":
            return Failure("rejected-where-the-record-is-valid", f"{where}: {reason}")
        return None
    if expect.record is not None and line.earlier_mention(expect.record.bchno):
        return None  # a duplicate of an earlier line
    return Failure("record-lost", f"{where}: record {getattr(expect.record, 'bchno', None)} is in no event or reject")


def _compare(record: Record, group: list[dict], where: str) -> Failure | None:
    names = ("record_no", "event_type", "product_name", "psn_name", "institution_name", "codes", "record_quantity",
             "unit_price", "event_time")
    found = event_signature(group)
    for name, want, got in zip(names, record.signature(), found, strict=True):
        if want != got:
            return Failure(f"value-differs:{name}", f"{where}: {name} expected {_short(want)}, read {_short(got)}")
    return None


def event_signature(group: list[dict]) -> tuple:
    """The record behind a group of events (one record's codes), comparable to ``Record.signature``."""
    first = sorted(group, key=lambda e: e["code_position"])
    codes = tuple(e["trace_code"] for e in first if e["trace_code"])
    return (first[0]["record_no"], first[0]["event_type"], first[0]["product_name"], first[0]["psn_name"] or None,
            first[0]["institution_name"], codes, first[0]["record_quantity"], first[0]["unit_price"],
            first[0]["event_time"])


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 90 else f"{text[:60]}…({len(text)} chars)"

"""The test's own reading of an upload's lines, independent of the loaders: which physical lines hold
records, how many each holds, and what the test knows each must read as.

Counting contract: a CSV record is one physical line (CRLF, LF or CR ends it; values may not span
lines), so records are the non-blank lines after the header. An NDJSON line holds the records Python's
``json`` finds in it (an envelope's record node, a ``…Detail`` list), or is one reject when it is not
JSON. An XLSX record is a non-empty row after the header.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.loaders.fuzz_edits import line_key
from tests.loaders.fuzz_uploads import Doc, LineExpect, Sheet

#: Unicode's White_Space characters: a line of only these is blank
WHITESPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
             "\u2028\u2029\u202f\u205f\u3000"
BOM = "\ufeff"


@dataclass
class PhysicalLine:
    """A non-blank record line (or row): its 1-based number, its text, the records it holds (None when
    the test cannot tell), what the test knows it must read as, and a look at the lines before it."""

    number: int
    text: str
    records: int | None
    expect: LineExpect | None
    earlier_mention: Callable[[str], bool]


def physical_lines(upload: Doc | Sheet, path: Path) -> list[PhysicalLine] | None:
    """The record lines of ``upload``, or None when lines are not the unit (a JSON array or
    pretty-printed JSON, a damaged workbook)."""
    if isinstance(upload, Sheet):
        return None if upload.corrupt else _sheet_rows(upload)
    if upload.fmt == "csv":
        return _text_lines(upload, re.split(rb"\r\n|\r|\n", upload.data), skip=1)
    if _streamed_json(upload.data):
        return _json_values(upload)
    return _text_lines(upload, [line_key(line) for line in upload.data.split(b"\n")], skip=0)


def _streamed_json(data: bytes) -> bool:
    """One JSON text (not one envelope per line): an array, or a first line (after any BOM) that is a lone
    '{' as in pretty-printed envelopes."""
    data = data.removeprefix(b"\xef\xbb\xbf")
    first = data.split(b"\n", 1)[0].strip()
    return data.lstrip(b" \t\r\n").startswith(b"[") or first in (b"{", b"[")


def _json_values(doc: Doc) -> list[PhysicalLine] | None:
    """The envelopes of one JSON text, numbered by ordinal as the loaders number them; None when the
    text is not JSON as a whole (the test cannot tell where the reader stops)."""
    try:
        text = doc.data.decode(doc.codec).removeprefix(BOM)
        values = _json_texts(text)
    except (ValueError, RecursionError):
        return None
    found, before = [], []
    for ordinal, value in enumerate(values, start=1):
        key = json.dumps(value, ensure_ascii=False).encode(doc.codec)
        expect = doc.expect.get(key)
        records = len(expect) if expect else _records_in(value)
        found.append(PhysicalLine(ordinal, key.decode(doc.codec), records, expect, _mentions(list(before), doc.codec)))
        before.append(key)
    return found


def _json_texts(text: str) -> list:
    """One JSON array's items, or JSON values one after another."""
    if text.lstrip().startswith("["):
        values = json.loads(text, parse_constant=_not_json)
        if not isinstance(values, list):
            raise ValueError("not an array")
        return values
    decoder = json.JSONDecoder(parse_constant=_not_json)
    values, position = [], 0
    while position < len(text.rstrip()):
        value, position = decoder.raw_decode(text, len(text) - len(text[position:].lstrip()))
        values.append(value)
    return values


def _text_lines(doc: Doc, contents: list[bytes], skip: int) -> list[PhysicalLine]:
    header_intact = doc.fmt != "csv" or (contents[0] == doc.header)
    found = []
    for index in range(skip, len(contents)):
        content = contents[index]
        text = _decoded(content, doc.codec, first=index == 0)
        if text is not None and not text.strip(WHITESPACE):
            continue
        expect = doc.expect.get(content) if header_intact else None
        shown = text if text is not None else content.decode(doc.codec, errors="replace")
        found.append(PhysicalLine(index + 1, shown, _records(doc, text, expect), expect,
                                  _mentions(contents[:index], doc.codec)))
    if not doc.exact:
        for line in found:
            line.records = None
    return found


def _decoded(content: bytes, codec: str, first: bool) -> str | None:
    try:
        text = content.decode(codec)
    except UnicodeDecodeError:
        return None
    return text.removeprefix(BOM) if first else text


def _records(doc: Doc, text: str | None, expect: LineExpect | None) -> int | None:
    if expect is not None:
        return len(expect)
    if doc.fmt == "csv" or text is None:
        return 1
    return json_line_records(text)


def json_line_records(text: str) -> int | None:
    """Records in one NDJSON line as Python's ``json`` reads it (NaN and Infinity are not JSON)."""
    try:
        value = json.loads(text, parse_constant=_not_json)
    except ValueError:
        return 1
    except RecursionError:
        return None
    return _records_in(value)


def _not_json(token: str):
    raise ValueError(f"{token} is not JSON")


def _records_in(envelope) -> int | None:
    """An envelope's records: the record node under ``input`` (``input`` itself when it holds a row
    key or item code), an object or a non-empty list of objects; anything else is one reject."""
    body = envelope.get("input") if isinstance(envelope, dict) else None
    if isinstance(body, str):
        try:
            body = json.loads(body, parse_constant=_not_json)
        except ValueError:
            return 1
    if not isinstance(body, dict) or "fixmedins_bchno" in body or "med_list_codg" in body:
        return 1
    nodes = [value for value in body.values() if isinstance(value, (dict, list))]
    if len(nodes) != 1:
        return 1 if not nodes else None
    node = nodes[0]
    if isinstance(node, dict) or not node:
        return 1
    return len(node) if all(isinstance(item, dict) for item in node) else None


def _mentions(before: list[bytes], codec: str) -> Callable[[str], bool]:
    return lambda text: any(text.encode(codec) in content for content in before)


def _sheet_rows(sheet: Sheet) -> list[PhysicalLine]:
    found = []
    for index, (cells, expect) in enumerate(sheet.rows):
        if all(cell is None or cell == "" for cell in cells):
            continue
        earlier = [str(c) for row, _ in sheet.rows[:index] for c in row]
        found.append(PhysicalLine(index + 2, "\t".join(map(str, cells))[:200], len(expect) if expect else 1,
                                  expect, lambda text, earlier=earlier: text in earlier))
    return found

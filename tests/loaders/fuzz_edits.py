"""Line-level editing of the fuzz test's uploads: find a line, change one record in it, and register
what the new line must read as. Used by ``mutate``."""

from __future__ import annotations

import csv
import json
import random
import re
from collections.abc import Callable
from dataclasses import replace

from tests.loaders.fuzz_uploads import Doc, LineExpect, Record, RecordExpect, csv_line

FULL_WIDTH_SEPARATORS = ["，", "；", "、", "｜", "\u3000", "，\u3000"]
QUANTITY_FIELDS = ("sel_retn_cnt", "cnt", "inv_cnt")
TIME_FIELDS = ("sel_retn_time", "inv_chg_time", "invdate")
CSV_COLUMNS = {"family": 0, "institution": 2, "product": 4, "bchno": 5, "person": 7, "price": 9, "quantity": 10,
               "time": 11, "codes": 13}

BOM = b"\xef\xbb\xbf"

#: raw JSON text written in place of a string value: ``"@@raw:1e309@@"`` becomes ``1e309``
RAW_TOKEN = re.compile(r'"@@raw:(.*?)@@"')
#: a key written as ``"@@dup:name@@"`` becomes ``"name"``: the record then holds that key twice
DUPLICATE_KEY = re.compile(r'"@@dup:(\w+)@@"')

#: edit(record node or CSV cells, record) → the edited record's expectation, or the whole line's (a tuple)
RecordEdit = Callable[[object, Record], "RecordExpect | LineExpect"]


def line_key(line: bytes) -> bytes:
    """A line's content without its line end (the key of ``Doc.expect``)."""
    return line[:-1] if line.endswith(b"\r") else line


def lines_of(doc: Doc) -> list[bytes]:
    return doc.data.split(b"\n")


def set_lines(doc: Doc, lines: list[bytes]) -> None:
    doc.data = b"\n".join(lines)


def first_data_line(doc: Doc) -> int:
    return 1 if doc.fmt == "csv" else 0


def record_lines(doc: Doc, lines: list[bytes], single: bool = False, codes: int = 1) -> list[int]:
    """Indices of lines still carrying known records read ``same`` (one record each if ``single``, every
    record with at least ``codes`` codes)."""
    found = []
    for index in range(first_data_line(doc), len(lines)):
        expect = doc.expect.get(line_key(lines[index]))
        usable = expect and all(e.kind == "same" and len(e.record.codes) >= codes for e in expect)
        if usable and (not single or len(expect) == 1):
            found.append(index)
    return found


def data_positions(doc: Doc) -> tuple[int, int]:
    """The byte range of the data lines (after a CSV header; after a BOM)."""
    start = len(doc.header) + 1 if doc.fmt == "csv" else (3 if doc.data.startswith(b"\xef\xbb\xbf") else 0)
    return min(start, len(doc.data)), len(doc.data)


def replace_line(doc: Doc, lines: list[bytes], index: int, content: bytes, expect: LineExpect | None) -> None:
    """Put ``content`` (no line end) at ``index``, keeping the line's CR, and register its expectation."""
    ending = b"\r" if lines[index].endswith(b"\r") else b""
    lines[index] = content + ending
    if expect is not None:
        doc.expect[content] = expect
    set_lines(doc, lines)


def insert_line(doc: Doc, lines: list[bytes], index: int, content: bytes, expect: LineExpect | None) -> None:
    ending = b"\r" if lines[0].endswith(b"\r") else b""
    lines.insert(index, content + ending)
    if expect is not None:
        doc.expect[content] = expect
    set_lines(doc, lines)


def edit_record(doc: Doc, rng: random.Random, edit: RecordEdit, codes: int = 1, single: bool = False) -> bool:
    """Apply ``edit`` to one record of a random line still read ``same``; False when there is none."""
    lines = lines_of(doc)
    candidates = record_lines(doc, lines, single=single, codes=codes)
    if not candidates:
        return False
    index = rng.choice(candidates)
    expect = list(doc.expect[line_key(lines[index])])
    position = rng.randrange(len(expect))
    original = line_key(lines[index])
    bom = BOM if original.startswith(BOM) else b""
    text = original[len(bom) :].decode(doc.codec)
    if doc.fmt == "csv":
        cells = next(csv.reader([text], delimiter=doc.delimiter))
        verdict = edit(cells, expect[position].record)
        content = csv_line(cells, doc.delimiter)
    else:
        envelope = json.loads(text)
        verdict = edit(json_records(envelope)[position], expect[position].record)
        content = RAW_TOKEN.sub(lambda match: match.group(1), json.dumps(envelope, ensure_ascii=False))
        content = DUPLICATE_KEY.sub(lambda match: f'"{match.group(1)}"', content)
    if isinstance(verdict, tuple):
        expect = list(verdict)
    else:
        expect[position] = verdict
    replace_line(doc, lines, index, bom + content.encode(doc.codec), tuple(expect))
    return True


def json_records(envelope: dict) -> list[dict]:
    """The record nodes of an envelope the corpus wrote (object node or ``…Detail`` list)."""
    node = next(iter(envelope["input"].values()))
    return node if isinstance(node, list) else [node]


def field_of(node: dict, names: tuple[str, ...]) -> str:
    return next(name for name in names if name in node)


def set_json_codes(node: dict, codes: list[str], joined_by: str | None = None) -> None:
    """Replace a record node's codes, keeping the form it used (objects, strings or a flat field)."""
    if joined_by is not None:
        node.pop("drugtracinfo", None)
        node["drug_trac_codg"] = joined_by.join(codes)
    elif "drugtracinfo" in node and node["drugtracinfo"] and isinstance(node["drugtracinfo"][0], str):
        node["drugtracinfo"] = codes
    elif "drugtracinfo" in node:
        node["drugtracinfo"] = [{"drug_trac_codg": code} for code in codes]
    else:
        node["drug_trac_codg"] = ",".join(codes)


def fullwidth_joined(codes: tuple[str, ...], rng: random.Random) -> str:
    """Codes in one cell, each gap a full-width separator of its own."""
    return codes[0] + "".join(rng.choice(FULL_WIDTH_SEPARATORS) + code for code in codes[1:])


def same(record: Record, **changes) -> RecordExpect:
    return RecordExpect("same", replace(record, **changes))


def same_or_reject(record: Record, **changes) -> RecordExpect:
    return RecordExpect("same_or_reject", replace(record, **changes))


def other_codec(doc: Doc) -> str:
    return "utf-8" if doc.codec == "gb18030" else "gb18030"

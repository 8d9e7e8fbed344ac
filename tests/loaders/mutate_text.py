"""Mutations shared by the text formats (CSV and NDJSON): bytes, line ends, blank lines, encodings and
values. Each changes a ``Doc`` in place and returns False when the upload has nothing it can change."""

from __future__ import annotations

import random
import re

from tests.loaders.fuzz_edits import (
    CSV_COLUMNS,
    QUANTITY_FIELDS,
    TIME_FIELDS,
    data_positions,
    edit_record,
    field_of,
    first_data_line,
    fullwidth_joined,
    insert_line,
    line_key,
    lines_of,
    other_codec,
    record_lines,
    replace_line,
    same,
    same_or_reject,
    set_json_codes,
)
from tests.loaders.fuzz_uploads import Doc, RecordExpect

NON_FINITE = ["1e309", "-1e309", "NaN", "nan", "Infinity", "-Infinity", "inf", "-inf", "1E400"]
#: bare JSON tokens that are not JSON at all (the line is one reject); 1e309 is JSON, only not finite
NOT_JSON_TOKENS = {"NaN", "nan", "Infinity", "-Infinity", "inf", "-inf"}
EXTREME_TIMES = ["0001-01-01 00:00:00", "9999-12-31 23:59:59", "2025-02-30 10:00:00", "0000-00-00 00:00:00",
                 "2025-13-01 10:00:00", "0001-01-01", "9999-12-31", "2025-02-29 08:00:00", "1000-06-01 10:00:00"]
INTERESTING_BYTES = [0x00, 0x22, 0x0D, 0x0A, 0x2C, 0x09, 0x7B, 0x7D, 0x5B, 0x3A, 0x5C, 0x80, 0xBF, 0xC0, 0xE4, 0xEF,
                     0xFE, 0xFF, 0x81, 0x30]


# -- bytes -------------------------------------------------------------------------------------------


def truncate(doc: Doc, rng: random.Random) -> bool:
    start, end = data_positions(doc)
    if end - start < 2:
        return False
    doc.data = doc.data[: rng.randrange(start + 1, end)]
    doc.bad_input_ok = True
    return True


def truncate_multibyte(doc: Doc, rng: random.Random) -> bool:
    """Cut the file inside a multi-byte character of a data line."""
    start, end = data_positions(doc)
    try:
        text = doc.data[start:end].decode(doc.codec)
    except UnicodeDecodeError:
        return truncate(doc, rng)
    wide = [i for i, char in enumerate(text) if len(char.encode(doc.codec)) > 1]
    if not wide:
        return truncate(doc, rng)
    position = rng.choice(wide)
    offset = start + len(text[:position].encode(doc.codec))
    doc.data = doc.data[: offset + rng.randint(1, len(text[position].encode(doc.codec)) - 1)]
    doc.bad_input_ok = True
    return True


def _random_offsets(doc: Doc, rng: random.Random) -> list[int]:
    start, end = data_positions(doc)
    return sorted((rng.randrange(start, end) for _ in range(rng.randint(1, 3))), reverse=True) if end > start else []


def _random_byte(rng: random.Random) -> int:
    return rng.choice([*INTERESTING_BYTES, rng.randrange(256)])


def flip_bytes(doc: Doc, rng: random.Random) -> bool:
    data = bytearray(doc.data)
    for offset in _random_offsets(doc, rng):
        data[offset] = _random_byte(rng)
    doc.data, doc.bad_input_ok = bytes(data), True
    return True


def insert_bytes(doc: Doc, rng: random.Random) -> bool:
    data = bytearray(doc.data)
    for offset in _random_offsets(doc, rng):
        data[offset:offset] = bytes([_random_byte(rng)])
    doc.data, doc.bad_input_ok = bytes(data), True
    return True


def delete_bytes(doc: Doc, rng: random.Random) -> bool:
    data = bytearray(doc.data)
    for offset in _random_offsets(doc, rng):
        del data[offset : offset + rng.randint(1, 4)]
    doc.data, doc.bad_input_ok = bytes(data), True
    return True


def _insert_char(doc: Doc, rng: random.Random, char: str) -> bool:
    """Insert ``char`` into a record line at a random character (often where a value starts)."""
    lines = lines_of(doc)
    candidates = record_lines(doc, lines)
    if not candidates:
        return False
    index = rng.choice(candidates)
    text = line_key(lines[index]).decode(doc.codec)
    starts = [i + 1 for i, c in enumerate(text) if c in (doc.delimiter, ":")]
    position = rng.choice(starts) if starts and rng.random() < 0.5 else rng.randrange(1, len(text))
    replace_line(doc, lines, index, (text[:position] + char + text[position:]).encode(doc.codec), None)
    return True


def unbalanced_quote(doc: Doc, rng: random.Random) -> bool:
    return _insert_char(doc, rng, '"')


def nul_byte(doc: Doc, rng: random.Random) -> bool:
    return _insert_char(doc, rng, "\x00")


# -- line ends, blank lines, encodings ---------------------------------------------------------------


def crlf(doc: Doc, rng: random.Random) -> bool:
    doc.data = re.sub(rb"\r?\n", b"\r\n", doc.data)
    return True


def cr_only(doc: Doc, rng: random.Random) -> bool:
    """Old Mac line ends. A CSV still has its lines; NDJSON is split on LF alone, so the test cannot
    count its records."""
    doc.data = re.sub(rb"\r?\n", b"\r", doc.data)
    if doc.fmt == "ndjson":
        doc.exact, doc.bad_input_ok = False, True
    return True


def cr_line(doc: Doc, rng: random.Random) -> bool:
    """One line in the middle ends with CR alone."""
    ends = [m for m in re.finditer(rb"\r?\n", doc.data) if len(doc.header) < m.start() and m.end() < len(doc.data)]
    if not ends:
        return False
    end = rng.choice(ends)
    doc.data = doc.data[: end.start()] + b"\r" + doc.data[end.end() :]
    return True


def blank_lines(doc: Doc, rng: random.Random) -> bool:
    lines = lines_of(doc)
    for _ in range(rng.randint(1, 4)):
        blank = rng.choice(["", " ", "\t", "  \t ", "\u3000", " \u3000 "]).encode(doc.codec)
        insert_line(doc, lines, rng.randint(first_data_line(doc) + 1, len(lines) - 1), blank, None)
    return True


def _single_line(doc: Doc, rng: random.Random) -> tuple[list[bytes], int] | None:
    lines = lines_of(doc)
    candidates = record_lines(doc, lines, single=True)
    return (lines, rng.choice(candidates)) if candidates else None


def bom_middle(doc: Doc, rng: random.Random) -> bool:
    """A byte-order mark at the start of a line in the middle (files joined by concatenation)."""
    found = _single_line(doc, rng)
    if found is None:
        return False
    lines, index = found
    expect = doc.expect[line_key(lines[index])]
    content = "\ufeff".encode(doc.codec) + line_key(lines[index])
    replace_line(doc, lines, index, content, (same_or_reject(expect[0].record),))
    return True


def foreign_line(doc: Doc, rng: random.Random) -> bool:
    """One line in the other encoding (a GB18030 line in a UTF-8 file, or the reverse)."""
    found = _single_line(doc, rng)
    if found is None:
        return False
    lines, index = found
    expect = doc.expect[line_key(lines[index])]
    content = line_key(lines[index]).decode(doc.codec).encode(other_codec(doc))
    replace_line(doc, lines, index, content, (same_or_reject(expect[0].record),))
    doc.bad_input_ok = True
    return True


def duplicate_line(doc: Doc, rng: random.Random) -> bool:
    lines = lines_of(doc)
    candidates = record_lines(doc, lines)
    if not candidates:
        return False
    index = rng.choice(candidates)
    copy = line_key(lines[index]).removeprefix(b"\xef\xbb\xbf")  # the file's BOM stays at its start
    insert_line(doc, lines, rng.randint(index + 1, len(lines) - 1), copy, None)
    return True


def none(doc: Doc, rng: random.Random) -> bool:
    return True


# -- values --------------------------------------------------------------------------------------------


def set_value(doc: Doc, target, column: str, fields: tuple[str, ...], value) -> None:
    """Set one value of a CSV row (``column``) or of a JSON record node (the first of ``fields`` present)."""
    if doc.fmt == "csv":
        target[CSV_COLUMNS[column]] = str(value)
    else:
        target[field_of(target, fields)] = value


def long_cell(doc: Doc, rng: random.Random) -> bool:
    def edit(target, record):
        value = (record.product + "；") * rng.choice([2_000, 8_000, 20_000])
        set_value(doc, target, "product", ("fixmedins_hilist_name",), value)
        return same_or_reject(record, product=value)

    return edit_record(doc, rng, edit)


def many_codes(doc: Doc, rng: random.Random) -> bool:
    def edit(target, record):
        codes = tuple(f"8{rng.getrandbits(64) % 10**19:019d}" for _ in range(rng.choice([50, 300, 2_000])))
        if doc.fmt == "csv":
            target[CSV_COLUMNS["codes"]] = rng.choice([";", "|", " "]).join(codes)
        else:
            set_json_codes(target, list(codes))
        return same(record, codes=codes)

    return edit_record(doc, rng, edit)


def fullwidth_separators(doc: Doc, rng: random.Random) -> bool:
    """Codes of one cell separated by full-width punctuation (，；、｜ or the ideographic space)."""

    def edit(target, record):
        cell = fullwidth_joined(record.codes, rng)
        if doc.fmt == "csv":
            target[CSV_COLUMNS["codes"]] = cell
        else:
            set_json_codes(target, [cell], joined_by="" if rng.random() < 0.5 else None)  # flat, or one element
        return same(record)

    return edit_record(doc, rng, edit, codes=2)


def non_finite(doc: Doc, rng: random.Random) -> bool:
    """A quantity or price that is not a finite number; in NDJSON often a bare token (NaN is then not JSON)."""

    def edit(target, record):
        value = rng.choice(NON_FINITE)
        column = "price" if record.price is not None and rng.random() < 0.4 else "quantity"
        fields = ("finl_trns_pric",) if column == "price" else QUANTITY_FIELDS
        bare = doc.fmt == "ndjson" and rng.random() < 0.5
        set_value(doc, target, column, fields, f"@@raw:{value}@@" if bare else value)
        return (RecordExpect("reject"),) if bare and value in NOT_JSON_TOKENS else RecordExpect("reject", record)

    return edit_record(doc, rng, edit)


def extreme_date(doc: Doc, rng: random.Random) -> bool:
    """A business time that is impossible (2025-02-30) or far outside any upload (0001, 9999)."""

    def edit(target, record):
        set_value(doc, target, "time", TIME_FIELDS, rng.choice(EXTREME_TIMES))
        return RecordExpect("reject", record)

    return edit_record(doc, rng, edit)


MUTATIONS = {function.__name__: function for function in (
    none, truncate, truncate_multibyte, flip_bytes, insert_bytes, delete_bytes, unbalanced_quote, nul_byte, crlf,
    cr_only, cr_line, blank_lines, bom_middle, foreign_line, duplicate_line, long_cell, many_codes,
    fullwidth_separators, non_finite, extreme_date,
)}  # fmt: skip
#: applied after the others, in this order (they change what a line is)
LATE = ("json_array", "crlf", "cr_only", "cr_line", "truncate", "truncate_multibyte")

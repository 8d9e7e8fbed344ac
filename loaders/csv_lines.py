"""CSV uploads read one physical line per record, as HIS systems write them: a value never spans lines.

A line ends with LF, CRLF or CR alone. A line whose quotes do not balance (a value opened with ``"`` and
not closed on its line) and a line with another number of values than the header are each one reject,
and reading goes on with the next line; so the records read from a CSV upload are always its non-blank
lines after the header. Blank lines (Unicode whitespace only) are skipped; the header is the first
non-blank line. A field is quoted when it starts with ``"``; ``""`` inside is one quote; text after the
closing quote belongs to the value (as Python's ``csv`` module, Arrow and csv-core read it).

The compiled reader (``native/src/csv.rs``) follows the same rules and reports the same broken lines.

>>> line_cells('3505,"a,b","x""y"', ",")
['3505', 'a,b', 'x"y']
>>> line_cells('3505,"奥美拉唑 20mg', ","), line_cells('a"b,"c"d', ",")
(None, ['a"b', 'cd'])
>>> split_lines(b"a\\r\\nb\\rc\\n\\nd")
[b'a', b'b', b'c', b'', b'd']
"""

from __future__ import annotations

import csv
import io
import re
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from loaders.encoding import to_utf8
from loaders.errors import BadInput

BLOCK_BYTES = 8 << 20
#: Kinds of broken lines, as the compiled reader numbers them.
UNBALANCED, COLUMNS = 0, 1
#: Unicode White_Space (Python's ``str.isspace`` without U+001C–U+001F): a line of only these is blank.
_BLANK = re.compile(r"[\t\n\x0b\f\r \x85\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*")
#: Lines with a quote in a block from which on Arrow parses them (below, one by one is cheaper).
ARROW_LINES = 256
_ENDS = re.compile(rb"\r\n|\r|\n")
_WHITESPACE = "".join(c for c in map(chr, range(0x3001)) if c.isspace() and not "\x1c" <= c <= "\x1f") + "\ufeff"

csv.field_size_limit(max(csv.field_size_limit(), sys.maxsize >> 1))  # a line is bounded by the file, not by csv


def broken_reason(kind: int, columns: int, found: int) -> str:
    """Why a line is not a record (Chinese / English, what was expected, what to do)."""
    if kind == UNBALANCED:
        return ('引号不成对 / unbalanced quote: a value opened with " is not closed on its line (one record per '
                'line, values may not span lines); close the quote or remove it')
    return f"列数不符，应为 {columns} 列，实为 {found} 列 / wrong number of columns: expected {columns}, found {found}"


def split_lines(data: bytes) -> list[bytes]:
    """The physical lines of a text, without their endings (LF, CRLF or CR)."""
    return _ENDS.split(data)


def first_line(text: str) -> str:
    """A CSV text's header: its first line that is not blank.

    >>> first_line("\\ufeff \\r\\n\\u3000\\na,b\\rc,d")
    'a,b'
    """
    return re.split(r"\r\n|\r|\n", text.lstrip(_WHITESPACE), maxsplit=1)[0]


@cache
def _balanced(delimiter: str) -> re.Pattern:
    """A line whose every quoted field closes (as Python's ``re`` reads it)."""
    return re.compile(balanced_pattern(delimiter))


def balanced_pattern(delimiter: str) -> str:
    """A line whose every quoted field closes: a quote ends a quoted value only when no quote follows it,
    so ``"a""`` (an escaped quote, then the end) stays open. Written for RE2 (Arrow) and ``re`` alike.

    >>> [bool(re.fullmatch(balanced_pattern(","), line)) for line in ('"a""', '"a""b",c', 'a"b,"c"d')]
    [False, True, True]
    """
    d = re.escape(delimiter)
    field = f'(?:"(?:[^"]|"")*"(?:[^"{d}][^{d}]*)?|[^"{d}][^{d}]*|)'
    return f"{field}(?:{d}{field})*"


def line_cells(line: str, delimiter: str) -> list[str] | None:
    """The values of one line (without its line ending), or None when its quotes do not balance."""
    if '"' not in line:
        return line.split(delimiter)
    if not _balanced(delimiter).fullmatch(line):
        return None
    return next(csv.reader([line], delimiter=delimiter, strict=False))


def data_lines(path: Path, encoding: str) -> Iterator[tuple[np.ndarray, pa.Array, np.ndarray]]:
    """(physical line numbers, texts without line endings, whether each holds a quote) of a CSV file's
    non-blank lines after its header, a block at a time. Text that does not decode stops the file with
    its line number."""
    header_seen, first = False, 1
    with open(path, "rb") as handle:
        while data := handle.read(BLOCK_BYTES):
            data = data.removeprefix(b"\xef\xbb\xbf") if first == 1 else data
            if not data.endswith(b"\n"):
                data += handle.readline()
            text = data if encoding in ("utf-8", "utf-8-sig") else to_utf8(data, encoding)
            found = _nonblank(text, first) if text is not None else None
            if found is None:
                raise _undecodable(path, data, first, encoding)
            numbers, lines, quoted, count = found
            first += count
            if not header_seen and len(lines):
                numbers, lines, quoted, header_seen = numbers[1:], lines[1:], quoted[1:], True
            yield numbers, lines, quoted


def _nonblank(text: bytes, first: int) -> tuple[np.ndarray, pa.Array, np.ndarray, int] | None:
    """The numbers, texts (line endings dropped) and quote marks of the non-blank lines of a block of
    whole lines, and how many lines the block holds; None when the text is not UTF-8."""
    data = np.frombuffer(text, np.uint8)
    feeds = data == 10
    returns = np.flatnonzero(data == 13)
    lone = returns[(returns + 1 >= len(data)) | ~feeds[np.minimum(returns + 1, len(data) - 1)]]
    ends = (np.union1d(np.flatnonzero(feeds), lone) if len(lone) else np.flatnonzero(feeds)) + 1
    count = len(ends)
    if not len(ends) or ends[-1] != len(text):
        ends = np.append(ends, len(text))
    lines = pa.StringArray.from_buffers(len(ends), pa.py_buffer(np.concatenate([[0], ends]).astype(np.int32)),
                                        pa.py_buffer(text))
    try:
        lines.validate(full=True)
    except pa.ArrowInvalid:
        return None
    lines = pc.utf8_rtrim(lines, characters="\r\n")  # only the ending: a line holds no CR or LF
    quoted = np.zeros(len(ends), bool)
    quoted[np.searchsorted(ends, np.flatnonzero(data == 34), side="right")] = True
    keep = _not_blank(lines)
    numbers = np.arange(first, first + len(ends), dtype=np.int64)
    return numbers[keep], lines.filter(pa.array(keep)), quoted[keep], count


def _not_blank(lines: pa.Array) -> np.ndarray:
    """Which lines hold more than Unicode whitespace. Arrow's trim also takes U+001C–U+001F, which are not
    blank here: the few lines it empties are looked at again."""
    keep = pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(lines)), 0).to_numpy(zero_copy_only=False)
    for at in np.flatnonzero(~keep).tolist():
        keep[at] = _BLANK.fullmatch(lines[at].as_py()) is None
    return keep


def _undecodable(path: Path, data: bytes, first: int, encoding: str) -> BadInput:
    """The error for a block that does not decode, naming its first line that does not."""
    for number, line in enumerate(split_lines(data), start=first):
        if to_utf8(line, encoding) is None:
            return BadInput(f"CSV 第 {number} 行无法按 {encoding} 读取 / line {number} of the CSV does not decode "
                            f"as {encoding}, the file's encoding", path=str(path), line=number,
                            hint="save the whole file in one encoding (UTF-8 or GB18030)")
    return BadInput(f"CSV 无法按 {encoding} 读取 / cannot read the CSV as {encoding}", path=str(path),
                    hint="save the whole file in one encoding (UTF-8 or GB18030)")


def records(numbers: np.ndarray, lines: pa.Array, odd: np.ndarray, delimiter: str, columns: int,
            positions: dict[str, int]) -> tuple[dict[str, pa.Array], np.ndarray, list[tuple[int, str, str]]]:
    """The values of the fields at ``positions`` in the lines that hold a record, those lines' numbers (in
    order), and (line number, reason, text) of the lines that do not hold one; ``odd`` marks the lines
    holding a quote."""
    plain, plain_numbers = lines.filter(pa.array(~odd)), numbers[~odd]
    counts = pc.count_substring(plain, delimiter).to_numpy(zero_copy_only=False) + 1  # no quotes: exact
    fits = counts == columns
    broken = [(int(n), broken_reason(COLUMNS, columns, int(c)), t) for n, c, t in
              zip(plain_numbers[~fits], counts[~fits], plain.filter(pa.array(~fits)).to_pylist(), strict=True)]
    cells = pc.split_pattern(plain.filter(pa.array(fits)), delimiter).flatten()  # ``columns`` per line
    values = {field: [cells.take(pa.array(np.arange(at, len(cells), columns)))] for field, at in positions.items()}
    kept = [plain_numbers[fits]]
    quoted, quoted_numbers = _quoted(numbers[odd], lines.filter(pa.array(odd)), delimiter, columns, broken)
    for field, at in positions.items():
        values[field].append(quoted[at])
    kept.append(quoted_numbers)
    numbers = np.concatenate(kept)
    order = pa.array(np.argsort(numbers, kind="stable"))
    return ({field: pa.concat_arrays(parts).take(order) for field, parts in values.items()},
            numbers[order.to_numpy()], sorted(broken))


def _quoted(numbers: np.ndarray, lines: pa.Array, delimiter: str, columns: int,
            broken: list) -> tuple[list[pa.Array], np.ndarray]:
    """Lines holding a quote: the columns of those that hold a record and their numbers; the others are
    added to ``broken``. Arrow parses the lines whose quotes balance (each then is a record of its own);
    a few lines are read one by one (Arrow's set-up would cost more)."""
    if len(lines) < ARROW_LINES:
        texts = lines.to_pylist()
        balanced = np.array([bool(_balanced(delimiter).fullmatch(text)) for text in texts], bool)
    else:
        balanced = pc.match_substring_regex(lines, f"^{balanced_pattern(delimiter)}$").to_numpy(zero_copy_only=False)
    reason = broken_reason(UNBALANCED, columns, 0)
    broken.extend((int(n), reason, t) for n, t in zip(numbers[~balanced], lines.filter(pa.array(~balanced))
                                                         .to_pylist(), strict=True))
    texts, numbers = lines.filter(pa.array(balanced)).to_pylist(), numbers[balanced]
    parsed = _parsed(texts, delimiter, columns) if len(texts) >= ARROW_LINES else None
    if parsed is None:  # few lines, or Arrow read them otherwise than line by line (not seen)
        parsed = _one_by_one(texts, delimiter, columns)
    values, wrong = parsed
    broken.extend((int(numbers[i]), broken_reason(COLUMNS, columns, found), texts[i]) for i, found in wrong.items())
    keep = np.ones(len(texts), bool)
    keep[list(wrong)] = False
    return values, numbers[keep]


def _parsed(texts: list[str], delimiter: str, columns: int) -> tuple[list[pa.Array], dict[int, int]] | None:
    """Balanced lines parsed by Arrow: the columns, and (position → values found) of the lines with
    another number of values; None when Arrow did not give one row or one skip per line."""
    wrong: dict[int, int] = {}

    def skip(row) -> str:
        wrong[row.number - 1] = row.actual_columns
        return "skip"

    names = [f"c{i}" for i in range(columns)]
    table = pacsv.read_csv(
        io.BytesIO("\n".join([*texts, ""]).encode()),
        read_options=pacsv.ReadOptions(column_names=names, use_threads=False, block_size=1 << 30),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=skip),
        convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False,
                                             quoted_strings_can_be_null=False))
    if table.num_rows + len(wrong) != len(texts):
        return None
    return [table.column(i).combine_chunks() for i in range(columns)], wrong


def _one_by_one(texts: list[str], delimiter: str, columns: int) -> tuple[list[pa.Array], dict[int, int]]:
    rows = [line_cells(text, delimiter) or [] for text in texts]
    wrong = {i: len(row) for i, row in enumerate(rows) if len(row) != columns}
    kept = [row for row in rows if len(row) == columns]
    return [pa.array([row[i] for row in kept], pa.string()) for i in range(columns)], wrong

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
import re
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loaders.encoding import to_utf8
from loaders.errors import BadInput

BLOCK_BYTES = 8 << 20
#: Kinds of broken lines, as the compiled reader numbers them.
UNBALANCED, COLUMNS = 0, 1
#: Unicode White_Space (Python's ``str.isspace`` without U+001C–U+001F): a line of only these is blank.
BLANK = r"^[\t\n\x{0B}\f\r \x{85}\pZ]*$"
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
    return next((line for line in re.split(r"\r\n|\r|\n", text) if line.strip(_WHITESPACE)), "").lstrip("\ufeff")


@cache
def _balanced(delimiter: str) -> re.Pattern:
    """A line whose every quoted field closes; possessive, so ``"a""`` (an escaped quote, then the end)
    does not count as closed."""
    d = re.escape(delimiter)
    field = f'(?:"(?:[^"]|"")*+"[^{d}]*|[^"{d}][^{d}]*|)'
    return re.compile(f"{field}(?:{d}{field})*")


def line_cells(line: str, delimiter: str) -> list[str] | None:
    """The values of one line (without its line ending), or None when its quotes do not balance."""
    if '"' not in line:
        return line.split(delimiter)
    if not _balanced(delimiter).fullmatch(line):
        return None
    return next(csv.reader([line], delimiter=delimiter, strict=False))


def data_lines(path: Path, encoding: str) -> Iterator[tuple[np.ndarray, pa.Array]]:
    """(physical line numbers, texts without line endings) of a CSV file's non-blank lines after its
    header, a block at a time. Text that does not decode stops the file with its line number."""
    from loaders.nhsa_json import line_blocks

    header_seen, first = False, 1
    with open(path, "rb") as handle:
        for offset, length, _ in line_blocks(path, BLOCK_BYTES):
            handle.seek(offset)
            data = handle.read(length)
            text = to_utf8(data.removeprefix(b"\xef\xbb\xbf") if offset == 0 else data, encoding)
            if text is None:
                raise _undecodable(path, data, first, encoding)
            numbers, lines, count = _nonblank(text, first)
            first += count
            if not header_seen and len(lines):
                numbers, lines, header_seen = numbers[1:], lines[1:], True
            yield numbers, lines


def _nonblank(text: bytes, first: int) -> tuple[np.ndarray, pa.Array, int]:
    """The numbers and texts (line endings dropped) of the non-blank lines of a block of whole lines,
    and how many lines the block holds."""
    data = np.frombuffer(text, np.uint8)
    feeds = data == 10
    returns = np.flatnonzero(data == 13)
    lone = returns[(returns + 1 >= len(data)) | ~feeds[np.minimum(returns + 1, len(data) - 1)]]
    ends = np.union1d(np.flatnonzero(feeds), lone) + 1
    count = len(ends)
    if not len(ends) or ends[-1] != len(text):
        ends = np.append(ends, len(text))
    offsets = np.concatenate([[0], ends]).astype(np.int32)
    lines = pa.StringArray.from_buffers(len(ends), pa.py_buffer(offsets), pa.py_buffer(text))
    lines = pc.replace_substring_regex(lines, r"\r\n$|\r$|\n$", "", max_replacements=1)
    keep = pc.invert(pc.match_substring_regex(lines, BLANK))
    numbers = np.arange(first, first + len(ends), dtype=np.int64)
    return numbers[keep.to_numpy(zero_copy_only=False)], lines.filter(keep), count


def _undecodable(path: Path, data: bytes, first: int, encoding: str) -> BadInput:
    """The error for a block that does not decode, naming its first line that does not."""
    for number, line in enumerate(split_lines(data), start=first):
        if to_utf8(line, encoding) is None:
            return BadInput(f"CSV 第 {number} 行无法按 {encoding} 读取 / line {number} of the CSV does not decode "
                            f"as {encoding}, the file's encoding", path=str(path), line=number,
                            hint="save the whole file in one encoding (UTF-8 or GB18030)")
    return BadInput(f"CSV 无法按 {encoding} 读取 / cannot read the CSV as {encoding}", path=str(path),
                    hint="save the whole file in one encoding (UTF-8 or GB18030)")


def records(numbers: np.ndarray, lines: pa.Array, delimiter: str, columns: int,
            positions: dict[str, int]) -> tuple[dict[str, pa.Array], np.ndarray, list[tuple[int, str, str]]]:
    """The values of the fields at ``positions`` in the lines that hold a record, those lines' numbers (in
    order), and (line number, reason, text) of the lines that do not hold one."""
    odd = pc.match_substring(lines, '"').to_numpy(zero_copy_only=False)
    plain, plain_numbers = lines.filter(pa.array(~odd)), numbers[~odd]
    split = pc.split_pattern(plain, delimiter)
    counts = pc.list_value_length(split).to_numpy(zero_copy_only=False)
    fits = counts == columns
    broken = [(int(n), broken_reason(COLUMNS, columns, int(c)), t) for n, c, t in
              zip(plain_numbers[~fits], counts[~fits], plain.filter(pa.array(~fits)).to_pylist(), strict=True)]
    split = split.filter(pa.array(fits))
    values = {field: [pc.list_element(split, at)] for field, at in positions.items()}
    kept = [plain_numbers[fits]]
    cells, cell_numbers = _odd_lines(numbers[odd], lines.filter(pa.array(odd)).to_pylist(), delimiter, columns, broken)
    for field, at in positions.items():
        values[field].append(pa.array([row[at] for row in cells], pa.string()))
    kept.append(np.asarray(cell_numbers, np.int64))
    numbers = np.concatenate(kept)
    order = pa.array(np.argsort(numbers, kind="stable"))
    return ({field: pa.concat_arrays(parts).take(order) for field, parts in values.items()},
            numbers[order.to_numpy()], sorted(broken))


def _odd_lines(numbers: np.ndarray, texts: list[str], delimiter: str, columns: int,
               broken: list) -> tuple[list[list[str]], list[int]]:
    """Lines with a quote, one by one: their cells, or a broken line."""
    cells, kept = [], []
    for number, text in zip(numbers.tolist(), texts, strict=True):
        row = line_cells(text, delimiter)
        if row is None:
            broken.append((number, broken_reason(UNBALANCED, columns, 0), text))
        elif len(row) != columns:
            broken.append((number, broken_reason(COLUMNS, columns, len(row)), text))
        else:
            cells.append(row)
            kept.append(number)
    return cells, kept

"""Mutations of an XLSX upload (``Sheet``): typed cells that are not finite or out of range, long
cells, full-width separators, duplicate columns, empty and duplicate rows, formulas, damaged files."""

from __future__ import annotations

import datetime as dt
import io
import random
from dataclasses import replace

import openpyxl

from tests.loaders.fuzz_edits import CSV_COLUMNS, fullwidth_joined, same, same_or_reject
from tests.loaders.fuzz_uploads import RecordExpect, Sheet

NON_FINITE = [float("inf"), float("-inf"), float("nan"), "1e309", "NaN", "Infinity", "-inf"]
EXTREME_TIMES = [dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31, 23, 59, 59), dt.date(1, 1, 1), dt.date(9999, 12, 31),
                 "2025-02-30 10:00:00", "0001-01-01", "9999-12-31 23:59:59"]


def _edit_row(sheet: Sheet, rng: random.Random, edit, codes: int = 1) -> bool:
    """Apply ``edit(cells, record) → expectation`` to a random row still read ``same``."""
    candidates = [i for i, (_, expect) in enumerate(sheet.rows)
                  if expect and expect[0].kind == "same" and len(expect[0].record.codes) >= codes]
    if not candidates:
        return False
    index = rng.choice(candidates)
    cells, expect = sheet.rows[index]
    cells = list(cells)
    sheet.rows[index] = (cells, (edit(cells, expect[0].record),))
    return True


def x_non_finite(sheet: Sheet, rng: random.Random) -> bool:
    def edit(cells, record):
        column = "price" if record.price is not None and rng.random() < 0.4 else "quantity"
        cells[CSV_COLUMNS[column]] = rng.choice(NON_FINITE)
        return RecordExpect("reject", record)

    return _edit_row(sheet, rng, edit)


def x_extreme_date(sheet: Sheet, rng: random.Random) -> bool:
    def edit(cells, record):
        cells[CSV_COLUMNS["time"]] = rng.choice(EXTREME_TIMES)
        return RecordExpect("reject", record)

    return _edit_row(sheet, rng, edit)


def x_long_cell(sheet: Sheet, rng: random.Random) -> bool:
    def edit(cells, record):
        value = ((record.product + "；") * 4_000)[: rng.choice([5_000, 32_767])]
        cells[CSV_COLUMNS["product"]] = value
        return same_or_reject(record, product=value)

    return _edit_row(sheet, rng, edit)


def x_fullwidth_separators(sheet: Sheet, rng: random.Random) -> bool:
    def edit(cells, record):
        cells[CSV_COLUMNS["codes"]] = fullwidth_joined(record.codes, rng)
        return same(record)

    return _edit_row(sheet, rng, edit, codes=2)


def x_formula(sheet: Sheet, rng: random.Random) -> bool:
    """A quantity given as a formula the workbook holds no value for: the quantity is missing."""

    def edit(cells, record):
        cells[CSV_COLUMNS["quantity"]] = "=1+1"
        return RecordExpect("reject", record)

    return _edit_row(sheet, rng, edit)


def x_duplicate_column(sheet: Sheet, rng: random.Random) -> bool:
    """The product name column twice (same header or an alias), the second with other values."""
    sheet.header.append(rng.choice(["药品名称", "商品名称"]))
    sheet.bad_input_ok = True
    for index, (cells, expect) in enumerate(sheet.rows):
        if not expect or expect[0].record is None:
            sheet.rows[index] = ([*cells, None] if cells else cells, expect)
            continue
        record = expect[0].record
        value = record.product + "（新）"
        kind = expect[0].kind if expect[0].kind in ("reject", "any") else "same_or_reject"
        sheet.rows[index] = ([*cells, value], (RecordExpect(kind, replace(record, product=value)),))
    return True


def x_empty_rows(sheet: Sheet, rng: random.Random) -> bool:
    for _ in range(rng.randint(1, 4)):
        sheet.rows.insert(rng.randint(0, len(sheet.rows)), ([], None))
    return True


def x_duplicate_row(sheet: Sheet, rng: random.Random) -> bool:
    index = rng.randrange(len(sheet.rows))
    if not sheet.rows[index][1]:
        return False
    sheet.rows.insert(rng.randint(index + 1, len(sheet.rows)), sheet.rows[index])
    return True


def x_corrupt(sheet: Sheet, rng: random.Random) -> bool:
    """The saved workbook truncated or with bytes changed (a broken transfer)."""
    sheet.corrupt = rng.choice(["truncate", "flip"])
    sheet.bad_input_ok = True
    return True


def x_none(sheet: Sheet, rng: random.Random) -> bool:
    return True


def sheet_bytes(sheet: Sheet, rng: random.Random) -> bytes:
    """The workbook as saved by openpyxl, damaged as ``sheet.corrupt`` says."""
    book = openpyxl.Workbook()
    page = book.active
    page.append(sheet.header)
    for cells, _ in sheet.rows:
        page.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    data = bytearray(buffer.getvalue())
    if sheet.corrupt == "truncate":
        del data[rng.randrange(len(data) // 3, len(data)) :]
    elif sheet.corrupt == "flip":
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data) // 4, len(data))] = rng.randrange(256)
    return bytes(data)


MUTATIONS = {f.__name__: f for f in (
    x_none, x_non_finite, x_extreme_date, x_long_cell, x_fullwidth_separators, x_formula, x_duplicate_column,
    x_empty_rows, x_duplicate_row, x_corrupt,
)}  # fmt: skip

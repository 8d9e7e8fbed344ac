"""XLSX workbooks that are safe to open: every text cell stays text (a 20-digit code keeps its digits, text
starting like a formula gets a leading ``'`` and is stored as a string, never a formula; OWASP ASVS
1.2.10), numbers stay numbers, times are Excel times; written atomically (xlsxwriter, constant memory, with
its formula, number and URL guessing off).

>>> import tempfile, openpyxl
>>> path = Path(tempfile.mkdtemp()) / "a.xlsx"
>>> write_workbook(path, [Sheet("线索", [("code", "追溯码"), ("n", "次数")],
...                                [{"code": "81000000000000000001", "n": 3}, {"code": "=1+1", "n": None}])])
>>> sheet = openpyxl.load_workbook(path)["线索"]
>>> [[cell.value for cell in row] for row in sheet.iter_rows()]
[['追溯码', '次数'], ['81000000000000000001', 3], ["'=1+1", None]]
>>> sheet["A3"].data_type
's'
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from loaders.atomic import atomic_path

#: First characters a spreadsheet reads as a formula or a command (OWASP ASVS 1.2.10).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
#: Excel's limit on a cell's text.
MAX_CELL_TEXT = 32_767
#: Excel's limit on a sheet name, and the characters a sheet name may not hold.
MAX_SHEET_NAME = 31
#: Characters XML 1.0 cannot hold.
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_BAD_SHEET_CHARS = str.maketrans({c: "_" for c in "[]:*?/\\"})


@dataclass(frozen=True)
class Sheet:
    """One sheet: its name, its columns as ``(row key, header)`` pairs, its rows; ``widths``: column
    widths by row key (default 14)."""

    name: str
    columns: Sequence[tuple[str, str]]
    rows: Sequence[Mapping]
    widths: Mapping[str, float] = field(default_factory=dict)


def safe_text(value: str) -> str:
    r"""Text a spreadsheet shows as it is: a leading ``'`` before formula-like text, control characters
    XML cannot hold as ``\ufffd``, cut to Excel's limit.

    >>> safe_text("+86 138"), safe_text("@SUM(A1)"), safe_text("普通"), safe_text("a\x00b")
    ("'+86 138", "'@SUM(A1)", '普通', 'a\ufffdb')
    """
    text = f"'{value}" if value.startswith(FORMULA_START) else value
    text = _NOT_IN_XML.sub("\ufffd", text)
    return text[:MAX_CELL_TEXT]


def write_workbook(path: str | Path, sheets: Sequence[Sheet]) -> None:
    """Write the sheets to ``path`` atomically."""
    import xlsxwriter

    with atomic_path(Path(path)) as temporary:
        book = xlsxwriter.Workbook(str(temporary), {"constant_memory": True, "strings_to_formulas": False,
                                                     "strings_to_numbers": False, "strings_to_urls": False})
        formats = {"header": book.add_format({"bold": True}),
                   "time": book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
                   "date": book.add_format({"num_format": "yyyy-mm-dd"})}
        for sheet in sheets:
            _write_sheet(book, sheet, formats)
        book.close()


def _write_sheet(book, sheet: Sheet, formats: dict) -> None:
    page = book.add_worksheet(sheet.name.translate(_BAD_SHEET_CHARS)[:MAX_SHEET_NAME])
    for index, (key, _) in enumerate(sheet.columns):
        page.set_column(index, index, sheet.widths.get(key, 14))
    page.freeze_panes(1, 0)
    for index, (_, title) in enumerate(sheet.columns):
        page.write_string(0, index, safe_text(str(title)), formats["header"])
    for number, row in enumerate(sheet.rows, start=1):
        for index, (key, _) in enumerate(sheet.columns):
            _write_cell(page, number, index, row.get(key), formats)


def _write_cell(page, row: int, column: int, value: object, formats: dict) -> None:
    """Text as a string cell (never a formula), times and numbers as such, nothing for ``None``."""
    if value is None or isinstance(value, float) and value != value:
        return
    if isinstance(value, bool):
        page.write_string(row, column, "是" if value else "否")
    elif isinstance(value, int | float):
        page.write_number(row, column, value)
    elif isinstance(value, datetime):
        page.write_datetime(row, column, value.replace(tzinfo=None), formats["time"])
    elif isinstance(value, date):
        page.write_datetime(row, column, datetime(value.year, value.month, value.day), formats["date"])
    else:
        page.write_string(row, column, safe_text(str(value)))

"""XLSX workbooks that are safe to open: every text cell stays text (a 20-digit code keeps its digits, text
starting like a formula gets a leading ``'`` and is stored as a string, never a formula; OWASP ASVS
1.2.10), numbers stay numbers, times are Excel times; written atomically (openpyxl, write-only).

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
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    text = f"'{value}" if value.startswith(FORMULA_START) else value
    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", text)
    return text[:MAX_CELL_TEXT]


def write_workbook(path: str | Path, sheets: Sequence[Sheet]) -> None:
    """Write the sheets to ``path`` atomically."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for sheet in sheets:
        _write_sheet(book, sheet)
    with atomic_path(Path(path)) as temporary:
        book.save(temporary)


def _write_sheet(book, sheet: Sheet) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    page = book.create_sheet(sheet.name.translate(_BAD_SHEET_CHARS)[:MAX_SHEET_NAME])
    for index, (key, _) in enumerate(sheet.columns):
        page.column_dimensions[_letter(index)].width = sheet.widths.get(key, 14)
    page.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for _, title in sheet.columns:
        cell = _cell(WriteOnlyCell(page), title)
        cell.font = bold
        header.append(cell)
    page.append(header)
    for row in sheet.rows:
        page.append([_cell(WriteOnlyCell(page), row.get(key)) for key, _ in sheet.columns])


def _cell(cell, value: object):
    """``cell`` holding ``value``: text as a string cell (never a formula), times and numbers as such."""
    if value is None or isinstance(value, bool | int | float) and not isinstance(value, bool):
        cell.value = value
    elif isinstance(value, bool):
        cell.value = "是" if value else "否"
    elif isinstance(value, datetime | date):
        cell.value = value.replace(tzinfo=None) if isinstance(value, datetime) else value
        cell.number_format = "yyyy-mm-dd hh:mm:ss" if isinstance(value, datetime) else "yyyy-mm-dd"
    else:
        cell.value = safe_text(str(value))
        cell.data_type = "s"
    return cell


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)

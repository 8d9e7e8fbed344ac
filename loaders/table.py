"""Format B, ``table``: CSV or XLSX exports, one row per interface record.

Headers are NHSA field codes or their Chinese names (declared in ``fields.yaml``); every value is
read as text, so a code keeps its digits and a bad number is rejected later with its field named.
CSV is read one physical line per record (``loaders/csv_lines.py``), a block at a time, the lines split
by Arrow and those holding quotes by Python's ``csv``; XLSX is streamed row by row by openpyxl.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loaders.csv_lines import data_lines, first_line, line_cells, records, split_lines
from loaders.detect import sniff_delimiter
from loaders.errors import BadInput
from loaders.raw import error_rows, raw_table
from loaders.vocabulary import vocabulary

XLSX_BATCH = 20_000
CODE_FIELD = "drug_trac_codg"
R_NUMERIC_CODE = (
    "追溯码单元格是数字，Excel 只保留 15 位，码已丢失 / the code cell is a number: Excel keeps 15 digits, "
    "the code is lost; format the column as text and export again"
)


def field_positions(headers, path: Path) -> dict[str, int]:
    """NHSA field → column position. Two columns naming one field (``追溯码`` and ``drug_trac_codg``) are
    bad input: which one holds the values is not ours to guess. Checks the required fields."""
    positions: dict[str, int] = {}
    for position, header in enumerate(headers):
        field = vocabulary().field_for_header(header)
        if field in positions:
            first = headers[positions[field]]
            raise BadInput(
                f"表头中 {first} 与 {header} 两列都对应字段 {field} / columns \"{first}\" (column "
                f"{positions[field] + 1}) and \"{header}\" (column {position + 1}) both name the field {field}",
                path=str(path), line=1, field=field,
                hint="keep one of the two columns: delete or rename the other, merging its values first")
        if field:
            positions[field] = position
    for field, names in (("infno", "接口编号/业务类型/infno"), ("fixmedins_code", "定点医药机构编码/fixmedins_code")):
        if field not in positions:
            raise BadInput(
                f"表头缺少必需列 {names} / the header lacks the required column {field}",
                path=str(path), line=1, field=field, hint=f"add a column {names.split('/')[0]}",
            )
    return positions


def read_csv_table(path: Path, encoding: str, headers: tuple[str, ...]) -> Iterator[pa.Table]:
    """Yield raw-record tables from a CSV file, a block of lines at a time; each row keeps its physical
    line number.

    A record is one physical line (``loaders/csv_lines.py``): a line with an unbalanced quote, a carriage
    return inside it or the wrong number of columns is one reject (a raw error row), never a crash, and
    never takes the next lines with it; blank lines are skipped. Text that does not decode stops the file.
    """
    positions = field_positions(headers, path)
    with open(path, "rb") as handle:
        delimiter = sniff_delimiter(_first_line(handle.read(64 << 10), encoding))
    for numbers, lines, quoted in data_lines(path, encoding):
        values, kept, broken = records(numbers, lines, quoted, delimiter, len(headers), positions)
        if len(kept):
            yield _raw_from_columns(values, len(kept), kept)
        if broken:
            yield error_rows([(number, "(line)", reason, text) for number, reason, text in broken])


def _first_line(head: bytes, encoding: str) -> str:
    """The header line of a file's first bytes (the first line that is not blank)."""
    return first_line(head.decode(encoding, errors="ignore"))


def scan_table_deletes(path: Path, encoding: str, headers: tuple[str, ...]) -> Iterator[tuple]:
    """(institution, fixmedins_bchno, inv_data_type, inf_time) of a CSV file's 3507 rows.

    A byte search finds the lines that mention a 3507 (its code or Chinese names, in the file's
    encoding); only those are parsed. Whatever this misses, consolidation still applies.
    """
    positions = field_positions(headers, path)
    names = {"3507", vocabulary().interfaces["3507"].name_zh, *vocabulary().interfaces["3507"].names}
    patterns = [name.encode(encoding.replace("-sig", "")) for name in names]
    with open(path, "rb") as handle:
        data = handle.read()
    delimiter = sniff_delimiter(_first_line(data[: 64 << 10], encoding))
    for line in (part for found in _lines_with(data, patterns) for part in split_lines(found)):
        try:
            row = line_cells(line.decode(encoding), delimiter) or []
        except UnicodeDecodeError:  # the reader refuses the file
            continue
        cell = {field: row[i].strip() if i < len(row) else "" for field, i in positions.items()}
        if vocabulary().family(cell.get("infno")) == "3507" and all(
                cell.get(f) for f in ("fixmedins_code", "fixmedins_bchno", "inv_data_type")):
            yield (cell["fixmedins_code"].upper(), cell["fixmedins_bchno"], cell["inv_data_type"],
                   cell.get("inf_time") or None)


def _lines_with(data: bytes, patterns: list[bytes]) -> list[bytes]:
    """The lines of ``data`` holding any of ``patterns``, each once, in order."""
    from loaders import native

    if native.available():
        return [data[start:end] for start, end in native.tcw_native.lines_with(data, patterns)]
    starts: set[int] = set()
    for pattern in patterns:
        position = data.find(pattern)
        while position != -1:
            start = data.rfind(b"\n", 0, position) + 1
            end = data.find(b"\n", position)
            end = len(data) if end == -1 else end
            starts.add(start)
            position = data.find(pattern, end)
    return [data[start:_line_end(data, start)] for start in sorted(starts)]


def _line_end(data: bytes, start: int) -> int:
    end = data.find(b"\n", start)
    return len(data) if end == -1 else end


def read_xlsx_table(path: Path) -> Iterator[pa.Table]:
    """Yield raw-record tables from every sheet of a workbook whose header names an interface. A workbook
    damaged past its first rows (a broken transfer) stops with bad input, not a crash."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        for sheet in book.worksheets:
            rows = sheet.iter_rows(values_only=True)
            header = next(rows, None)
            if header is None or "infno" not in {vocabulary().field_for_header(h) for h in header}:
                continue
            yield from _sheet_batches(rows, field_positions(header, path))
    except BadInput:
        raise
    except Exception as error:  # openpyxl raises many kinds on a damaged workbook
        raise BadInput(f"Excel 文件已损坏，无法读完 / the workbook is damaged: {type(error).__name__}: {error}",
                       path=str(path), hint="open and save it again in Excel, or export CSV") from None
    finally:
        book.close()


def xlsx_headers(path: Path) -> tuple[str, ...]:
    """The header row of the first sheet that names an interface (else of the first sheet)."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        first: tuple[str, ...] = ()
        for sheet in book.worksheets:
            header = next(sheet.iter_rows(values_only=True, max_row=1), ())
            cells = tuple("" if h is None else str(h).strip() for h in header)
            first = first or cells
            if "infno" in {vocabulary().field_for_header(h) for h in cells}:
                return cells
        return first
    finally:
        book.close()


def _sheet_batches(rows, positions: dict[str, int]) -> Iterator[pa.Table]:
    """Raw-record tables of a sheet's rows after its header, each row numbered as Excel numbers it; an
    empty row (every cell empty) holds no record and is skipped, as a blank CSV line is."""
    columns: dict[str, list] = {field: [] for field in positions}
    errors: list[str | None] = []
    lines: list[int] = []
    for line, row in enumerate(rows, start=2):
        if all(cell is None or cell == "" for cell in row):
            continue
        for field, position in positions.items():
            value = row[position] if position < len(row) else None
            columns[field].append(_cell_text(value))
        numeric_code = CODE_FIELD in positions and isinstance(_at(row, positions[CODE_FIELD]), (int, float))
        errors.append(R_NUMERIC_CODE if numeric_code else None)
        lines.append(line)
        if len(errors) >= XLSX_BATCH:
            yield _raw_from_columns(_arrays(columns), len(errors), np.array(lines), errors)
            columns, errors, lines = {field: [] for field in positions}, [], []
    if errors:
        yield _raw_from_columns(_arrays(columns), len(errors), np.array(lines), errors)


def _at(row, position: int):
    return row[position] if position < len(row) else None


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _arrays(columns: dict[str, list]) -> dict[str, pa.Array]:
    return {field: pa.array(values, pa.string()) for field, values in columns.items()}


def _raw_from_columns(columns: dict, rows: int, lines: np.ndarray, errors: list | None = None) -> pa.Table:
    """Raw table from text columns: interface names mapped to codes, the code cell as a 1-item list."""
    data = dict(columns)
    data["_line"] = pa.array(np.asarray(lines, dtype=np.int64))
    data["_rec"] = pa.array(np.ones(rows, dtype=np.int32))
    data["infno"] = _interface_codes(columns["infno"])
    data["codes"] = _code_lists(columns.get(CODE_FIELD), rows)
    if errors is not None:
        data["_error"] = pa.array(errors, pa.string())
        data["_error_field"] = pc.if_else(pc.is_null(data["_error"]), None, CODE_FIELD)
    return raw_table(data, rows)


def _interface_codes(infno) -> pa.Array:
    """Chinese interface names (商品销售 …) → family codes; unknown values stay for the reject."""
    infno = pc.utf8_trim_whitespace(infno)
    distinct = pc.unique(infno)
    mapped = [interface_code(value) for value in distinct.to_pylist()]
    return pc.take(pa.array(mapped, pa.string()), pc.index_in(infno, value_set=distinct))


def interface_code(value: str | None) -> str | None:
    """The family code a table's interface cell names (``商品销售`` → ``3505``); codes and unknown
    values stay as they are.

    >>> interface_code("商品销售"), interface_code("3505A"), interface_code("什么")
    ('3505', '3505A', '什么')
    """
    if str(value or "")[:4].isdigit():
        return value
    return vocabulary().family(value) or value


def csv_text(path: Path, encoding: str) -> bytes | None:
    """A CSV file's bytes as UTF-8 (None when they do not decode: the Python reader reports the line)."""
    from loaders.encoding import to_utf8

    return to_utf8(Path(path).read_bytes(), encoding)


def declined_rows(rows: list[tuple[int, list[str]]], positions: dict[str, int], file_index: int) -> pa.Table:
    """Raw-record rows from (line, cells) pairs, as :func:`read_csv_table` would give them."""
    from loaders.raw import with_file

    columns = {field: pa.array([cells[i] for _, cells in rows], pa.string()) for field, i in positions.items()}
    lines = np.array([line for line, _ in rows], dtype=np.int64)
    return with_file(_raw_from_columns(columns, len(rows), lines), file_index)


def _code_lists(cells, rows: int) -> pa.Array:
    """Each code cell as a list of one cell (split into codes later); an empty cell as an empty list."""
    if cells is None:
        return pa.ListArray.from_arrays(pa.array(np.zeros(rows + 1, dtype=np.int32)), pa.array([], pa.string()))
    cells = pc.utf8_trim_whitespace(pc.fill_null(cells, ""))
    present = pc.greater(pc.utf8_length(cells), 0)
    offsets = np.concatenate([[0], np.cumsum(present.to_numpy(zero_copy_only=False), dtype=np.int32)])
    return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), cells.filter(present))

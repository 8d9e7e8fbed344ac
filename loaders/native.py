"""The compiled fast path (``native/``, Python module ``tcw_native``).

It reads format-A lines and raw tables into canonical event columns by the same rules as the SQL
normalisation, for every record whose reading is unambiguous (standard envelope shapes, the usual
time renderings, plain numbers, no padding to trim). Every line or row it is not sure of is handed
back and goes through the SQL path, which also writes the rejects; so both paths together give
exactly what the SQL path alone gives, only faster. Trace codes other than plain 20-digit NMPA codes,
and cells holding several codes, are read by :mod:`loaders.tracecode` (called back, results cached).

The module is built by ``make setup`` (Rust, ``native/``). Without it, or with ``TCW_NATIVE=0``,
everything goes through the SQL path.

>>> layout_matches() if available() else True
True
"""

from __future__ import annotations

import datetime as dt
import os
from functools import cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from loaders.detect import sniff_delimiter
from loaders.table import interface_code
from loaders.tracecode import parse_trace_code, split_code_cell
from loaders.vocabulary import event_column_specs, vocabulary

try:
    import tcw_native
except ImportError:  # not built: the SQL path does all the work
    tcw_native = None

_ARROW_TYPES = {"string": pa.string(), "timestamp": pa.timestamp("us"), "bool": pa.bool_(),
                "double": pa.float64(), "int32": pa.int32(), "int64": pa.int64()}
_DUCKDB_KINDS = {"VARCHAR": "string", "TIMESTAMP": "timestamp", "BOOLEAN": "bool", "DOUBLE": "double",
                 "INTEGER": "int32", "BIGINT": "int64"}


def available() -> bool:
    """True when the compiled module is built, not switched off (``TCW_NATIVE=0``) and agrees with the
    declared event columns."""
    return tcw_native is not None and os.environ.get("TCW_NATIVE", "1") != "0" and layout_matches()


@cache
def layout_matches() -> bool:
    """The compiled module's outputs have the declared columns: events (``fields.yaml``) + ``file_index``,
    and the reference path's ``deleted`` and ``delete`` part columns."""
    from loaders.normalize import DELETE_COLUMNS, DELETED_COLUMNS

    layout = {kind: [tuple(column) for column in columns] for kind, columns in tcw_native.layout().items()}
    declared = [(name, _DUCKDB_KINDS[spec[0]]) for name, spec in event_column_specs().items()]
    return (layout["event"] == [*declared, ("file_index", "int32")]
            and [name for name, _ in layout["delete"]] == list(DELETE_COLUMNS)
            and [name for name, _ in layout["deleted"]] == list(DELETED_COLUMNS)
            and [name for name, _ in layout["duplicate"]] == list(DELETED_COLUMNS))


def builder(institutions: str, deletes: list[tuple] = ()) -> tcw_native.EventBuilder:
    """A fresh builder for one task; ``institutions`` is the workspace's reference (path or ''),
    ``deletes`` the known 3507 deletes (see :func:`known_deletes`)."""
    events = tcw_native.EventBuilder(_config(institutions, _mtime(institutions)) | {"time_range": _time_range()})
    events.set_known_deletes(list(deletes))
    return events


def known_deletes(con, deletes: pa.Table | None) -> list[tuple]:
    """(institution, row key, families, upload time in µs or None) of known deletes; the upload time
    is read with the declared formats, as the SQL path reads it."""
    if deletes is None or deletes.num_rows == 0:
        return []
    con.register("known_raw", deletes)
    try:
        rows = con.sql("SELECT institution_code, record_no, delete_data_type, "
                       "epoch_us(try_strptime(upload_time, $formats)) FROM known_raw",
                       params={"formats": list(vocabulary().time_formats)}).fetchall()
    finally:
        con.unregister("known_raw")
    targets = vocabulary().delete_targets
    return [(code, record, list(targets.get(kind, ())), uploaded) for code, record, kind, uploaded in rows]


def add_lines(events, data: bytes, first_line: int, file_index: int, source_file: str) -> list[tuple[int, bytes]]:
    """Read a UTF-8 block of whole lines; returns the (line number, text) of the lines left to SQL."""
    return events.add_lines(data, first_line, file_index, source_file)


def add_raw(events, raw: pa.Table, files: dict[int, str]) -> pa.Table:
    """Read a raw-record table; returns the rows left to SQL (as a raw table)."""
    if raw.num_rows == 0:
        return raw
    raw = raw.combine_chunks()
    table = {name: _text_spec(raw.column(name).chunk(0)) for name in tcw_native.fields() if name in raw.column_names}
    table["codes"] = _list_spec(raw.column("codes").chunk(0))
    for name, dtype in (("_line", np.int64), ("_rec", np.int32), ("_file", np.int32)):
        table[name] = _fixed(pc.fill_null(raw.column(name), 0), dtype)
    table["_declined"] = _fixed(pc.is_valid(raw.column("_error")), np.uint8)
    declined = events.add_table(table, raw.num_rows, files)
    return raw.take(pa.array(declined, pa.int64()))


def add_csv(events, path: Path, encoding: str, headers: tuple[str, ...], file_index: int) -> pa.Table | None:
    """Read a whole CSV file; returns the raw rows left to SQL (declined rows, and error rows for broken
    lines, as :func:`loaders.table.read_csv_table` gives them), or None when the compiled reader declined
    the file (nothing was added: the Python reader reads it instead)."""
    from loaders.csv_lines import broken_reason, first_line
    from loaders.raw import error_rows, with_file
    from loaders.table import csv_text, declined_rows, field_positions

    text = csv_text(path, encoding)
    if text is None:
        return None
    text = text.removeprefix(b"\xef\xbb\xbf")
    positions = field_positions(headers, path)
    delimiter = sniff_delimiter(first_line(text[:65_536].decode("utf-8", errors="ignore")))
    left = events.add_csv(text, delimiter, len(headers), list(positions.items()), file_index, str(path))
    if left is None:
        return None
    declined, broken = left
    tables = [declined_rows(declined, positions, file_index)] if declined else []
    if broken:
        rows = [(line, "(line)", broken_reason(kind, len(headers), found), text) for line, text, kind, found in broken]
        tables.append(with_file(error_rows(rows), file_index))
    return pa.concat_tables(tables) if tables else _no_rows()


@cache
def _no_rows() -> pa.Table:
    from loaders.raw import raw_table

    return raw_table({}, 0)


def finish(events) -> dict[str, pa.Table]:
    """The builder's rows by output: ``event`` (declared columns + ``file_index``), ``deleted`` and
    ``delete`` (the SQL path's part columns), and ``duplicate`` (later copies of a record the task
    already read, dropped before consolidation has to)."""
    tables = {}
    for kind, (columns, rows) in events.finish().items():
        arrays = [pa.Array.from_buffers(_ARROW_TYPES[kind_], rows, [_buffer(validity), *map(_buffer, buffers)])
                  for _, kind_, validity, buffers in columns]
        tables[kind] = pa.Table.from_arrays(arrays, names=[column[0] for column in columns])
    return tables


def write_parquet(table: pa.Table, path: Path) -> None:
    """Write a part file (Parquet, zstd: as fast as snappy here, half the size). Dictionary encoding
    only where values repeat a lot, and min/max statistics only where queries filter: both cost time
    on unique text such as event ids."""
    dictionary = [name for name in table.column_names if name in _REPEATING]
    statistics = [name for name in table.column_names if name in _FILTERED]
    pq.write_table(table, path, compression="zstd", use_dictionary=dictionary, write_statistics=statistics)


_REPEATING = frozenset({"event_type", "code_scheme", "family", "interface", "institution_code", "institution_name",
                        "institution_type", "region_code", "chain_id", "source_file", "med_list_codg", "product_name",
                        "hilist_id", "supplier", "settle_type", "change_type", "delete_data_type", "file_index"})
_FILTERED = frozenset({"event_time", "event_type", "family", "institution_code", "region_code", "upload_time"})


def _buffer(data: bytes | None) -> pa.Buffer | None:
    return None if data is None else pa.py_buffer(data)


def _text_spec(array: pa.Array) -> tuple:
    array = array.cast(pa.string())
    validity, offsets, data = array.buffers()
    return validity, offsets, data, array.offset


def _list_spec(array: pa.Array) -> tuple:
    validity, offsets, *_ = array.buffers()
    items = array.values.cast(pa.string())
    item_validity, item_offsets, item_data = items.buffers()
    return validity, offsets, item_validity, item_offsets, item_data, array.offset, items.offset


def _fixed(column, dtype) -> pa.Buffer:
    """A column's values as one contiguous little-endian buffer from row 0."""
    return pa.py_buffer(np.ascontiguousarray(column.to_numpy(), dtype=dtype))


def _mtime(path: str) -> float:
    return Path(path).stat().st_mtime if path else 0.0


@cache
def _config(institutions: str, _mtime: float) -> dict:
    """The vocabulary the builder needs (cached per process and reference file version)."""
    v = vocabulary()
    families = {family: (i.time, i.quantity, i.price, None if i.event_type == "by_change_type" else i.event_type)
                for family, i in v.interfaces.items() if i.event_type != "delete"}
    formats = list(v.time_formats)
    date_index = formats.index("%Y-%m-%d") if "%Y-%m-%d" in formats else -1
    times = (formats[:1] == ["%Y-%m-%d %H:%M:%S"],
             date_index >= 0 and all("%H" in f for f in formats[:date_index]))
    return {
        "families": families, "change_types": dict(v.change_types), "letters": dict(v.institution_letters),
        "split_true": list(v.split_true), "times": times, "institutions": _institutions(institutions),
        "nodes": [(node, node.endswith("Detail")) for node in v.node_names], "split": split_code_cell,
        "parse": _parse_fields, "delete_types": list(v.delete_targets), "interface": interface_code,
    }


def _time_range() -> tuple[int, int, int]:
    """(earliest, days after the upload, midnight of the run's day) of plausible business times, in
    microseconds, as the SQL path bounds them (its parameters are made the same way)."""
    bounds = vocabulary().business_time
    run_day = dt.datetime.combine(dt.date.today(), dt.time())
    return _micros(bounds.earliest), bounds.days_after_upload * 86_400_000_000, _micros(run_day)


def _micros(moment: dt.datetime) -> int:
    return (moment - dt.datetime(1970, 1, 1)) // dt.timedelta(microseconds=1)


def _institutions(path: str) -> dict[str, tuple]:
    """code → (type, region, chain) from the institutions reference (codes are unique there)."""
    if not path:
        return {}
    table = pq.read_table(path, columns=["code", "type", "region", "chain"])
    columns = [table.column(name).to_pylist() for name in ("code", "type", "region", "chain")]
    found = {code: (kind, region, chain) for code, kind, region, chain in zip(*columns, strict=True)}
    if len(found) != table.num_rows:
        raise ValueError(f"{path}: institution codes are not unique")
    return found


def _parse_fields(raw: str) -> tuple[str, str, str, str]:
    parsed = parse_trace_code(raw)
    return parsed.code, parsed.scheme, parsed.reason, parsed.product_id

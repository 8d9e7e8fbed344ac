"""Raw records → canonical events, rejects and delete instructions: one SQL pass for every format.

A raw record becomes one event row per trace code it carries (one row with an empty code when it
carries none). The record's quantity is shared by its codes, the business time (not the upload
time) is the event time, and ids derive from the record's business key (interface family +
institution + ``fixmedins_bchno`` + the code's position), so the same record read twice gives the
same ``event_id``. Rows that cannot be used become rejects naming the field, what was expected and
what was found.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb
import pyarrow as pa

from loaders import native, nhsa_json
from loaders.db import run, scalar
from loaders.json_keys import key_flags
from loaders.sql_text import DELETED_BY, NORMALIZE_SQL, delete_targets, interface_cases, reference_parts
from loaders.tracecode import CODE_SEPARATORS, NMPA20_FAST_PATTERN, parse_many, split_code_cell
from loaders.vocabulary import event_column_specs, vocabulary

#: A code cell holding any of these may hold several codes (``tcw_split`` decides); others hold one. RE2's
#: ``\s`` is ASCII only: Unicode whitespace is ``\pZ`` (U+3000 …) with the control characters Python's
#: ``\s`` also takes (but not U+001C–U+001F), and the zero-width space.
CELL_SEPARATORS = "[" + CODE_SEPARATORS + r"\t\n\x{0B}\f\r\x{85}\pZ\x{200B}]"
PARSE_TYPE = "STRUCT(code VARCHAR, scheme VARCHAR, reason VARCHAR, product_id VARCHAR)"

#: Canonical event columns and their DuckDB types, declared in ``fields.yaml`` (the part files also
#: carry ``kind`` and the reject/delete columns).
EVENT_TYPES: dict[str, str] = {name: spec[0] for name, spec in event_column_specs().items()}
EVENT_COLUMNS: tuple[str, ...] = tuple(EVENT_TYPES)
REJECT_COLUMNS = (
    "source_file", "source_line", "record_index", "interface", "institution_code", "reject_field",
    "reject_reason", "source_text", "file_index",
)  # fmt: skip
DELETED_COLUMNS = ("source_record", "file_index", "source_line", "record_index", "code_position")
DELETE_COLUMNS = (
    "institution_code", "record_no", "delete_data_type", "upload_time", "source_file", "source_line",
    "record_index", "file_index",
)  # fmt: skip


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """Register the trace-code functions the SQL calls (once per connection); both take whole vectors."""
    con.create_function("tcw_split", _split_vector, ["VARCHAR"], "VARCHAR[]", type="arrow", side_effects=False)
    con.create_function("tcw_parse", _parse_vector, ["VARCHAR"], PARSE_TYPE, type="arrow", side_effects=False)
    for macro in nhsa_json.GENERIC_MACROS:
        run(con, macro)


@dataclass(frozen=True)
class PartContext:
    """What a task needs besides its rows: ``files`` (``file_index`` → ``source_file``), the workspace's
    institutions reference (path or ''), and the 3507 deletes already known (or None)."""

    files: pa.Table
    institutions: str = ""
    deletes: pa.Table | None = None


def write_lines(con, chunk: pa.Table, target: str, context: PartContext) -> None:
    """Normalise format-A lines (``file``, ``line_no``, ``text``) into the part folder ``target``; records
    made ambiguous by a key given twice become rejects (``loaders/json_keys.py``)."""
    sql = _sql(nhsa_json.source_sql(), bool(context.institutions))
    con.register("key_flags", key_flags(chunk))
    try:
        _copy(con, "chunk", chunk, sql, nhsa_json.source_params(), target, context)
    finally:
        con.unregister("key_flags")


def write_raw(con, raw: pa.Table, target: str, context: PartContext) -> None:
    """Normalise a raw-record table (format B, or rows a reader could not read) into ``target``."""
    _copy(con, "raw_records", raw, _sql("SELECT * FROM raw_records", bool(context.institutions)), {}, target, context)


def _copy(con, name: str, table: pa.Table, sql: str, params: dict, target: str, context: PartContext) -> None:
    """Run the normalisation once, then write the part folder: ``event``, ``reject``, ``delete`` and
    ``deleted`` (events of records a known delete names, kept out of ``event``) ``.parquet``."""
    con.register(name, table)
    con.register("task_files", context.files)
    extra = {"institutions": context.institutions} if context.institutions else {}
    try:
        run(con, f"CREATE OR REPLACE TEMP TABLE normalized AS {sql}", params | _params() | extra)
    finally:
        con.unregister(name)
        con.unregister("task_files")
    deleted = _known_deletes(con, context.deletes)
    outputs = (("event", (*EVENT_COLUMNS, "file_index"), f"kind = 'event' AND NOT {deleted}"),
               ("deleted", DELETED_COLUMNS, f"kind = 'event' AND {deleted}"),
               ("reject", REJECT_COLUMNS, "kind = 'reject'"), ("delete", DELETE_COLUMNS, "kind = 'delete'"))
    for kind, columns, where in outputs:
        if scalar(con, f"SELECT count(*) FROM normalized e WHERE {where}"):
            Path(target).mkdir(parents=True, exist_ok=True)
            run(con, f"COPY (SELECT {', '.join(columns)} FROM normalized e WHERE {where}) TO $t "
                     "(FORMAT parquet, COMPRESSION snappy)", {"t": str(Path(target) / f"{kind}.parquet")})
    run(con, "DROP TABLE normalized")


def write_fast_part(parts: dict[str, pa.Table], target: str) -> None:
    """Write what the fast path read into the part folder ``target``, as ``_copy`` does."""
    columns = {"event": (*EVENT_COLUMNS, "file_index"), "deleted": DELETED_COLUMNS, "duplicate": DELETED_COLUMNS,
               "delete": DELETE_COLUMNS}
    for kind, table in parts.items():
        if table.num_rows:
            Path(target).mkdir(parents=True, exist_ok=True)
            native.write_parquet(table.select(list(columns[kind])), Path(target) / f"{kind}.parquet")


def _known_deletes(con, deletes: pa.Table | None) -> str:
    """Register the known deletes; return the SQL condition 'a known delete names event e'."""
    if deletes is None or deletes.num_rows == 0:
        return "false"
    con.register("known_raw", deletes)
    con.register("delete_targets", delete_targets())
    run(con, "CREATE OR REPLACE TEMP TABLE known AS SELECT institution_code, record_no, delete_data_type, "
             "try_strptime(upload_time, $formats) AS upload_time FROM known_raw",
        {"formats": list(vocabulary().time_formats)})
    con.unregister("known_raw")
    return f"EXISTS (SELECT 1 FROM known d, delete_targets t WHERE {DELETED_BY})"


@cache
def _sql(source: str, with_reference: bool) -> str:
    return NORMALIZE_SQL.format(source=source, **interface_cases(vocabulary()), **reference_parts(with_reference, vocabulary()))


def _params() -> dict:
    v = vocabulary()
    run_day = dt.date.today()
    return {
        "earliest": v.business_time.earliest,
        "run_day": dt.datetime.combine(run_day, dt.time()),
        "days_after_upload": v.business_time.days_after_upload,
        "time_formats": list(v.time_formats),
        "change_types": list(v.change_types),
        "fast_pattern": NMPA20_FAST_PATTERN,
        "separators": CELL_SEPARATORS,
        "split_true": list(v.split_true),
    }


def _split_vector(cells: pa.Array) -> pa.Array:
    return pa.array([split_code_cell(cell) for cell in cells.to_pylist()], pa.list_(pa.string()))


def _parse_vector(raws: pa.Array) -> pa.Array:
    """Parse a vector of codes; a pack's code recurs (stock counts, sale, return), so results are cached."""
    values = raws.to_pylist()
    missing = [raw for raw in dict.fromkeys(values) if raw not in _PARSE_CACHE]
    if len(_PARSE_CACHE) + len(missing) > _PARSE_CACHE_SIZE:
        _PARSE_CACHE.clear()
    columns = parse_many(missing)
    for index, raw in enumerate(missing):
        _PARSE_CACHE[raw] = tuple(columns[name][index] for name in _PARSED)
    parsed = [_PARSE_CACHE[raw] for raw in values]
    return pa.StructArray.from_arrays([pa.array(column, pa.string()) for column in zip(*parsed, strict=True)]
                                      if parsed else [pa.array([], pa.string())] * len(_PARSED),
                                      names=list(_PARSED))


_PARSED = ("code", "scheme", "reason", "product_id")
_PARSE_CACHE: dict[str | None, tuple[str, ...]] = {}
_PARSE_CACHE_SIZE = 500_000

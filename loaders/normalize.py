"""Raw records → canonical events, rejects and delete instructions: one SQL pass for every format.

A raw record becomes one event row per trace code it carries (one row with an empty code when it
carries none). The record's quantity is shared by its codes, the business time (not the upload
time) is the event time, and ids derive from the record's business key (interface family +
institution + ``fixmedins_bchno`` + the code's position), so the same record read twice gives the
same ``event_id``. Rows that cannot be used become rejects naming the field, what was expected and
what was found.
"""

from __future__ import annotations

from functools import cache

import duckdb
import pyarrow as pa

from loaders import nhsa_json
from loaders.db import run
from loaders.sql_text import NORMALIZE_SQL, interface_cases
from loaders.tracecode import NMPA20_FAST_PATTERN, parse_trace_code, split_code_cell
from loaders.vocabulary import event_column_specs, vocabulary

PARSE_TYPE = "STRUCT(code VARCHAR, scheme VARCHAR, reason VARCHAR, product_id VARCHAR)"

#: Canonical event columns and their DuckDB types, declared in ``fields.yaml`` (the part files also
#: carry ``kind`` and the reject/delete columns).
EVENT_TYPES: dict[str, str] = {name: spec[0] for name, spec in event_column_specs().items()}
EVENT_COLUMNS: tuple[str, ...] = tuple(EVENT_TYPES)
REJECT_COLUMNS = (
    "source_file", "source_line", "record_index", "interface", "institution_code", "reject_field",
    "reject_reason", "source_text", "file_index",
)  # fmt: skip
DELETE_COLUMNS = (
    "institution_code", "record_no", "delete_data_type", "upload_time", "source_file", "source_line",
    "record_index", "file_index",
)  # fmt: skip


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """Register the trace-code functions the SQL calls (once per connection)."""
    con.create_function("tcw_split", split_code_cell, ["VARCHAR"], "VARCHAR[]", side_effects=False)
    con.create_function("tcw_parse", _parse, ["VARCHAR"], PARSE_TYPE, side_effects=False)
    for macro in nhsa_json.GENERIC_MACROS:
        run(con, macro)


def write_lines(con, chunk: pa.Table, target: str) -> None:
    """Normalise format-A lines (``file``, ``line_no``, ``text``) into a Parquet part at ``target``."""
    _copy(con, "chunk", chunk, _sql(nhsa_json.source_sql()), nhsa_json.source_params(), target)


def write_raw(con, raw: pa.Table, target: str) -> None:
    """Normalise a raw-record table (format B, or rows a reader could not read) into a Parquet part."""
    _copy(con, "raw_records", raw, _sql("SELECT * FROM raw_records"), {}, target)


def _copy(con, name: str, table: pa.Table, sql: str, params: dict, target: str) -> None:
    """Run the normalisation and stream its rows (events, rejects and deletes, by ``kind``) to Parquet.

    Parts carry ``file_index``; the run's file names are joined in when the parts are consolidated.
    """
    con.register(name, table)
    try:
        run(con, f"COPY ({sql}) TO $target (FORMAT parquet, COMPRESSION lz4)", params | _params() | {"target": target})
    finally:
        con.unregister(name)


@cache
def _sql(source: str) -> str:
    return NORMALIZE_SQL.format(source=source, **interface_cases(vocabulary()))


def _params() -> dict:
    v = vocabulary()
    return {
        "time_formats": list(v.time_formats),
        "change_types": list(v.change_types),
        "fast_pattern": NMPA20_FAST_PATTERN,
        "split_true": list(v.split_true),
    }


def _parse(raw: str | None) -> dict:
    code = parse_trace_code(raw)
    return {"code": code.code, "scheme": code.scheme, "reason": code.reason, "product_id": code.product_id}

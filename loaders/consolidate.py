"""Fold one ingest run's part files into the workspace, then rebuild the canonical events.

A record already in the workspace (same interface family, institution and ``fixmedins_bchno``) or
seen earlier in the run is a duplicate: a HIS double upload or a file ingested twice. 3507 deletes
remove the records they name (uploaded no later than the delete). Counts always reconcile:
``read = accepted + rejected + duplicates``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from loaders.db import rows, run, scalar
from loaders.normalize import DELETE_COLUMNS, EVENT_COLUMNS, REJECT_COLUMNS
from loaders.reference import reference_specs
from loaders.vocabulary import vocabulary
from loaders.workspace import Workspace

_FIRST_IN_RUN = "QUALIFY dense_rank() OVER (PARTITION BY {key} ORDER BY file_index, source_line, record_index) = 1"


@dataclass
class RunCounts:
    """What one run read and kept; ``read == accepted + rejected + duplicates``."""

    read: int = 0
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    deletes: int = 0
    events_new: int = 0
    by_event_type: dict[str, int] = field(default_factory=dict)
    by_scheme: dict[str, int] = field(default_factory=dict)
    events_total: int = 0
    events_deleted: int = 0


def consolidate(con: duckdb.DuckDBPyConnection, ws: Workspace, parts: list[str], files: pa.Table,
                run_id: str) -> RunCounts:
    """Merge the run's parts into ``staged``/``deletes``/``rejects`` and rebuild ``events.parquet``.

    ``files`` maps the parts' ``file_index`` to the file name (``source_file``).
    """
    counts = RunCounts()
    if parts:
        con.register("run_files", files)
        con.sql("SELECT p.*, f.source_file FROM read_parquet($parts, union_by_name = true) p "
                "LEFT JOIN run_files f USING (file_index)", params={"parts": parts}).to_view("run")
        _merge_events(con, ws, run_id, counts)
        _merge_deletes(con, ws, run_id, counts)
        _merge_rejects(con, ws, run_id, counts)
    rebuild_events(con, ws, counts)
    return counts


def _merge_events(con, ws: Workspace, run_id: str, counts: RunCounts) -> None:
    read = scalar(con, "SELECT count(*) FROM run WHERE kind = 'event' AND code_position = 1")
    existing = ws.staged_files()
    unseen = ("AND NOT EXISTS (SELECT 1 FROM read_parquet($existing) s WHERE s.source_record = r.source_record)"
              if existing else "")
    target = ws.folder("staged") / f"{run_id}.parquet"
    columns = ", ".join(EVENT_COLUMNS)
    sql = (f"SELECT {columns} FROM run r WHERE kind = 'event' {unseen} "  # noqa: S608
           + _FIRST_IN_RUN.format(key="source_record"))
    run(con, f"COPY ({sql}) TO $target (FORMAT parquet, COMPRESSION zstd)",
                {"target": str(target)} | ({"existing": existing} if existing else {}))
    new = rows(con, "SELECT count(*) FILTER (code_position = 1), count(*) FROM read_parquet($t)",
               {"t": str(target)})[0]
    counts.read += read
    counts.accepted += new[0]
    counts.duplicates += read - new[0]
    counts.events_new = new[1]
    counts.by_event_type = _tally(con, target, "event_type")
    counts.by_scheme = _tally(con, target, "code_scheme")
    if new[1] == 0:
        target.unlink()


def _merge_deletes(con, ws: Workspace, run_id: str, counts: RunCounts) -> None:
    key = "concat_ws('|', institution_code, delete_data_type, record_no, CAST(upload_time AS VARCHAR))"
    read = scalar(con, "SELECT count(*) FROM run WHERE kind = 'delete'")
    existing = ws.parts("deletes")
    unseen = (f"AND {key} NOT IN (SELECT {key} FROM read_parquet($existing))" if existing else "")  # noqa: S608
    sql = (f"SELECT {', '.join(DELETE_COLUMNS)} FROM run WHERE kind = 'delete' {unseen} "  # noqa: S608
           + _FIRST_IN_RUN.format(key=key))
    new = _write_if_any(con, sql, ws.folder("deletes") / f"{run_id}.parquet", {"existing": existing} if existing else {})
    counts.read += read
    counts.accepted += new
    counts.deletes = new
    counts.duplicates += read - new


def _merge_rejects(con, ws: Workspace, run_id: str, counts: RunCounts) -> None:
    counts.rejected = scalar(con, "SELECT count(*) FROM run WHERE kind = 'reject'")
    counts.read += counts.rejected
    existing = ws.parts("rejects")
    key = "concat_ws('|', source_file, source_line, record_index, reject_field)"
    unseen = (f"AND {key} NOT IN (SELECT {key} FROM read_parquet($existing))" if existing else "")  # noqa: S608
    sql = f"SELECT {', '.join(REJECT_COLUMNS)} FROM run WHERE kind = 'reject' {unseen}"  # noqa: S608
    _write_if_any(con, sql, ws.folder("rejects") / f"{run_id}.parquet", {"existing": existing} if existing else {})


def _write_if_any(con, sql: str, target: Path, params: dict) -> int:
    run(con, f"COPY ({sql}) TO $target (FORMAT parquet, COMPRESSION zstd)", params | {"target": str(target)})
    written = scalar(con, "SELECT count(*) FROM read_parquet($t)", {"t": str(target)})
    if written == 0:
        target.unlink()
    return written


def rebuild_events(con, ws: Workspace, counts: RunCounts | None = None) -> None:
    """Write ``events.parquet``: staged records not deleted, with institution reference data applied."""
    staged = ws.staged_files()
    target = ws.events_path
    if not staged:
        target.unlink(missing_ok=True)
        return
    con.register("delete_targets", _delete_targets())
    sql, params = _events_sql(ws, staged)
    temporary = target.with_suffix(".parquet.tmp")
    run(con, f"COPY ({sql}) TO $target (FORMAT parquet, COMPRESSION zstd)", params | {"target": str(temporary)})
    temporary.replace(target)
    if counts is not None:
        total = scalar(con, "SELECT count(*) FROM read_parquet($s)", {"s": staged})
        counts.events_total = scalar(con, "SELECT count(*) FROM read_parquet($t)", {"t": str(target)})
        counts.events_deleted = total - counts.events_total


def _events_sql(ws: Workspace, staged: list[str]) -> tuple[str, dict]:
    params: dict = {"staged": staged}
    deletes = ws.parts("deletes")
    deleted = ""
    if deletes:
        params["deletes"] = deletes
        deleted = """WHERE NOT EXISTS (
            SELECT 1 FROM read_parquet($deletes) d JOIN delete_targets t ON t.data_type = d.delete_data_type
            WHERE d.institution_code = e.institution_code AND d.record_no = e.record_no AND t.family = e.family
              AND (d.upload_time IS NULL OR e.upload_time IS NULL OR e.upload_time <= d.upload_time))"""
    institutions = ws.reference_path("institutions")
    columns = ", ".join(f"e.{name}" for name in EVENT_COLUMNS)
    if institutions.exists():
        params["institutions"] = str(institutions)
        columns = columns.replace("e.institution_type", "coalesce(i.type, e.institution_type) AS institution_type")
        columns = columns.replace("e.region_code", "coalesce(i.region, e.region_code) AS region_code")
        columns = columns.replace("e.chain_id", "i.chain AS chain_id")
        join = "LEFT JOIN read_parquet($institutions) i ON i.code = e.institution_code"
    else:
        join = ""
    sql = (f"SELECT {columns} FROM read_parquet($staged) e {join} {deleted} "  # noqa: S608
           "ORDER BY e.institution_code, e.event_time, e.event_id")
    return sql, params


def _delete_targets() -> pa.Table:
    pairs = [(kind, family) for kind, families in vocabulary().delete_targets.items() for family in families]
    return pa.table({"data_type": [p[0] for p in pairs], "family": [p[1] for p in pairs]})


def _tally(con, path: Path, column: str) -> dict[str, int]:
    assert column in EVENT_COLUMNS
    found = rows(con, f"SELECT {column}, count(*) FROM read_parquet($p) GROUP BY 1 ORDER BY 2 DESC, 1",  # noqa: S608
                 {"p": str(path)})
    return {str(key): value for key, value in found}


assert set(reference_specs()) >= {"institutions"}

"""Fold one ingest run's part folders into the workspace.

Workers already wrote the run's events in their final form, so consolidation mostly *moves* files:
- a record already in the workspace (same interface family, institution and ``fixmedins_bchno``) or seen
  earlier in the run is a duplicate (a HIS double upload, a file ingested twice) and is dropped;
- 3507 deletes are kept in ``deletes/``; events files holding a record they name (uploaded no later
  than the delete) are rewritten without it, whether the record came before or after the delete;
- when reference institutions change, existing events files are re-enriched.
Only narrow columns are read to decide; a file is rewritten only when something in it changes. Every
change goes through the run's :class:`~loaders.transaction.Transaction`: nothing in the workspace's
folders changes until the run commits. Counts always reconcile: ``read = accepted + rejected + duplicates``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from loaders.db import rows, run, scalar
from loaders.normalize import DELETE_COLUMNS, EVENT_COLUMNS, REJECT_COLUMNS
from loaders.sql_text import DELETED_BY, delete_targets
from loaders.transaction import Transaction
from loaders.vocabulary import vocabulary

IDENTITY = "source_record, file_index, source_line, record_index"  # one copy of one record
FIRST = "row_number() OVER (PARTITION BY {key} ORDER BY file_index, source_line, record_index)"


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
    rejects_total: int = 0


def consolidate(con: duckdb.DuckDBPyConnection, tx: Transaction, parts: list[str],
                reference_changed: bool = False, known: pa.Table | None = None) -> RunCounts:
    """Merge the run's part folders into ``events/``, ``deletes/`` and ``rejects/`` (staged in ``tx``).
    ``known`` are the deletes the workers applied already (``institution_code``, ``record_no``,
    ``delete_data_type``, ``upload_time`` as text)."""
    counts = RunCounts()
    kinds = {kind: sorted(str(p) for part in parts for p in Path(part).glob(f"{kind}.parquet"))
             for kind in ("event", "deleted", "duplicate", "reject", "delete")}
    if reference_changed:
        _reenrich(con, tx)
    before = tx.files("events")
    _merge_deletes(con, tx, kinds["delete"], counts)
    if counts.deletes and before:
        counts.events_deleted += _rewrite_without(con, tx, _deleted_rows(con, tx, before))
    _count_deleted_in_workers(con, kinds["deleted"], counts)
    _count_duplicates_in_workers(con, kinds["duplicate"], counts)
    applied = _all_known(con, kinds["delete"], known)
    _merge_events(con, tx, kinds["event"], counts, recheck_deletes=not applied)
    _merge_rejects(con, tx, kinds["reject"], counts)
    counts.events_total = _count(con, tx.files("events"))
    counts.rejects_total = _count(con, tx.files("rejects"))
    return counts


def _count(con, files: list[str]) -> int:
    return scalar(con, "SELECT count(*) FROM read_parquet($f)", {"f": files}) if files else 0


def _all_known(con, new_deletes: list[str], known: pa.Table | None) -> bool:
    """True when the workers knew every delete of this run (and of the workspace) beforehand, so the
    run's events hold no record a delete names."""
    if not new_deletes:
        return True
    if known is None or known.num_rows == 0:
        return False
    con.register("known_deletes", known)
    try:
        unknown = scalar(con, """SELECT count(*) FROM read_parquet($n) d WHERE NOT EXISTS (
            SELECT 1 FROM known_deletes k WHERE k.institution_code = d.institution_code
              AND k.record_no = d.record_no AND k.delete_data_type = d.delete_data_type
              AND try_strptime(k.upload_time, $formats) IS NOT DISTINCT FROM d.upload_time)""",
                         {"n": new_deletes, "formats": list(vocabulary().time_formats)})
    finally:
        con.unregister("known_deletes")
    return unknown == 0


def _merge_events(con, tx: Transaction, new: list[str], counts: RunCounts,
                  recheck_deletes: bool = True) -> None:
    """Add the run's event files, minus duplicate copies and records already deleted (checked again
    only when the workers did not know every delete)."""
    if not new:
        return
    read = scalar(con, "SELECT count(*) FROM read_parquet($n) WHERE code_position = 1", {"n": new})
    existing = tx.files("events")
    for number, path in enumerate(new):
        tx.add("events", f"{tx.run_id}-{number:05d}.parquet", path)
    duplicates = _duplicate_rows(con, existing, new)
    _rewrite_without(con, tx, duplicates)
    accepted = read - (pc.sum(pc.equal(duplicates["code_position"], 1)).as_py() or 0)
    new = [path for path in new if Path(path).exists()]
    if new and recheck_deletes:
        counts.events_deleted += _rewrite_without(con, tx, _deleted_rows(con, tx, new))
    added = [path for path in new if Path(path).exists()]
    counts.read += read
    counts.accepted += accepted
    counts.duplicates += read - accepted
    if added:
        counts.events_new = scalar(con, "SELECT count(*) FROM read_parquet($a)", {"a": added})
        counts.by_event_type = _tally(con, added, "event_type")
        counts.by_scheme = _tally(con, added, "code_scheme")


def _count_deleted_in_workers(con, deleted: list[str], counts: RunCounts) -> None:
    """Records the workers kept out because a known delete names them: read, accepted, then deleted."""
    if not deleted:
        return
    records, distinct, events = rows(
        con, "SELECT count(*) FILTER (code_position = 1), count(DISTINCT source_record) FILTER (code_position = 1), "
             "count(*) FROM read_parquet($d)", {"d": deleted})[0]
    counts.read += records
    counts.accepted += distinct
    counts.duplicates += records - distinct
    counts.events_deleted += events


def _count_duplicates_in_workers(con, duplicates: list[str], counts: RunCounts) -> None:
    """Later copies of a record that the workers dropped already (the first copy is in ``event``)."""
    if duplicates:
        copies = scalar(con, "SELECT count(*) FROM read_parquet($d) WHERE code_position = 1", {"d": duplicates})
        counts.read += copies
        counts.duplicates += copies


def _duplicate_rows(con, existing: list[str], new: list[str]) -> pa.Table:
    """Rows (file, identity, code position) of record copies to drop: a record already in the workspace
    (``existing`` files), or a later copy of one seen earlier in the run (file order, line, record).
    Records seen once (one row with code position 1) are set aside first by a cheap count, so only
    copies are ranked."""
    in_existing = "source_record IN (SELECT source_record FROM read_parquet($existing))"
    also_existing = f"UNION SELECT source_record FROM firsts WHERE {in_existing}" if existing else ""
    sql = f"""WITH firsts AS (SELECT source_record FROM read_parquet($new) WHERE code_position = 1),
      suspects AS (SELECT source_record FROM firsts GROUP BY source_record HAVING count(*) > 1 {also_existing})
      SELECT filename, {IDENTITY}, code_position FROM (
        SELECT *, dense_rank() OVER (PARTITION BY source_record ORDER BY file_index, source_line, record_index) AS copy
        FROM read_parquet($new, filename = true) WHERE source_record IN (SELECT source_record FROM suspects))
      WHERE copy > 1 {"OR " + in_existing if existing else ""}"""
    return con.sql(sql, params={"new": new} | ({"existing": existing} if existing else {})).to_arrow_table()


def _deleted_rows(con, tx: Transaction, files: list[str]) -> pa.Table:
    """Rows of ``files`` whose record a 3507 delete names (uploaded no later than the delete)."""
    deletes = tx.files("deletes")
    if not deletes:
        return pa.table({"filename": pa.array([], pa.string())})
    con.register("delete_targets", delete_targets())
    identity = ", ".join(f"e.{column}" for column in IDENTITY.split(", "))
    sql = f"""SELECT e.filename, {identity}, e.code_position FROM read_parquet($files, filename = true) e
        WHERE EXISTS (SELECT 1 FROM read_parquet($deletes) d, delete_targets t WHERE {DELETED_BY})"""
    return con.sql(sql, params={"files": files, "deletes": deletes}).to_arrow_table()


def _rewrite_without(con, tx: Transaction, drops: pa.Table) -> int:
    """Rewrite each file named in ``drops`` without the record copies listed for it; returns rows removed."""
    removed = 0
    for path in sorted(set(drops["filename"].to_pylist())):
        mine = drops.filter(pc.equal(drops["filename"], path))
        con.register("doomed", mine)
        sql = f"SELECT * FROM read_parquet($p) WHERE ({IDENTITY}) NOT IN (SELECT ({IDENTITY}) FROM doomed)"
        written = tx.rewrite(path, lambda target, sql=sql, path=path: _copy(con, sql, target, {"p": path}))
        con.unregister("doomed")
        removed += mine.num_rows
        if not _count(con, [written]):
            tx.remove(written)
    return removed


def _copy(con, sql: str, target: Path, params: dict, compression: str = "snappy") -> None:
    assert compression in ("snappy", "zstd")
    run(con, f"COPY ({sql}) TO $target (FORMAT parquet, COMPRESSION {compression})", params | {"target": str(target)})


def _merge_deletes(con, tx: Transaction, new: list[str], counts: RunCounts) -> None:
    if not new:
        return
    key = "concat_ws('|', institution_code, delete_data_type, record_no, CAST(upload_time AS VARCHAR))"
    read = scalar(con, "SELECT count(*) FROM read_parquet($n)", {"n": new})
    existing = tx.files("deletes")
    unseen = f"AND {key} NOT IN (SELECT {key} FROM read_parquet($existing))" if existing else ""
    sql = (f"SELECT {', '.join(DELETE_COLUMNS)} FROM (SELECT *, {FIRST.format(key=key)} AS copy "
           f"FROM read_parquet($new)) WHERE copy = 1 {unseen}")
    added = _write_if_any(con, tx, "deletes", sql, {"new": new} | ({"existing": existing} if existing else {}))
    counts.read += read
    counts.accepted += added
    counts.deletes = added
    counts.duplicates += read - added


def _merge_rejects(con, tx: Transaction, new: list[str], counts: RunCounts) -> None:
    if not new:
        return
    counts.rejected = scalar(con, "SELECT count(*) FROM read_parquet($n)", {"n": new})
    counts.read += counts.rejected
    key = "concat_ws('|', source_file, source_line, record_index, reject_field)"
    existing = tx.files("rejects")
    unseen = f"WHERE {key} NOT IN (SELECT {key} FROM read_parquet($existing))" if existing else ""
    sql = f"SELECT {', '.join(REJECT_COLUMNS)} FROM read_parquet($new) {unseen}"
    _write_if_any(con, tx, "rejects", sql, {"new": new} | ({"existing": existing} if existing else {}))


def _write_if_any(con, tx: Transaction, kind: str, sql: str, params: dict) -> int:
    """Stage ``kind/<run>.parquet`` with the query's rows, if it has any; returns how many."""
    name = f"{tx.run_id}.parquet"
    target = tx.new_path(kind, name)
    _copy(con, sql, target, params, "zstd")
    written = _count(con, [str(target)])
    if written:
        tx.add(kind, name, target)
    else:
        target.unlink()
    return written


_ENRICHED = {"institution_type": "coalesce(ref.type, e.institution_type)",
             "region_code": "coalesce(ref.region, e.region_code)",
             "chain_id": "coalesce(ref.chain, e.chain_id)"}


def _reenrich(con, tx: Transaction) -> None:
    """Apply a changed institutions reference to the events already in the workspace: only files in
    which some event's enrichment changes are rewritten."""
    institutions = tx.content("reference", "institutions.parquet")
    if institutions is None:
        return
    join = "FROM read_parquet($p) e LEFT JOIN read_parquet($institutions) ref ON ref.code = e.institution_code"
    changed = " OR ".join(f"e.{column} IS DISTINCT FROM {value}" for column, value in _ENRICHED.items())
    select = ", ".join(f"{_ENRICHED[c]} AS {c}" if c in _ENRICHED else f"e.{c}" for c in EVENT_COLUMNS)
    for path in tx.files("events"):
        params = {"p": path, "institutions": institutions}
        if scalar(con, f"SELECT count(*) {join} WHERE {changed}", params):
            tx.rewrite(path, lambda target, params=params: _copy(con, f"SELECT {select}, e.file_index {join}",
                                                                 target, params))



def _tally(con, paths: list[str], column: str) -> dict[str, int]:
    assert column in EVENT_COLUMNS
    found = rows(con, f"SELECT {column}, count(*) FROM read_parquet($p) GROUP BY 1 ORDER BY 2 DESC, 1", {"p": paths})
    return {str(key): value for key, value in found}

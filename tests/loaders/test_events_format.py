"""Format C: canonical events read back in, from Parquet or CSV, give the same events."""

from __future__ import annotations

import duckdb
import pytest

from loaders.errors import BadInput
from loaders.workspace import Workspace
from tests.conftest import CODE_A, CODE_B, envelope, events, sale, write_ndjson

KEYS = ("event_id", "event_type", "trace_code", "quantity", "institution_code", "source_record")


def test_events_exported_as_parquet_and_csv_load_into_another_workspace(tmp_path, load, workspace):
    load(write_ndjson(tmp_path / "a.ndjson", [envelope("3505", "selinfo", sale("S1", [CODE_A, CODE_B]))]))
    original = [tuple(row[k] for k in KEYS) for row in events(workspace)]
    files = workspace.event_files()
    duckdb.execute("COPY (SELECT * FROM read_parquet($f)) TO $t (FORMAT parquet)", {"f": files, "t": str(tmp_path / "e.parquet")})
    duckdb.execute("COPY (SELECT * FROM read_parquet($f)) TO $t (FORMAT csv)", {"f": files, "t": str(tmp_path / "e.csv")})
    for name in ("e.parquet", "e.csv"):
        other = Workspace(tmp_path / f"ws-{name}")
        report = _load_into(other, tmp_path / name)
        assert [tuple(row[k] for k in KEYS) for row in events(other)] == original
        assert report.counts.read == 1 and report.counts.accepted == 1


def test_events_file_without_required_columns_is_bad_input(tmp_path):
    (tmp_path / "e.csv").write_text("event_id,event_type\nx,sale\n", encoding="utf-8")
    with pytest.raises(BadInput, match="event_time"):
        _load_into(Workspace(tmp_path / "ws"), tmp_path / "e.csv")


def _load_into(ws: Workspace, path):
    from loaders.ingest import ingest

    return ingest([path], ws, workers=1)

"""The generator's files through the real loaders: what trainers and the screens will rely on."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from loaders.ingest import ingest
from loaders.workspace import Workspace
from workbench.synth import generate


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> tuple[Path, Workspace, object]:
    root = tmp_path_factory.mktemp("synth-ingest")
    generate(root / "data", seed=7, scale="tiny")
    ws = Workspace(root / "ws")
    report = ingest([root / "data" / "uploads", root / "data" / "reference"], ws, workers=2)
    return root / "data", ws, report


def truth_rows(data: Path) -> list[dict]:
    with open(data / "truth.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def query(ws: Workspace, sql: str, params: dict | None = None) -> list[tuple]:
    return duckdb.sql(sql.replace("EVENTS", "read_parquet($files)"),
                      params={"files": ws.event_files()} | (params or {})).fetchall()


def test_generated_uploads_load_without_rejects_and_reconcile(loaded):
    data, ws, report = loaded
    counts = report.counts
    assert counts.rejected == 0
    assert counts.read == counts.accepted + counts.rejected + counts.duplicates
    doubles = [row for row in truth_rows(data) if row["kind"] == "double_upload"]
    assert counts.duplicates == len({row["case_id"] for row in doubles})


def test_every_truth_code_is_found_under_its_canonical_identity(loaded):
    data, ws, _ = loaded
    codes = {row["trace_code"] for row in truth_rows(data) if row["trace_code"]}
    found = {code for (code,) in query(ws, "SELECT DISTINCT trace_code FROM EVENTS WHERE trace_code IN $codes",
                                       {"codes": sorted(codes)})}
    assert codes - found == set()


def test_reference_institutions_set_type_region_and_chain(loaded):
    _, ws, _ = loaded
    types = dict(query(ws, "SELECT institution_type, count(*) FROM EVENTS GROUP BY 1"))
    assert {"pharmacy", "hospital", "clinic"} <= set(types) and "unknown" not in types
    chains = query(ws, "SELECT count(DISTINCT chain_id) FROM EVENTS WHERE chain_id IS NOT NULL")[0][0]
    assert chains >= 2


def test_split_sales_are_flagged_and_counted_in_units(loaded):
    data, ws, _ = loaded
    for row in truth_rows(data):
        if row["kind"] == "split_sale":
            flags = query(ws, "SELECT split_flag, sum(quantity) FROM EVENTS WHERE trace_code = $c AND event_type = 'sale' "
                              "GROUP BY 1", {"c": row["trace_code"]})
            assert flags and all(flag for flag, _ in flags)


def test_deleted_records_are_gone(loaded):
    data, ws, report = loaded
    assert report.counts.deletes > 0 and report.counts.events_deleted > 0
    for row in truth_rows(data):
        if row["kind"] == "delete_3507":
            sales = query(ws, "SELECT count(*) FROM EVENTS WHERE trace_code = $c AND event_type = 'sale'",
                          {"c": row["trace_code"]})[0][0]
            assert sales == 1, row

"""Two batches of real uploads for the crash tests, and a snapshot of a workspace's data to compare.

The second batch touches everything a run can change: new events, copies of earlier records (duplicates),
a 3507 delete of an earlier record (an events file rewritten), a line that is not JSON (a reject), a CSV
with Chinese headers, and an institutions reference that changes a type (every events file re-enriched).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb

from loaders.workspace import DATA_FOLDERS, Workspace
from tests.conftest import INSTITUTION, envelope, sale, write_ndjson
from tests.loaders.test_table import CHINESE, chinese_row

HOSPITAL = "H50011600001"


def code(number: int) -> str:
    return f"8123456{number:013d}"


def _institutions(path: Path, pharmacy_type: str) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["机构编码", "机构名称", "机构类型", "区划代码"])
        writer.writerow([INSTITUTION, "江津区某某大药房", pharmacy_type, "500116"])
        writer.writerow([HOSPITAL, "江津区人民医院", "hospital", "500116"])
    return path


def batch_a(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    sales = [envelope("3505", "selinfo", sale(f"S{n}", [code(n), code(n + 100)])) for n in range(1, 31)]
    return [write_ndjson(folder / "sales-a.ndjson", sales), _institutions(folder / "institutions.csv", "pharmacy")]


def batch_b(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    sales = [envelope("3505", "selinfo", sale(f"S{n}", [code(n)])) for n in range(31, 51)]
    copies = [envelope("3505", "selinfo", sale(f"S{n}", [code(n), code(n + 100)])) for n in range(1, 6)]
    delete = envelope("3507", "data", {"fixmedins_bchno": "S6", "inv_data_type": "4"}, inf_time="2025-06-09 00:00:00")
    lines = [*sales, *copies, delete, '{"infno": "3505", "input": {"selinfo": ']
    table = folder / "sales-b.csv"
    with open(table, "w", encoding="gb18030", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CHINESE)
        writer.writerows(chinese_row("3505", f"T{n}", code(n + 500)) for n in range(1, 21))
    return [write_ndjson(folder / "sales-b.ndjson", lines), table,
            _institutions(folder / "institutions.csv", "clinic")]


def snapshot(ws: Workspace) -> dict[str, list]:
    """Every data folder's rows, sorted: two workspaces with equal snapshots hold the same data."""
    found = {}
    for kind in DATA_FOLDERS:
        files = ws.parts(kind)
        if not files:
            found[kind] = []
            continue
        relation = duckdb.sql("SELECT * FROM read_parquet($f, union_by_name = true)", params={"f": files})
        found[kind] = sorted(json.dumps(row, default=str, ensure_ascii=False) for row in relation.fetchall())
    return found

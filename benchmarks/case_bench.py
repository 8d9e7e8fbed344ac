"""Case export benchmark: wall time and package size of ``tcw case export`` for

1. a large reflux ring (≥ 2,000 events): a workspace (default the graph benchmark's 1.14 M events) plus a
   planted ring of ``--codes`` boxes (3 hospitals → 12 collectors → 8 pharmacies, a third moved by 3502
   transfer before resale), uploaded as a 3505/3502 table with Chinese headers and ingested;
2. the biggest community of the 10 M-event workspace, and its busiest institution (the event cap at work);

each against a plain baseline (pandas reads the events, filters the members, networkx writes GraphML,
openpyxl writes the workbook in its normal mode). Prints one line per figure.

    .venv/bin/python benchmarks/case_bench.py [--base .bench/graph-ws-700000] [--big .bench/screen-ws-6700000]
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from loaders.workspace import Workspace  # noqa: E402
from workbench.cases.actions import new_case  # noqa: E402
from workbench.cases.findings import workspace_communities  # noqa: E402
from workbench.cases.package import export_case  # noqa: E402
from workbench.cases.verify import verify_package  # noqa: E402

HEADERS = ["接口编号", "定点医药机构编码", "定点医药机构名称", "医保药品编码", "药品名称", "人员编号", "人员姓名",
           "证件号码", "结算ID", "销售/退货数量", "销售时间", "最终成交单价", "追溯码", "定点医药机构批次流水号",
           "库存变更类型", "数量", "库存变更时间"]


def ring_rows(codes: int, seed: int = 5) -> list[list[str]]:
    """The planted ring's upload rows: each box sold at a hospital to a collector, resold at a pharmacy
    (a third first moved from another pharmacy by 3502 transfer out and in), 10–60 days later."""
    rng = random.Random(seed)
    hospitals = [f"H5001169{i:04d}" for i in range(3)]
    pharmacies = [f"P5001169{i:04d}" for i in range(8)]
    collectors = [f"5001169900{i:06d}" for i in range(12)]
    start, rows = datetime(2025, 3, 1, 9), []
    for n in range(codes):
        code, person = f"8{rng.randrange(10**18, 10**19):019d}", rng.choice(collectors)
        sold = start + timedelta(days=rng.randrange(120), minutes=rng.randrange(600))
        hospital, pharmacy = rng.choice(hospitals), rng.choice(pharmacies)
        rows.append(_row("3505", hospital, "大环医院", person, sold, code, n, "a"))
        resold = sold + timedelta(days=rng.randrange(10, 60))
        if n % 3 == 0:
            mover = rng.choice([p for p in pharmacies if p != pharmacy])
            moved = resold - timedelta(days=3)
            rows.append(_row("3502", mover, "转手药房", "", moved, code, n, "t", change="102"))  # 调拨出库
            rows.append(_row("3502", pharmacy, "回收药房", "", moved, code, n, "u", change="101"))  # 调拨入库
        rows.append(_row("3505", pharmacy, "回收药房", f"5001169800{n:06d}", resold, code, n, "b"))
    return rows


def _row(infno, inst, name, person, when, code, n, tag, change="") -> list[str]:
    sold = "" if change else when.strftime("%Y-%m-%d %H:%M:%S")
    moved = when.strftime("%Y-%m-%d %H:%M:%S") if change else ""
    return [infno, inst, f"{name}{inst[-2:]}", "XA10BBC578A021418780007", "格列美脲片", person,
            f"张{n % 97}" if person else "", f"50011619800101{n % 9999:04d}" if person else "", f"S{tag}{n}",
            "" if change else "1", sold, "19.80", code, f"B{tag}{n:07d}", change, "1" if change else "", moved]


def planted_workspace(base: Path, folder: Path, codes: int) -> Workspace:
    from loaders.ingest import ingest

    ws = Workspace(folder / "workspace")
    if not ws.root.exists():
        shutil.copytree(base, ws.root)
        upload = folder / "ring.csv"
        with open(upload, "w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows([HEADERS, *ring_rows(codes)])
        ingest([upload], ws, workers=1)
    return ws


def measure(ws: Workspace, item: tuple[str, str], out: Path, label: str) -> None:
    started = time.perf_counter()
    communities = workspace_communities(ws)
    found = time.perf_counter() - started
    case_id = new_case(ws, [item], title=f"基准 {label}")
    shutil.rmtree(out, ignore_errors=True)
    out.with_name(out.name + ".zip").unlink(missing_ok=True)
    started = time.perf_counter()
    folder, archive = export_case(ws, case_id, out, as_zip=True)
    exported = time.perf_counter() - started
    started = time.perf_counter()
    problems = verify_package(archive)
    verified = time.perf_counter() - started
    size = sum(p.stat().st_size for p in folder.iterdir())
    from workbench.cases.manifest import read_manifest

    capped = read_manifest(folder)["parameters"].get("capped") or {}
    print(f"{label}: findings {found:.1f} s ({len(communities)} communities); export {exported:.1f} s; "
          f"verify {verified:.2f} s ({problems or 'ok'}); folder {size / 2**20:.2f} MiB, "
          f"zip {archive.stat().st_size / 2**20:.2f} MiB; capped {capped}")
    for path in sorted(folder.iterdir()):
        print(f"  {path.name}: {path.stat().st_size / 2**10:.0f} KiB")
    baseline(ws, folder, case_id)


def baseline(ws: Workspace, folder: Path, case_id: str) -> None:
    """pandas + networkx + openpyxl (normal mode) over the case's codes: read, filter, write."""
    import networkx as nx
    import openpyxl
    import pandas as pd

    from workbench.cases.actions import show_case
    from workbench.cases.gather import members_of

    codes = set(members_of(show_case(ws, case_id))["codes"])
    started = time.perf_counter()
    events = pd.concat(pd.read_parquet(p) for p in ws.event_files())
    chosen = events[events["trace_code"].isin(codes)]
    graph = nx.MultiDiGraph()
    for row in chosen.itertuples():
        graph.add_edge(row.institution_code, row.trace_code, time=str(row.event_time), type=row.event_type)
    nx.write_graphml(graph, folder.parent / "baseline.graphml")
    book = openpyxl.Workbook()
    sheet = book.active
    for row in chosen.astype(str).itertuples(index=False):
        sheet.append(list(row))
    book.save(folder.parent / "baseline.xlsx")
    print(f"  baseline (pandas + networkx + openpyxl) on {len(chosen)} events: {time.perf_counter() - started:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default=".bench/graph-ws-700000")
    parser.add_argument("--big", default=".bench/screen-ws-6700000")
    parser.add_argument("--codes", type=int, default=1000)
    parser.add_argument("--work", default=".bench/cases")
    args = parser.parse_args()
    work = Path(args.work)
    ws = planted_workspace(Path(args.base), work / "ring", args.codes)
    ring = max(workspace_communities(ws), key=lambda row: row["event_count"])
    print(f"planted ring: {ring['community_id']} {ring['code_count']} codes, {ring['event_count']} events")
    measure(ws, ("community", ring["community_id"]), work / "ring-package", "large ring")
    big = Workspace(Path(args.big))
    top = max(workspace_communities(big), key=lambda row: row["event_count"])
    measure(big, ("community", top["community_id"]), work / "big-community-package", "10 M: biggest community")
    busiest = _busiest(big)
    measure(big, ("institution", busiest), work / "big-institution-package", f"10 M: institution {busiest}")


def _busiest(ws: Workspace) -> str:
    import duckdb

    return duckdb.sql("SELECT institution_code FROM read_parquet($p) GROUP BY 1 ORDER BY count(*) DESC LIMIT 1",
                      params={"p": ws.event_files()}).fetchall()[0][0]


if __name__ == "__main__":
    main()

"""``tcw demo``: the main job on the embedded default, for trainers and first-time users.

Synthetic district with planted cases → ingest into a workspace → an honest summary of what was read →
screening → rings, clusters and brokers (``workbench.analytics``, written where ``tcw analyse`` writes
them) → the graph in memory and an offline HTML report of the top leads and the rings and clusters
(``workbench.report``).
"""

from __future__ import annotations

import csv
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from loaders.ingest import ingest
from loaders.workspace import Workspace
from workbench.progress import progress_bar
from workbench.report_text import ingest_summary, leads_summary

MARKER = ".tcw-demo"
REPORT = "report.html"
#: Where the rings, clusters and brokers go, in the workspace (as ``tcw analyse`` writes them).
ANALYSIS = "analysis"


def run_demo(out: Path, seed: int = 7, scale: str | int = "demo", echo: Callable[[str], None] = print) -> dict:
    """Generate, ingest, screen, analyse, summarise and write the report; returns the ingest report (and
    the lead count, the rings and clusters found, ``None`` without flows, and the report path) as a dict."""
    from workbench.report.build import write_report
    from workbench.screens.leads import write_leads
    from workbench.screens.ledger import ledger_summary, write_ledger
    from workbench.screens.run import screening
    from workbench.synth import generate

    data, ws = _fresh_folders(out)
    echo(f"1/5 生成合成数据 generating a synthetic district (seed {seed}, scale {scale}) → {data}")
    with progress_bar("生成 generate", unit="rec") as advance:
        summary = generate(data, seed=seed, scale=scale, fmt="mixed", progress=advance)
    echo(f"    {summary.get('records_total', '?')} 条上传记录 upload records; 预设案例 planted: {_planted(data)}")
    echo(f"2/5 载入 ingesting into {ws.root}")
    with progress_bar("载入 ingest", unit="part") as advance:
        report = ingest([data / "uploads", data / "reference"], ws, progress=advance)
    echo(ingest_summary(report.counts, rejects_hint=str(ws.root / "rejects")))
    echo(f"3/5 筛查 screening → {out / 'leads.csv'}")
    result = screening(ws)
    leads = result.leads
    write_leads(leads, out / "leads.csv")
    write_ledger(result.ledger, out / "repeats.parquet")
    echo(leads_summary(leads))
    echo(ledger_summary(result.ledger))
    analysis = _analyse(ws, echo)
    echo(f"5/5 图与报告 graph and report → {out / REPORT}")
    more_in = (ws.root / ANALYSIS / "communities.csv").relative_to(out).as_posix()
    with progress_bar("图 graph", unit="event") as advance:
        page = write_report(ws, leads, out / REPORT, progress=advance, analysis=analysis, more_in=more_in)
    echo(f"完成 done. 事件 events: {ws.events_glob}  线索 leads: {out / 'leads.csv'}  答案 truth: {data / 'truth.csv'}")
    echo(f"报告 report（离线可打开 opens offline, {page.stat().st_size / 1e6:.1f} MB）: {page}")
    communities = None if analysis is None else len(analysis.communities)
    return report.as_dict() | {"leads": leads.num_rows, "communities": communities, "report": str(page)}


def _analyse(ws: Workspace, echo: Callable[[str], None]):
    """Rings, clusters and brokers written to ``<workspace>/analysis/`` and summarised; ``None`` (said in
    one line) when there are no flows to analyse."""
    from loaders.errors import BadInput
    from workbench.analytics.output import analysis_summary, write_analysis
    from workbench.analytics.run import analyse_workspace

    echo(f"4/5 团伙分析 rings and networks → {ws.root / ANALYSIS}")
    try:
        analysis = analyse_workspace(ws)
    except BadInput as error:
        echo(f"    {error.message}；报告不含团伙与网络 / the report has no rings or networks")
        return None
    folder = ws.folder(ANALYSIS)  # private, like the rest of the workspace
    write_analysis(analysis, folder / "communities.csv", folder / "brokers.csv")
    for line in analysis_summary(analysis):
        echo(f"    {line}")
    return analysis


def _fresh_folders(out: Path) -> tuple[Path, Workspace]:
    """Empty demo folders; refuses to wipe a folder the demo did not create."""
    out.mkdir(parents=True, exist_ok=True)
    if any(out.iterdir()) and not (out / MARKER).exists():
        from loaders.errors import BadInput

        raise BadInput("目录非空且不是演示目录 / the folder is not empty and was not made by tcw demo",
                       path=str(out), hint="choose another --out")
    for name in ("data", "workspace"):
        shutil.rmtree(out / name, ignore_errors=True)
    (out / MARKER).touch()
    return out / "data", Workspace(out / "workspace")


def _planted(data: Path) -> str:
    """Planted cases per kind from ``truth.csv``: fraud first, then the legitimate repeats."""
    with open(data / "truth.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    cases = Counter((row["expect_lead"], row["kind"]) for row in {r["case_id"]: r for r in rows}.values())
    fraud = ", ".join(f"{kind} {n}" for (lead, kind), n in sorted(cases.items()) if lead == "1")
    traps = ", ".join(f"{kind} {n}" for (lead, kind), n in sorted(cases.items()) if lead != "1")
    return f"违规 fraud: {fraud}; 合法重复 legitimate repeats: {traps}"

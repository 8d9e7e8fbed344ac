"""Writing the self-inspection report by the file's extension (``.xlsx``: sheets 概要, 线索, 采集率,
待说明追溯码, every text cell plain text; ``.html``: one offline page), atomically, and ``tcw selfcheck``.

>>> import tempfile, openpyxl
>>> from workbench.selfcheck.facts import Profile
>>> from workbench.selfcheck.inspection import SelfInspection
>>> path = Path(tempfile.mkdtemp()) / "自查.xlsx"
>>> write_self_inspection(SelfInspection(Profile("P1", "=某药房", "pharmacy", "500116"), (), ()), path)
>>> book = openpyxl.load_workbook(path)
>>> book.sheetnames, book["概要"]["B3"].value
(['概要', '线索', '采集率', '待说明追溯码'], "'=某药房")
"""

from __future__ import annotations

from pathlib import Path

import click

from loaders.atomic import write_atomic
from loaders.errors import BadInput
from loaders.workspace import Workspace
from workbench import audit
from workbench.selfcheck.inspection import SelfInspection, self_inspection
from workbench.selfcheck.rows import (
    CODE_COLUMNS,
    LEAD_COLUMNS,
    MONTH_COLUMNS,
    SUMMARY_COLUMNS,
    code_rows,
    lead_rows,
    month_rows,
    summary_rows,
)
from workbench.selfcheck.texts import scenario_name
from workbench.spreadsheet import Sheet, write_workbook

#: The report's file formats, by extension.
SELFCHECK_SUFFIXES = (".xlsx", ".html")
_WIDE = {"happened": 60, "check": 50, "answer": 40, "value": 90, "item": 24, "trace_code": 30, "lead_id": 22,
         "med_list_codg": 26, "first_time": 20, "last_time": 20}


def write_self_inspection(report: SelfInspection, path: str | Path) -> None:
    """Write the report to ``path`` by its extension (``SELFCHECK_SUFFIXES``), atomically."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SELFCHECK_SUFFIXES:
        raise BadInput(f"不支持的报告格式 / unsupported report file {path.name}", path=str(path),
                       hint="use .xlsx or .html")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".xlsx":
        write_workbook(path, workbook_sheets(report))
    else:
        from workbench.selfcheck.page import render_page

        write_atomic(path, render_page(report).encode("utf-8"))


def workbook_sheets(report: SelfInspection) -> list[Sheet]:
    """The four sheets: 概要, 线索, 采集率, 待说明追溯码."""
    return [Sheet("概要", SUMMARY_COLUMNS, summary_rows(report), _WIDE),
            Sheet("线索", LEAD_COLUMNS, lead_rows(report), _WIDE),
            Sheet("采集率", MONTH_COLUMNS, month_rows(report), _WIDE),
            Sheet("待说明追溯码", CODE_COLUMNS, code_rows(report), _WIDE)]


def selfcheck_command(institution: str, out: str, workspace: str | None) -> None:
    """``tcw selfcheck INSTITUTION --out FILE``: the checks before any work, the report, what it holds."""
    from workbench.usage import output_file, workspace_folder

    path = output_file(out, "--out", SELFCHECK_SUFFIXES)
    if not institution.strip():
        raise BadInput("机构编码为空 / the institution code is empty",
                       hint="give a 定点医药机构编码 fixmedins_code, e.g. P50011600012")
    ws = Workspace(workspace_folder(workspace))
    report = self_inspection(ws, institution)
    write_self_inspection(report, path)
    audit.record(ws.root, "selfcheck", None, {"institution": report.profile.code, "out": str(path),
                                              "leads": len(report.leads)})
    counts = "；".join(f"{scenario_name(s)} {len(items)}" for s, items in report.by_scenario.items())
    click.echo(f"机构 institution {report.profile.code} {report.profile.name}: 线索 leads {len(report.leads)}"
               f"（{counts or '无 none'}），待说明追溯码 codes to explain {len(report.codes)}，"
               f"月份 months {len(report.months)}")
    click.echo(f"自查报告 self-inspection report → {path}")

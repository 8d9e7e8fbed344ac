"""A case package's workbook (``case.xlsx``): the summary (case, counts, notes, history), the leads and
communities, each code's timeline, the institutions, the persons and the events, headers in Chinese with
the English beside them. Codes and person numbers stay text, times are Excel times, no cell is a formula
(``workbench.spreadsheet``); a sheet longer than Excel's limit is cut and the summary says so.

>>> import tempfile, openpyxl, pyarrow as pa
>>> from workbench.cases.model import Case
>>> case = Case("CASE-1", "药店串换", "confirmed", "ana", "核实", "2026-12-04T10:00:00+00:00", "bo",
...             "2026-12-04T10:00:00+00:00")
>>> events = pa.table({c: pa.array([], pa.string()) for c in Evidence.EVENT_COLUMNS})
>>> path = Path(tempfile.mkdtemp()) / "case.xlsx"
>>> write_case_workbook(Evidence(case, [], [], events), path)
>>> book = openpyxl.load_workbook(path)
>>> book.sheetnames[:3], book[SHEETS["summary"]]["B4"].value
(['概要 summary', '线索 leads', '团伙 communities'], '已确认 confirmed')
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime, timezone
from pathlib import Path

import pyarrow as pa

from workbench.cases.evidence import Evidence
from workbench.cases.rollups import (
    code_timelines,
    coded_events,
    institution_rollup,
    person_rollup,
    sales_amount,
)
from workbench.report_text import COMMUNITY_KINDS, EVENT_TYPE_ZH, SCENARIO_NAMES
from workbench.spreadsheet import Sheet, write_workbook

#: Data rows a sheet may hold: Excel's 1,048,576 rows less the header.
EXCEL_ROWS = 1_048_575
#: The workbook's sheets, in order.
SHEETS = {"summary": "概要 summary", "leads": "线索 leads", "communities": "团伙 communities",
          "timelines": "每码时间线 timelines", "institutions": "机构 institutions", "persons": "人员 persons",
          "events": "事件 events"}
INSTITUTION_TYPE_ZH = {"pharmacy": "药店", "hospital": "医院", "clinic": "诊所"}

LEAD_COLUMNS = [
    ("lead_id", "线索编号 lead_id"), ("scenario_zh", "场景 scenario (中文)"), ("scenario", "场景 scenario"),
    ("rule_id", "规则 rule_id"), ("score", "可疑度 score"), ("trace_code", "追溯码 trace_code"),
    ("institution_code", "机构代码 institution_code"), ("institutions", "涉及机构 institutions"),
    ("med_list_codg", "药品代码 med_list_codg"), ("first_time", "最早 first_time"), ("last_time", "最晚 last_time"),
    ("event_count", "事件数 event_count"), ("amount", "金额 amount (CNY)"), ("explanation_zh", "说明 explanation_zh"),
    ("explanation_en", "说明 explanation_en"), ("params", "参数 params")]  # fmt: skip
COMMUNITY_COLUMNS = [
    ("community_id", "编号 community_id"), ("kind_zh", "类别 kind (中文)"), ("kind", "类别 kind"), ("rank", "排名 rank"),
    ("score", "可疑度 score"), ("institutions", "机构 institutions"), ("persons", "人员 persons"),
    ("trace_codes", "追溯码 trace_codes"), ("code_count", "码数 code_count"), ("event_count", "事件数 event_count"),
    ("amount", "金额 amount (CNY)"), ("first_time", "最早 first_time"), ("last_time", "最晚 last_time"),
    ("algorithm", "算法 algorithm"), ("params", "参数 params"), ("explanation_zh", "说明 explanation_zh"),
    ("explanation_en", "说明 explanation_en")]  # fmt: skip
TIMELINE_COLUMNS = [
    ("trace_code", "追溯码 trace_code"), ("step", "步骤 step"), ("event_time", "时间 time"),
    ("days_since_previous", "距上一步天数 days since previous"), ("type", "类型 type"),
    ("institution_code", "机构代码 institution_code"), ("institution_name", "机构名称 institution name"),
    ("person", "人员 person"), ("med_list_codg", "药品代码 med_list_codg"), ("product_name", "药品名称 product"),
    ("quantity", "数量 quantity"), ("amount", "金额 amount (CNY)"), ("event_id", "事件编号 event_id")]  # fmt: skip
INSTITUTION_COLUMNS = [
    ("institution_code", "机构代码 institution_code"), ("institution_name", "机构名称 name"), ("type", "类型 type"),
    ("region_code", "区划 region"), ("events", "事件数 events"), ("codes", "码数 codes"), ("persons", "人数 persons"),
    ("amount", "销售金额 sales amount (CNY)"), ("first_time", "最早 first"), ("last_time", "最晚 last")]  # fmt: skip
PERSON_COLUMNS = [
    ("person", "人员 person"), ("person_name", "姓名 name"), ("person_id_no", "身份证号 ID number"),
    ("events", "事件数 events"), ("codes", "码数 codes"), ("institutions", "机构数 institutions"),
    ("institution_list", "机构 institution codes"), ("amount", "销售金额 sales amount (CNY)"),
    ("first_time", "最早 first"), ("last_time", "最晚 last")]  # fmt: skip
EVENT_HEADERS = {
    "event_id": "事件编号 event_id", "event_time": "时间 event_time", "event_type": "类型 event_type",
    "trace_code": "追溯码 trace_code", "med_list_codg": "药品代码 med_list_codg", "product_name": "药品名称 product_name",
    "institution_code": "机构代码 institution_code", "institution_type": "机构类型 institution_type",
    "region_code": "区划 region_code", "person": "人员 person", "person_name": "姓名 person_name",
    "person_id_no": "身份证号 person_id_no", "setl_id": "结算编号 setl_id", "quantity": "数量 quantity",
    "unit_price": "单价 unit_price", "amount": "金额 amount (CNY)", "supplier": "供应商 supplier",
    "batch_no": "批号 batch_no", "source_file": "来源文件 source_file", "source_line": "来源行 source_line"}  # fmt: skip
SUMMARY_COLUMNS = [("item", "项目 item"), ("value", "内容 value"), ("by", "人 by"), ("at", "时间 at")]
#: Columns holding times, and per sheet those holding numbers; every other column is written as text.
TIME_KEYS = frozenset({"first_time", "last_time", "event_time"})
NUMBERS = {
    "leads": {"score", "event_count", "amount"}, "communities": {"rank", "score", "code_count", "event_count", "amount"},
    "timelines": {"step", "days_since_previous", "quantity", "amount"},
    "institutions": {"events", "codes", "persons", "amount"}, "persons": {"events", "codes", "institutions", "amount"},
    "events": {"quantity", "unit_price", "amount", "source_line"}}  # fmt: skip
NAMES_ONLY_REVEALED = ("person_name", "person_id_no")


def write_case_workbook(evidence: Evidence, path: Path, *, max_rows: int = EXCEL_ROWS) -> None:
    """Write the case's workbook to ``path`` atomically; a data sheet is cut after ``max_rows`` rows (the
    summary, which says so, is cut at Excel's limit only)."""
    cut: dict[str, int] = {}
    persons = _persons(evidence)
    institutions = _institutions(evidence)
    sheets = [
        _sheet("leads", LEAD_COLUMNS, [_lead_row(row) for row in evidence.leads], max_rows, cut),
        _sheet("communities", COMMUNITY_COLUMNS, [_community_row(row) for row in evidence.communities], max_rows, cut),
        _sheet("timelines", TIMELINE_COLUMNS, _timelines(evidence, max_rows, cut), max_rows, cut),
        _sheet("institutions", INSTITUTION_COLUMNS, institutions, max_rows, cut),
        _sheet("persons", _revealed(PERSON_COLUMNS, evidence.reveal), persons, max_rows, cut),
        _sheet("events", _event_columns(evidence.reveal), _head(evidence.events, max_rows, "events", cut), max_rows, cut),
    ]  # fmt: skip
    counts = {"institutions": len(institutions), "persons": len(persons)}
    rows = summary_rows(evidence, counts, cut)
    summary = Sheet(SHEETS["summary"], SUMMARY_COLUMNS, rows[:EXCEL_ROWS], widths=_widths(SUMMARY_COLUMNS))
    write_workbook(path, [summary, *sheets])


def summary_rows(evidence: Evidence, counts: dict, cut: dict) -> list[dict]:
    """The summary sheet's rows: the case, the counts, what was left out, then the notes and the history."""
    case, events = evidence.case, evidence.events
    codes = set(case.keys("code"))
    if "trace_code" in events.column_names:
        codes |= {code for code in events.column("trace_code").to_pylist() if code}
    listed = events.num_rows
    rows = [
        ("案件编号 case id", case.case_id), ("标题 title", case.title),
        ("状态 status", f"{case.status_zh} {case.status}"), ("原因 reason", case.reason),
        ("负责人 assignee", case.assignee), ("创建人 created by", case.created_by),
        ("创建时间 created at (UTC)", _time(case.created_at)), ("更新时间 updated at (UTC)", _time(case.updated_at)),
        ("最早 first (span)", evidence.span[0]), ("最晚 last (span)", evidence.span[1]),
        ("线索数 leads", len(evidence.leads)), ("团伙数 communities", len(evidence.communities)),
        ("追溯码数 codes", len(codes)), ("机构数 institutions", counts["institutions"]),
        ("人员数 persons", counts["persons"]), ("事件数 events", listed + int(evidence.capped.get("events", 0) or 0)),
        ("销售金额 sales amount (CNY)", sales_amount(events) if listed else 0.0),
        ("假名化 pseudonymisation", "实名 revealed" if evidence.reveal else "假名化 pseudonymised"),
    ]  # fmt: skip
    out = [{"item": item, "value": value} for item, value in rows]
    out += [{"item": "未列出 left out", "value": f"{name}: {count:,}"} for name, count in evidence.capped.items()]
    out += [{"item": "超出 Excel 行数上限 cut at Excel's row limit", "value": f"{SHEETS[name]}: {count:,}"}
            for name, count in cut.items()]
    out += [{"item": "备注 note", "value": note.text, "by": note.by, "at": _time(note.at)} for note in case.notes]
    out += [{"item": f"历史 history: {change.action}", "value": _detail(change.detail), "by": change.by,
             "at": _time(change.at)} for change in case.history]
    return out


def _sheet(name: str, columns: list, rows: list[dict], max_rows: int, cut: dict) -> Sheet:
    if len(rows) > max_rows:
        cut[name] = cut.get(name, 0) + len(rows) - max_rows
        rows = rows[:max_rows]
    keys, numbers = [key for key, _ in columns], NUMBERS[name]
    return Sheet(SHEETS[name], columns, [_typed(row, keys, numbers) for row in rows], widths=_widths(columns))


def _head(table: pa.Table, max_rows: int, name: str, cut: dict) -> list[dict]:
    """The first ``max_rows`` rows of ``table``; the rest counted in ``cut``."""
    if table.num_rows > max_rows:
        cut[name] = table.num_rows - max_rows
    return table.slice(0, max_rows).to_pylist()


def _timelines(evidence: Evidence, max_rows: int, cut: dict) -> list[dict]:
    events = evidence.events
    if "trace_code" not in events.column_names or not events.num_rows:
        return []
    rows = code_timelines(events, limit=max_rows)
    if len(rows) == max_rows and coded_events(events) > max_rows:
        cut["timelines"] = coded_events(events) - max_rows
    for row in rows:
        kind = row.get("event_type") or ""
        row["type"] = f"{EVENT_TYPE_ZH.get(kind, '')} {kind}".strip()
        known = _institution(evidence, row.get("institution_code")).get("institution_name")
        row["institution_name"] = known or row.get("institution_name")
    return rows


def _institutions(evidence: Evidence) -> list[dict]:
    rows = institution_rollup(evidence.events) if evidence.events.num_rows else []
    known = {row["institution_code"] for row in rows}
    rows += [{"institution_code": code, "events": 0} for code in evidence.case.keys("institution") if code not in known]
    for row in rows:
        info = _institution(evidence, row["institution_code"])
        kind = info.get("institution_type") or ""
        row.update(institution_name=info.get("institution_name"), region_code=info.get("region_code"),
                   type=f"{INSTITUTION_TYPE_ZH.get(kind, '')} {kind}".strip())
    return rows


def _institution(evidence: Evidence, code) -> dict:
    return (evidence.institutions.get(code) or {}) if code else {}


def _persons(evidence: Evidence) -> list[dict]:
    events = evidence.events
    if not events.num_rows or "person" not in events.column_names:
        return []
    rows = person_rollup(events)
    if evidence.reveal:
        names: dict = {}
        for event in events.select(["person", *NAMES_ONLY_REVEALED]).to_pylist():
            seen = names.setdefault(event["person"], {})
            for key in NAMES_ONLY_REVEALED:
                seen[key] = seen.get(key) or event.get(key)
        for row in rows:
            row.update(names.get(row["person"], {}))
    return rows


def _lead_row(lead: dict) -> dict:
    scenario = lead.get("scenario") or ""
    return {**lead, "scenario_zh": SCENARIO_NAMES.get(scenario, scenario)}


def _community_row(community: dict) -> dict:
    kind = community.get("kind") or ""
    return {**community, "kind_zh": COMMUNITY_KINDS.get(kind, (kind,))[0]}


def _revealed(columns: list, reveal: bool) -> list:
    return columns if reveal else [(key, title) for key, title in columns if key not in NAMES_ONLY_REVEALED]


def _event_columns(reveal: bool) -> list:
    """The events sheet's columns: ``Evidence.EVENT_COLUMNS``, names and ID numbers only when revealed."""
    return _revealed([(key, EVENT_HEADERS.get(key, key)) for key in Evidence.EVENT_COLUMNS], reveal)


def _typed(row: dict, keys: list, numbers: set) -> dict:
    """``row``'s values for ``keys``: times as times, numbers as numbers, everything else as text."""
    out = {}
    for key in keys:
        value = row.get(key)
        if key in TIME_KEYS:
            out[key] = _time(value)
        elif key in numbers:
            out[key] = _number(value)
        elif value is None or value == "":
            out[key] = None
        elif isinstance(value, dict | list):
            out[key] = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
        elif isinstance(value, datetime | date):
            out[key] = _time(value)
        else:
            out[key] = str(value)
    return out


def _time(value):
    """A time Excel can hold (naive; a time with a zone as UTC), or the text when it is not one."""
    if isinstance(value, str) and value:
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(timezone.utc).replace(tzinfo=None)
    return value if isinstance(value, datetime | date) else (None if value in (None, "") else str(value))


def _number(value):
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(number):
        return None
    return int(number) if isinstance(value, int) or (isinstance(value, str) and number.is_integer()) else number


def _detail(detail: dict) -> str:
    return "; ".join(f"{key}: {value}" for key, value in detail.items()) if detail else ""


def _widths(columns: list) -> dict:
    wide = {"explanation_zh": 60, "explanation_en": 60, "value": 48, "item": 30, "trace_code": 24,
            "event_time": 20, "first_time": 20, "last_time": 20, "at": 20, "institutions": 30, "trace_codes": 30}
    return {key: wide[key] for key, _ in columns if key in wide}

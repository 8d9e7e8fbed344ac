"""The case workbook: its sheets and Chinese headers, codes kept as text, times as Excel times, no formula
in any cell however hostile the names, each code's timeline, the rollups, persons revealed or not, and the
cut at the row limit."""

from __future__ import annotations

import re
import zipfile
from datetime import datetime

import openpyxl
import pytest

from tests.cases.hostile_evidence import (
    CODE,
    HOSPITAL,
    NO_EVENTS,
    ODD_CODE,
    PERSON_NUMBER,
    PHARMACY,
    hostile_evidence,
)
from workbench.cases.workbook import SHEETS, write_case_workbook

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def book_path(tmp_path):
    path = tmp_path / "case.xlsx"
    write_case_workbook(hostile_evidence(capped={"events": 5}), path)
    return path


def sheet_rows(path, name: str) -> list[dict]:
    """The rows of one sheet as dicts keyed by header."""
    rows = list(openpyxl.load_workbook(path)[SHEETS[name]].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_the_sheets_have_their_chinese_names(book_path):
    names = openpyxl.load_workbook(book_path).sheetnames
    assert names == ["概要 summary", "线索 leads", "团伙 communities", "每码时间线 timelines", "机构 institutions",
                     "人员 persons", "事件 events"]
    assert all(re.search(r"[\u4e00-\u9fff]", name) for name in names)


def test_no_cell_is_a_formula_or_starts_like_one(book_path):
    book = openpyxl.load_workbook(book_path)
    texts = []
    for page in book.worksheets:
        for row in page.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (page.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
                    assert not cell.value.startswith(FORMULA_START), (page.title, cell.coordinate, cell.value)
    with zipfile.ZipFile(book_path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert not re.search(rb"<f[ >]", archive.read(name)), name
    assert "'=HYPERLINK(\"http://x\")" in texts and "'+1" in texts and "'@SUM(A1)" in texts
    assert "'\t缩进 tab" in texts and "<script>alert(1)</script>" in texts and "控制\ufffd字符" in texts
    assert "第一行\n第二行" in texts and '"引号" \'quotes\'' in texts


def test_codes_stay_text_with_every_digit(book_path):
    leads, events = sheet_rows(book_path, "leads"), sheet_rows(book_path, "events")
    assert leads[0]["追溯码 trace_code"] == CODE
    assert {row["追溯码 trace_code"] for row in events} == {CODE, "'" + ODD_CODE}
    assert {row["机构代码 institution_code"] for row in events} == {PHARMACY, HOSPITAL}  # leading zero kept
    assert {row["追溯码 trace_code"] for row in sheet_rows(book_path, "timelines")} == {CODE, "'" + ODD_CODE}
    ring = sheet_rows(book_path, "communities")[0]
    assert ring["追溯码 trace_codes"] == f"{CODE}|{ODD_CODE}" and ring["排名 rank"] == 1 and ring["可疑度 score"] == 0.8


def test_times_are_excel_times(book_path):
    page = openpyxl.load_workbook(book_path)[SHEETS["events"]]
    assert page["B1"].value == "时间 event_time"
    assert page["B2"].is_date and page["B2"].value == datetime(2025, 6, 1, 9)
    ring = sheet_rows(book_path, "communities")[0]
    assert ring["最早 first_time"] == datetime(2025, 6, 1, 9) and ring["最晚 last_time"] == datetime(2025, 6, 21, 10)


def test_each_code_has_its_timeline_in_time_order(book_path):
    rows = sheet_rows(book_path, "timelines")
    mine = [row for row in rows if row["追溯码 trace_code"] == CODE]
    assert [row["步骤 step"] for row in mine] == list(range(1, 11))
    assert [row["距上一步天数 days since previous"] for row in mine[:4]] == [None, 1.04, 1.5, 1.5]
    assert mine[1]["类型 type"] == "销售 sale" and mine[1]["机构名称 institution name"] == "'\t缩进 tab"
    assert rows[-1]["追溯码 trace_code"] == "'=1+1" and rows[-1]["步骤 step"] == 1  # its first event is later


def test_the_summary_counts_and_lists_notes_and_history(book_path):
    rows = {row["项目 item"]: row for row in sheet_rows(book_path, "summary")}
    assert rows["状态 status"]["内容 value"] == "已确认 confirmed"
    assert rows["标题 title"]["内容 value"] == "'=HYPERLINK(\"http://x\")"
    assert rows["创建时间 created at (UTC)"]["内容 value"] == datetime(2026, 12, 4, 2)
    assert rows["事件数 events"]["内容 value"] == 16  # 11 listed + 5 left out
    assert rows["追溯码数 codes"]["内容 value"] == 2 and rows["机构数 institutions"]["内容 value"] == 3
    assert rows["人员数 persons"]["内容 value"] == 2 and rows["线索数 leads"]["内容 value"] == 1
    assert rows["销售金额 sales amount (CNY)"]["内容 value"] == 164.5
    assert rows["假名化 pseudonymisation"]["内容 value"] == "假名化 pseudonymised"
    assert rows["未列出 left out"]["内容 value"] == "events: 5"
    notes = [row for row in sheet_rows(book_path, "summary") if row["项目 item"] == "备注 note"]
    assert [note["人 by"] for note in notes] == ["ana", "bo"] and notes[0]["时间 at"] == datetime(2026, 12, 4, 11)
    assert rows["历史 history: status"]["内容 value"] == "from: open; to: confirmed"


def test_institutions_add_up_sales_less_returns(book_path):
    rows = {row["机构代码 institution_code"]: row for row in sheet_rows(book_path, "institutions")}
    assert rows[PHARMACY]["事件数 events"] == 8 and rows[PHARMACY]["销售金额 sales amount (CNY)"] == 117.5
    assert rows[PHARMACY]["类型 type"] == "药店 pharmacy" and rows[PHARMACY]["码数 codes"] == 2
    assert rows[HOSPITAL]["销售金额 sales amount (CNY)"] == 47.0 and rows[HOSPITAL]["最早 first"] == datetime(2025, 6, 1, 9)
    assert rows[NO_EVENTS]["事件数 events"] == 0  # named by the case, no event in the span


def test_pseudonymised_persons_have_no_name_columns(book_path):
    persons = sheet_rows(book_path, "persons")
    assert [(row["人员 person"], row["事件数 events"], row["机构数 institutions"]) for row in persons] == \
        [("PSN-bbbb", 6, 1), ("PSN-aaaa", 3, 2)]
    assert "姓名 name" not in persons[0] and "身份证号 ID number" not in persons[0]
    assert "身份证号 person_id_no" not in sheet_rows(book_path, "events")[0]


def test_revealed_persons_show_numbers_names_and_id_numbers(tmp_path):
    path = tmp_path / "case.xlsx"
    write_case_workbook(hostile_evidence(reveal=True), path)
    persons = {row["人员 person"]: row for row in sheet_rows(path, "persons")}
    assert persons[PERSON_NUMBER]["姓名 name"] == "张三"
    assert persons[PERSON_NUMBER]["身份证号 ID number"] == "500116199001011234"
    assert persons["'-50011600000000000000000999"]["身份证号 ID number"] == "'=1+1"
    summary = {row["项目 item"]: row["内容 value"] for row in sheet_rows(path, "summary")}
    assert summary["假名化 pseudonymisation"] == "实名 revealed"


def test_sheets_longer_than_the_limit_are_cut_and_the_summary_says_so(tmp_path):
    path = tmp_path / "case.xlsx"
    write_case_workbook(hostile_evidence(), path, max_rows=4)
    assert len(sheet_rows(path, "events")) == 4 and len(sheet_rows(path, "timelines")) == 4
    cut = [row["内容 value"] for row in sheet_rows(path, "summary")
           if row["项目 item"] == "超出 Excel 行数上限 cut at Excel's row limit"]
    assert sorted(cut) == ["事件 events: 7", "每码时间线 timelines: 7"]
    summary = {row["项目 item"]: row["内容 value"] for row in sheet_rows(path, "summary")}
    assert summary["事件数 events"] == 11  # the cut rows are still counted


def test_codes_read_as_numbers_are_written_as_text(tmp_path):
    evidence = hostile_evidence()
    lead = {**evidence.leads[0], "trace_code": int(CODE), "institution_code": 500116001, "score": "0.5"}
    path = tmp_path / "case.xlsx"
    write_case_workbook(type(evidence)(evidence.case, [lead], [], evidence.events), path)
    page = openpyxl.load_workbook(path)[SHEETS["leads"]]
    row = dict(zip([cell.value for cell in page[1]], page[2], strict=True))
    assert row["追溯码 trace_code"].value == CODE and row["追溯码 trace_code"].data_type == "s"
    assert row["机构代码 institution_code"].value == "500116001" and row["可疑度 score"].value == 0.5

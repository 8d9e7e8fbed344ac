"""Format B: CSV and Excel exports with Chinese headers or NHSA field codes, GB18030 or UTF-8."""

from __future__ import annotations

import csv
import datetime as dt

import openpyxl
import pytest

from loaders.errors import BadInput
from tests.conftest import CODE_A, CODE_B, INSTITUTION, events, rejects

CHINESE = ["接口编号", "定点医药机构编码", "定点医药机构名称", "医保药品编码", "药品名称", "定点医药机构批次流水号",
           "人员编号", "拆零标志", "单价", "销售/退货数量", "销售/退货时间", "追溯码", "上传时间"]


def chinese_row(interface, bchno, codes, quantity="1", time="2025-06-01 10:30:12", **over):
    row = dict(zip(CHINESE, [interface, INSTITUTION, "江津区某某大药房", "XA01ABD075A002010100483", "奥美拉唑肠溶胶囊",
                             bchno, "50011600000000000000000123", "0", "23.50", quantity, time, codes,
                             "2025-06-02 01:00:00"], strict=True))
    row.update(over)
    return [row[h] for h in CHINESE]


def write_csv(path, header, rows, encoding):
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_gb18030_csv_with_chinese_headers_and_several_codes_per_cell(tmp_path, load, workspace):
    path = write_csv(tmp_path / "销售.csv", CHINESE, [
        chinese_row("商品销售", "S1", f"{CODE_A};{CODE_B}", quantity="2"),
        chinese_row("3505", "S2", "81234560000000000014 | 81234560000000000015", quantity="2"),
        chinese_row("销售退货", "R1", CODE_A),
        chinese_row("3505", "S3", ""),
    ], "gb18030")
    assert b"\xbd\xd3\xbf\xda" in path.read_bytes()  # 接口 in GB18030, not UTF-8
    report = load(path)
    rows = events(workspace)
    assert [(r["record_no"], r["event_type"], r["trace_code"], r["quantity"]) for r in rows] == [
        ("S1", "sale", CODE_A, 1.0), ("S1", "sale", CODE_B, 1.0),
        ("S2", "sale", "81234560000000000014", 1.0), ("S2", "sale", "81234560000000000015", 1.0),
        ("R1", "sale_return", CODE_A, 1.0), ("S3", "sale", "", 1.0),
    ]
    assert rows[0]["product_name"] == "奥美拉唑肠溶胶囊" and rows[0]["source_line"] == 2
    assert rows[-1]["code_scheme"] == "none"
    assert report.counts.read == 4 and report.counts.accepted == 4


def test_utf8_bom_csv_with_nhsa_field_codes_and_bad_rows(tmp_path, load, workspace):
    header = ["infno", "fixmedins_code", "med_list_codg", "fixmedins_bchno", "trdn_flag", "sel_retn_cnt",
              "sel_retn_time", "drug_trac_codg"]
    path = write_csv(tmp_path / "sales.csv", header, [
        ["3505", INSTITUTION, "XA01", "S1", "1", "6", "2025-06-01 10:00:00", CODE_A],
        ["3505", INSTITUTION, "XA01", "S2", "0", "两盒", "2025-06-01 10:00:00", CODE_B],
        ["3505", INSTITUTION, "XA01", "S3", "0", "1", "昨天", CODE_B],
        ["3505", "", "XA01", "S4", "0", "1", "2025-06-01 10:00:00", CODE_B],
    ], "utf-8-sig")
    report = load(path)
    assert [(r["record_no"], r["split_flag"], r["quantity"]) for r in events(workspace)] == [("S1", True, 6.0)]
    assert [(r["source_line"], r["reject_field"]) for r in rejects(workspace)] == [
        (3, "sel_retn_cnt"), (4, "sel_retn_time"), (5, "fixmedins_code")]
    assert (report.counts.read, report.counts.accepted, report.counts.rejected) == (4, 1, 3)


def test_xlsx_with_chinese_headers_dates_and_a_code_stored_as_a_number(tmp_path, load, workspace):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["业务类型", "定点医药机构编码", "医保药品编码", "批次流水号", "库存变更类型", "数量", "库存变更时间", "追溯码"])
    sheet.append(["库存变更", INSTITUTION, "XA01", "C1", "102", 1, dt.datetime(2025, 6, 1, 9, 0), CODE_A])
    sheet.append(["库存变更", INSTITUTION, "XA01", "C2", "101", 2.0, dt.datetime(2025, 6, 2, 9, 0), CODE_B])
    sheet.append(["库存变更", INSTITUTION, "XA01", "C3", "101", 1, dt.datetime(2025, 6, 2, 9, 0), 8.123456e19])
    book.save(tmp_path / "stock.xlsx")
    report = load(tmp_path / "stock.xlsx")
    rows = events(workspace)
    assert [(r["event_type"], str(r["event_time"]), r["quantity"]) for r in rows] == [
        ("transfer_out", "2025-06-01 09:00:00", 1.0), ("transfer_in", "2025-06-02 09:00:00", 2.0)]
    assert rejects(workspace)[0]["reject_field"] == "drug_trac_codg"
    assert "Excel" in rejects(workspace)[0]["reject_reason"]
    assert report.counts.read == 3


def test_a_table_without_an_interface_column_is_bad_input(tmp_path, load):
    path = write_csv(tmp_path / "x.csv", ["追溯码", "销售时间"], [[CODE_A, "2025-06-01"]], "utf-8")
    with pytest.raises(BadInput) as caught:
        load(path)
    assert "接口编号" in str(caught.value) and str(path) in str(caught.value)


def test_a_table_without_institution_column_names_the_column(tmp_path, load):
    path = write_csv(tmp_path / "x.csv", ["接口编号", "追溯码"], [["3505", CODE_A]], "utf-8")
    with pytest.raises(BadInput, match="fixmedins_code"):
        load(path)


def test_rows_with_wrong_column_counts_are_rejects_and_lines_stay_exact(tmp_path, load, workspace):
    header = ["接口编号", "定点医药机构编码", "医保药品编码", "批次流水号", "销售/退货数量", "销售/退货时间", "追溯码"]
    lines = [",".join(header)]
    for i in range(2, 60):
        lines.append(f"3505,{INSTITUTION},XA01,S{i},1,2025-06-01 10:00:00,8123456000000000{i:04d}")
    lines[9] = "3505,P50011600012,XA01,S10,1"  # line 10: too few columns
    lines[19] = ""  # line 20: blank
    lines[29] = lines[29] + ",extra"  # line 30: too many
    (tmp_path / "s.csv").write_text("\r\n".join(lines) + "\r\n", encoding="gb18030")
    report = load(tmp_path / "s.csv")
    assert [(r["source_line"], r["reject_field"]) for r in rejects(workspace)] == [(10, "(line)"), (30, "(line)")]
    assert "expected 7" in rejects(workspace)[0]["reject_reason"]
    by_line = {r["source_line"]: r["record_no"] for r in events(workspace)}
    assert all(by_line[line] == f"S{line}" for line in by_line)  # every row keeps its physical line
    assert 10 not in by_line and 20 not in by_line and len(by_line) == 55
    assert report.counts.read == 57 and report.counts.rejected == 2


def test_a_delete_in_a_table_removes_a_record_uploaded_as_json(tmp_path, load, workspace):
    from tests.conftest import envelope, sale, write_ndjson

    write_ndjson(tmp_path / "sales.ndjson", [envelope("3505", "selinfo", sale("S1", [CODE_A])),
                                             envelope("3505", "selinfo", sale("S2", [CODE_B]))])
    write_csv(tmp_path / "deletes.csv", ["接口编号", "定点医药机构编码", "定点医药机构批次流水号", "inv_data_type", "上传时间"],
              [["3507", INSTITUTION, "S1", "4", "2025-06-09 00:00:00"]], "gb18030")
    report = load(tmp_path / "sales.ndjson", tmp_path / "deletes.csv")
    assert [r["record_no"] for r in events(workspace)] == ["S2"]
    assert (report.counts.read, report.counts.accepted, report.counts.deletes, report.counts.events_deleted) == (3, 3, 1, 1)

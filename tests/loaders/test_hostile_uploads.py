"""Hostile but realistic uploads: no row is lost or garbled, on the compiled path and on the SQL path.

Every test runs with the compiled reader (when it is built) and with ``TCW_NATIVE=0``.
"""

from __future__ import annotations

import json
import zipfile

import numpy as np
import openpyxl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loaders import native
from loaders.csv_lines import line_cells, records
from loaders.errors import BadInput
from tests.conftest import CODE_A, CODE_B, envelope, events, rejects, sale, write_ndjson

HEADER = "接口编号,定点医药机构编码,医保药品编码,批次流水号,销售数量,单价,销售时间,追溯码,药品名称\n"


def csv_row(bchno: str, codes: str = CODE_A, quantity: str = "1", price: str = "23.5",
            time: str = "2025-06-01 10:00:00", name: str = "奥美拉唑肠溶胶囊") -> str:
    return f"3505,P50011600012,XA01,{bchno},{quantity},{price},{time},{codes},{name}\n"


@pytest.fixture(params=["native", "sql"])
def reader(request, monkeypatch) -> str:
    """Which path reads: the compiled reader, or the SQL path alone."""
    if request.param == "native" and not native.available():
        pytest.skip("the compiled fast path is not built")
    monkeypatch.setenv("TCW_NATIVE", "1" if request.param == "native" else "0")
    return request.param


def test_numbers_that_are_not_finite_are_rejected_naming_the_field(tmp_path, load, workspace, reader):
    lines = [envelope("3505", "selinfo", sale("j1", [CODE_A], sel_retn_cnt="1e309")),
             '{"infno":"3505","fixmedins_code":"P50011600012","input":{"selinfo":{"fixmedins_bchno":"j2",'
             '"med_list_codg":"X","sel_retn_cnt":1e309,"sel_retn_time":"2025-06-01 10:00:00"}}}',
             envelope("3505", "selinfo", sale("j3", [CODE_A], sel_retn_cnt="Infinity")),
             envelope("3505", "selinfo", sale("j4", [CODE_A], finl_trns_pric="NaN")),
             envelope("3505", "selinfo", sale("j5", [CODE_A], sel_retn_cnt="1" + "0" * 400)),
             envelope("3505", "selinfo", sale("j6", [CODE_A], sel_retn_cnt=1e200, finl_trns_pric=1e200)),
             envelope("3505", "selinfo", sale("ok", [CODE_A]))]
    upload = write_ndjson(tmp_path / "numbers.ndjson", lines)
    table = tmp_path / "numbers.csv"
    table.write_text(HEADER + csv_row("c1", quantity="inf") + csv_row("c2", quantity="NaN")
                     + csv_row("c3", quantity="1e309") + csv_row("c4", price="-Infinity") + csv_row("c5"),
                     encoding="utf-8")
    report = load(upload, table)
    assert sorted(row["record_no"] for row in events(workspace)) == ["c5", "ok"]
    found = {(row["source_file"].rsplit("/", 1)[-1], row["source_line"]): row for row in rejects(workspace)}
    expected = {("numbers.ndjson", 1): "sel_retn_cnt", ("numbers.ndjson", 2): "sel_retn_cnt",
                ("numbers.ndjson", 3): "sel_retn_cnt", ("numbers.ndjson", 4): "finl_trns_pric",
                ("numbers.ndjson", 5): "sel_retn_cnt", ("numbers.ndjson", 6): "finl_trns_pric",
                ("numbers.csv", 2): "sel_retn_cnt", ("numbers.csv", 3): "sel_retn_cnt",
                ("numbers.csv", 4): "sel_retn_cnt", ("numbers.csv", 5): "finl_trns_pric"}
    assert {key: row["reject_field"] for key, row in found.items()} == expected
    assert "finite" in found[("numbers.ndjson", 3)]["reject_reason"]
    assert (report.counts.read, report.counts.accepted, report.counts.rejected) == (12, 2, 10)


def test_business_times_outside_the_declared_range_are_rejected(tmp_path, load, workspace, reader):
    lines = [envelope("3505", "selinfo", sale("t1", [CODE_A], sel_retn_time="0001-01-01 00:00:00")),
             envelope("3505", "selinfo", sale("t2", [CODE_A], sel_retn_time="9999-12-31 23:59:59")),
             envelope("3505", "selinfo", sale("t3", [CODE_A], sel_retn_time="2017-12-31 23:59:59")),
             envelope("3505", "selinfo", sale("t4", [CODE_A], sel_retn_time="2026-06-03 01:10:01")),
             envelope("3505", "selinfo", sale("t5", [CODE_A], sel_retn_time="2026-06-03 01:10:00")),
             envelope("3505", "selinfo", sale("t6", [CODE_A], sel_retn_time="2018-01-01"))]
    report = load(write_ndjson(tmp_path / "times.ndjson", lines))
    assert [row["record_no"] for row in events(workspace)] == ["t5", "t6"]
    found = rejects(workspace)
    assert [(row["source_line"], row["reject_field"]) for row in found] == [(n, "sel_retn_time") for n in (1, 2, 3, 4)]
    assert "2018-01-01" in found[0]["reject_reason"] and "2026-06-03 01:10:00" in found[0]["reject_reason"]
    assert report.counts.rejected == 4


@pytest.mark.parametrize("separator", ["\u3000", "｜", "，", "；", "、", "\u00a0", "\u2003", "\x0b"])
def test_full_width_and_unicode_separators_split_codes(tmp_path, load, workspace, reader, separator):
    cell = CODE_A + separator + CODE_B
    upload = write_ndjson(tmp_path / "codes.ndjson", [envelope("3505", "selinfo", sale("s1", [cell], sel_retn_cnt=2))])
    table = tmp_path / "codes.csv"
    table.write_text(HEADER + csv_row("s2", codes=f'"{cell}"', quantity="2"), encoding="utf-8")
    load(upload, table)
    codes = [(row["record_no"], row["trace_code"], row["quantity"]) for row in events(workspace)]
    assert sorted(codes) == [("s1", CODE_A, 1.0), ("s1", CODE_B, 1.0), ("s2", CODE_A, 1.0), ("s2", CODE_B, 1.0)]


def test_two_columns_naming_one_field_refuse_the_file(tmp_path, load, workspace, reader):
    for header in ("追溯码,drug_trac_codg", "追溯码,追溯码"):
        table = tmp_path / "two.csv"
        table.write_text(f"接口编号,定点医药机构编码,医保药品编码,批次流水号,销售数量,销售时间,{header}\n"
                         f"3505,P50011600012,XA01,d1,2,2025-06-01 10:00:00,{CODE_A},{CODE_B}\n", encoding="utf-8")
        first, second = header.split(",")
        with pytest.raises(BadInput, match=f"{first}.*{second}.*drug_trac_codg") as refused:
            load(table)
        assert refused.value.line == 1 and "keep one" in refused.value.hint
    assert not workspace.event_files()


def test_a_key_given_twice_rejects_the_records_it_makes_ambiguous(tmp_path, load, workspace, reader):
    record = ('{"fixmedins_bchno":"%s","med_list_codg":"X","sel_retn_cnt":1,"sel_retn_time":"2025-06-01 10:00:00",'
              '"drugtracinfo":[{"drug_trac_codg":"' + CODE_A + '"}]%s}')
    head = '{"infno":"%s","fixmedins_code":"P50011600012","inf_time":"2025-06-02 01:10:00"%s,"input":{%s}}'
    lines = [head % ("3505", ',"infno":"3506"', '"selinfo":' + record % ("k1", "")),  # envelope
             head % ("3505", ',"msgid":"1","msgid":"2"', '"selinfo":' + record % ("k2", "")),  # a key not read
             head % ("3505", "", '"selinfo":' + record % ("k3", ',"sel_retn_cnt":2')),  # record
             head % ("3505", "", '"selinfo":' + record % ("k4", ',"memo":"a","memo":"b"')),
             head % ("3505A", "", '"selinfoDetail":[' + record % ("k5", "") + ","
                     + record % ("k6", ',"drugtracinfo":[]') + "]"),  # the second record of a batch
             head % ("3505", "", '"selinfo":' + (record % ("k7", "")).replace(
                 '"}]', '","drug_trac_codg":"' + CODE_B + '"}]')),  # a trace-code item
             head % ("3505", "", '"selinfo":' + record % ("k8", ""))]
    report = load(write_ndjson(tmp_path / "keys.ndjson", lines))
    assert [row["record_no"] for row in events(workspace)] == ["k5", "k8"]
    found = rejects(workspace)
    assert [(row["source_line"], row["record_index"], row["reject_field"]) for row in found] == [
        (1, 1, "infno"), (2, 1, "msgid"), (3, 1, "sel_retn_cnt"), (4, 1, "memo"), (5, 2, "drugtracinfo"),
        (6, 1, "drug_trac_codg")]
    assert all("twice" in row["reject_reason"] and row["source_text"] == lines[row["source_line"] - 1]
               for row in found)
    assert (report.counts.read, report.counts.accepted, report.counts.rejected) == (8, 2, 6)


@pytest.mark.parametrize(("line", "kind"), [("[1,2]", "array"), ('"x"', "string"), ("42", "number"),
                                            ("null", "null"), ("true", "true or false")])
def test_a_line_that_is_not_an_object_is_rejected_with_its_own_text(tmp_path, load, workspace, reader, line, kind):
    report = load(write_ndjson(tmp_path / "odd.ndjson", [envelope("3505", "selinfo", sale("o1", [CODE_A])), line]))
    [found] = rejects(workspace)
    assert (found["source_line"], found["reject_field"], found["source_text"]) == (2, "(line)", line)
    assert f"JSON {kind}" in found["reject_reason"]
    assert (report.counts.read, report.counts.accepted, report.counts.rejected) == (2, 1, 1)


def _line(bchno: str, name: str = "奥美拉唑肠溶胶囊") -> str:
    return json.dumps(envelope("3505", "selinfo", sale(bchno, [CODE_A], fixmedins_hilist_name=name)),
                      ensure_ascii=False)


@pytest.mark.parametrize("filler", [2, 4_000], ids=["in-the-sample", "after-the-first-megabyte"])
def test_a_gb18030_line_in_a_utf8_file_is_rejected_not_garbled(tmp_path, load, workspace, reader, filler):
    good = [_line(f"u{i}").encode() for i in range(filler)]
    foreign = _line("g1", "阿莫西林胶囊").encode("gb18030")
    path = tmp_path / "mixed.ndjson"
    path.write_bytes(b"\n".join([*good, foreign, _line("u-last").encode()]) + b"\n")
    report = load(path)
    rows = events(workspace)
    assert len(rows) == filler + 1 and all(row["product_name"] == "奥美拉唑肠溶胶囊" for row in rows)
    [found] = rejects(workspace)
    assert (found["source_line"], found["reject_field"]) == (filler + 1, "(line)")
    assert "UTF-8" in found["reject_reason"] and "阿莫西林胶囊" in found["source_text"]
    assert (report.counts.read, report.counts.rejected) == (filler + 2, 1)


def test_a_line_that_does_not_decode_in_a_gb18030_file_is_rejected(tmp_path, load, workspace, reader):
    lines = [_line(f"g{i}", "板蓝根颗粒").encode("gb18030") for i in range(3)]
    lines[1] = lines[1].replace("板蓝根".encode("gb18030"), b"\xff\xfe")
    path = tmp_path / "gb.ndjson"
    path.write_bytes(b"\r\n".join(lines) + b"\r\n")
    report = load(path)
    assert [row["product_name"] for row in events(workspace)] == ["板蓝根颗粒", "板蓝根颗粒"]
    [found] = rejects(workspace)
    assert found["source_line"] == 2 and "GB18030" in found["reject_reason"]
    assert found["source_text"].startswith("{\"infno\": \"3505\"") and "\\xff" in found["source_text"]
    assert (report.counts.read, report.counts.rejected) == (3, 1)


def test_a_json_array_with_a_byte_that_does_not_decode_is_a_reject_not_a_crash(tmp_path, load, workspace, reader):
    text = json.dumps([envelope("3505", "selinfo", sale("a1", [CODE_A]))], ensure_ascii=False, indent=1)
    data = text.encode("gb18030")
    cut = data.index("奥".encode("gb18030"))
    (tmp_path / "array.json").write_bytes(data[:cut] + b"\xff" + data[cut:])
    report = load(tmp_path / "array.json")
    [found] = rejects(workspace)
    assert found["reject_field"] == "(file)" and report.counts.rejected == 1


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_an_unbalanced_quote_is_one_reject_and_reading_goes_on(tmp_path, load, workspace, reader, encoding):
    rows = [csv_row(f"q{i}", codes=f"8{i:019d}") for i in range(1000)]
    rows[1] = csv_row("q1", codes="81234560000000000001", name='"奥美拉唑 20mg')
    rows[500] = csv_row("q500", codes='"81234560000000000500,81234560000000000501')
    table = tmp_path / "quotes.csv"
    table.write_bytes((HEADER + "".join(rows[:700]) + " \t\n\u3000\n" + "".join(rows[700:])).encode(encoding))
    report = load(table)
    found = rejects(workspace)
    assert [(row["source_line"], row["reject_field"]) for row in found] == [(3, "(line)"), (502, "(line)")]
    assert found[0]["reject_reason"].startswith("引号不成对 / unbalanced quote")
    assert found[0]["source_text"] == rows[1].rstrip("\n")
    lines = {row["record_no"]: row["source_line"] for row in events(workspace)}
    assert len(lines) == 998 and lines["q2"] == 4 and lines["q999"] == 1003
    assert (report.counts.read, report.counts.accepted, report.counts.rejected) == (1000, 998, 2)


def test_a_csv_line_ends_with_lf_crlf_or_cr_alone(tmp_path, load, workspace, reader):
    table = tmp_path / "ends.csv"
    table.write_bytes((HEADER + csv_row("e1") + csv_row("e2").replace("\n", "\r") + csv_row("e3").replace("\n", "\r\n")
                       + csv_row("e4").replace("奥美拉唑", "奥美\r拉唑")).encode())
    report = load(table)
    assert [(row["record_no"], row["source_line"]) for row in events(workspace)] == [
        ("e1", 2), ("e2", 3), ("e3", 4), ("e4", 5)]
    [found] = rejects(workspace)
    assert (found["source_line"], found["source_text"]) == (6, "拉唑肠溶胶囊")
    assert "expected 9, found 1" in found["reject_reason"]
    assert (report.counts.read, report.counts.accepted, report.counts.rejected) == (5, 4, 1)


def test_empty_sheet_rows_hold_no_record(tmp_path, load, workspace, reader):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER.strip().split(","))
    sheet.append(csv_row("x1").strip().split(","))
    sheet.append([None, "", None])
    sheet.append([])
    sheet.append(csv_row("x2").strip().split(","))
    book.save(tmp_path / "rows.xlsx")
    report = load(tmp_path / "rows.xlsx")
    assert [(row["record_no"], row["source_line"]) for row in events(workspace)] == [("x1", 2), ("x2", 5)]
    assert (report.counts.read, report.counts.rejected) == (2, 0)


def test_a_csv_line_in_another_encoding_refuses_the_file_naming_the_line(tmp_path, load, reader):
    table = tmp_path / "mixed.csv"
    table.write_bytes(HEADER.encode() + csv_row("m1").encode() + csv_row("m2", name="阿莫西林").encode("gb18030"))
    with pytest.raises(BadInput, match="line 3") as refused:
        load(table)
    assert refused.value.line == 3


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(['"', '""', ",", "|", "\t", ";", "a", "码", " "]), max_size=10).map("".join)
                .filter(lambda line: line.strip(" \t")), min_size=1, max_size=30),
       st.sampled_from([",", "|", "\t", ";"]))
def test_the_python_reader_reads_every_line_as_line_cells_does(lines, delimiter):
    numbers = np.arange(2, 2 + len(lines))
    odd = np.array(['"' in line for line in lines])
    values, kept, broken = records(numbers, pa.array(lines, pa.string()), odd, delimiter, 3, {"a": 0, "b": 1, "c": 2})
    expected = {number: line_cells(line, delimiter) for number, line in zip(numbers.tolist(), lines, strict=True)}
    good = {number: cells for number, cells in expected.items() if cells is not None and len(cells) == 3}
    assert kept.tolist() == sorted(good)
    read = [[values[name][i].as_py() for name in "abc"] for i in range(len(kept))]
    assert read == [good[number] for number in kept.tolist()]
    assert sorted(number for number, _, _ in broken) == sorted(set(expected) - set(good))


@pytest.mark.parametrize("pretty", [True, False], ids=["pretty-printed", "array"])
def test_json_text_after_a_byte_order_mark_is_read_whole(tmp_path, load, workspace, reader, pretty):
    values = [envelope("3505", "selinfo", sale(f"p{i}", [CODE_A])) for i in range(3)]
    text = "\n".join(json.dumps(v, ensure_ascii=False, indent=1) for v in values) if pretty \
        else json.dumps(values, ensure_ascii=False, indent=1)
    (tmp_path / "bom.json").write_bytes(b"\xef\xbb\xbf" + text.encode())
    report = load(tmp_path / "bom.json")
    assert [row["record_no"] for row in events(workspace)] == ["p0", "p1", "p2"]
    assert (report.counts.read, report.counts.rejected) == (3, 0)


def test_a_utf8_line_in_a_gb18030_file_is_rejected_not_misread(tmp_path, load, workspace, reader):
    lines = [_line(f"g{i}", "板蓝根颗粒").encode("gb18030") for i in range(4)]
    lines[2] = _line("u1", "连花清瘟胶囊").encode()  # decodes as GB18030 too, into other characters
    (tmp_path / "gb.ndjson").write_bytes(b"\n".join(lines) + b"\n")
    report = load(tmp_path / "gb.ndjson")
    assert [row["record_no"] for row in events(workspace)] == ["g0", "g1", "g3"]
    [found] = rejects(workspace)
    assert found["source_line"] == 3 and "reads as UTF-8" in found["reject_reason"]
    assert "连花清瘟胶囊" in found["source_text"]
    assert (report.counts.read, report.counts.rejected) == (4, 1)
    table = tmp_path / "gb.csv"
    table.write_bytes((HEADER + csv_row("c1", name="板蓝根颗粒")).encode("gb18030") + csv_row("c2", name="连花清瘟胶囊").encode())
    with pytest.raises(BadInput, match="line 3"):
        load(table)


def test_a_json_value_nested_too_deeply_is_a_reject_not_a_crash(tmp_path, load, workspace, reader):
    deep = {"infno": "3505", "input": {"selinfo": sale("d1", [CODE_A], memo=json.loads("[" * 300 + "]" * 300))}}
    text = json.dumps([envelope("3505", "selinfo", sale("d0", [CODE_A])), deep], ensure_ascii=False)
    (tmp_path / "deep.json").write_text(text, encoding="utf-8")
    report = load(tmp_path / "deep.json")
    assert [row["record_no"] for row in events(workspace)] == ["d0"]
    [found] = rejects(workspace)
    assert found["source_line"] == 2 and "deeply" in found["reject_reason"]
    assert (report.counts.read, report.counts.rejected) == (2, 1)


def test_a_workbook_damaged_after_its_header_is_bad_input(tmp_path, load, reader):
    book = openpyxl.Workbook()
    book.active.append(HEADER.strip().split(","))
    for i in range(2000):
        book.active.append(csv_row(f"x{i}").strip().split(","))
    book.save(tmp_path / "full.xlsx")
    with zipfile.ZipFile(tmp_path / "full.xlsx") as whole, zipfile.ZipFile(tmp_path / "cut.xlsx", "w") as cut:
        for item in whole.infolist():  # the sheet's XML cut in half, the rest intact
            content = whole.read(item)
            cut.writestr(item, content[: len(content) // 2] if item.filename.endswith("sheet1.xml") else content)
    with pytest.raises(BadInput, match="damaged"):
        load(tmp_path / "cut.xlsx")

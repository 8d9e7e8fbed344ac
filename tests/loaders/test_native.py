"""The compiled fast path gives exactly what the SQL path gives: the same events, deletes, rejects and
counts, on generated data and on hand-made edge cases; and it really takes the ordinary records."""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loaders import native, nhsa_json
from loaders.csv_lines import line_cells
from loaders.ingest import ingest
from loaders.tracecode import gtin_check_digit, parse_trace_code, split_code_cell
from loaders.workspace import Workspace
from tests.conftest import CODE_A, CODE_B, envelope, sale, write_ndjson
from workbench.synth import generate

needs_native = pytest.mark.skipif(not native.available(), reason="the compiled fast path is not built")


def test_the_fast_path_is_built_where_ci_runs():
    if os.environ.get("CI") != "true":
        pytest.skip("outside CI the fast path is optional")
    assert native.available(), "CI builds native/ (make setup): the loaders' fast path must load"


def _ingest_both(paths: list[Path], root: Path, monkeypatch) -> dict[str, dict]:
    """Ingest the same files with the SQL path alone and with the fast path; return both outputs."""
    outputs = {}
    for mode in ("0", "1"):
        monkeypatch.setenv("TCW_NATIVE", mode)
        ws = Workspace(root / f"ws{mode}")
        report = ingest(paths, ws, workers=1)
        outputs[mode] = {"counts": report.counts, "events": _rows(ws.event_files(), "event_id"),
                         "deletes": _rows(ws.parts("deletes"), "source_file, source_line, record_index"),
                         "rejects": _rows(ws.parts("rejects"), "source_file, source_line, record_index, reject_field")}
    return outputs


def _rows(files: list[str], order: str) -> list[tuple]:
    if not files:
        return []
    return duckdb.sql(f"SELECT * FROM read_parquet($f) ORDER BY {order}", params={"f": files}).fetchall()  # noqa: S608


def _assert_same(outputs: dict[str, dict]) -> None:
    sql, fast = outputs["0"], outputs["1"]
    assert fast["counts"] == sql["counts"]
    for kind in ("events", "deletes", "rejects"):
        assert len(fast[kind]) == len(sql[kind]), kind
        for fast_row, sql_row in zip(fast[kind], sql[kind], strict=True):
            assert fast_row == sql_row, kind


@needs_native
@pytest.mark.parametrize(("seed", "scale"), [(3, "tiny"), (11, "demo")])
def test_generated_district_reads_the_same_on_both_paths(tmp_path, monkeypatch, seed, scale):
    generate(tmp_path / "data", seed=seed, scale=scale)
    _assert_same(_ingest_both([tmp_path / "data" / "uploads", tmp_path / "data" / "reference"], tmp_path,
                              monkeypatch))


@needs_native
def test_the_fast_path_takes_the_ordinary_lines(tmp_path):
    generate(tmp_path / "data", seed=5, scale="tiny", fmt="json")
    files = sorted((tmp_path / "data" / "uploads").rglob("*.ndjson"))
    events = native.builder("")
    lines = declined = 0
    for index, path in enumerate(files):
        data, _ = nhsa_json.block_bytes(path, 0, path.stat().st_size, "utf-8")
        lines += data.count(b"\n")
        declined += len(native.add_lines(events, data, 1, index, str(path)))
    assert lines > 1000
    assert declined <= lines // 100


def _edge_lines() -> list:
    """Format-A lines the fast path must read exactly as SQL does, or hand back."""
    codes = [CODE_A, CODE_B]
    odd_sales = [
        sale("n1", codes, sel_retn_cnt=1.50, finl_trns_pric=3),  # numbers as JSON tokens
        sale("n2", codes, sel_retn_cnt="1e3", finl_trns_pric="1,5"),  # text a number reader may not take
        sale(" n3 ", codes, psn_no=" 1 ", psn_name="\u3000李四", certno="\t5"),  # padding of every kind
        sale("n4", [" " + CODE_A + " ", "  "], sel_retn_time="2025-06-01"),  # padded codes, date only
        sale("n5", [CODE_A + "," + CODE_B, CODE_A + " 8123", "8123 4560 0000 0000 0012"]),  # several per cell
        sale("n6", ["(01)06901234567892(17)260200(10)B1(21)S1", "]d2010690123456789221S2\x1d10B1",
                    "(01)06901234567893(21)S3", "(01)06901234567892(17)261332(21)S4", "ABC-12345", "无"]),
        sale("n7", codes, sel_retn_time="2025-02-30 10:00:00"),  # impossible date: a reject
        sale("n8", codes, sel_retn_time="2025/06/01 10:00:00", trdn_flag=1, mdtrt_setl_type=2),
        sale("n9", codes, drugtracinfo={"drug_trac_codg": CODE_A}, drug_trac_codg=CODE_B),
        sale("n10", [], drugtracinfo=[CODE_A, {"drug_trac_codg": CODE_B, "x": 1}]),
        sale("n11", [], drugtracinfo=[{"other": 1}]),
        sale("n12", [], drugtracinfo=CODE_A, medins_prod_sel_no="", medins_prod_purc_no="P1"),
        sale("n13", codes, fixmedins_code="p50011600099", sel_retn_cnt="abc"),
        sale("n14", codes, med_list_codg=""),
        sale("n15", codes, fixmedins_hilist_name=12, psn_no=500116000001),
        sale("n16", codes, sel_retn_cnt="1e309"),  # numbers that are not finite: rejects
        sale("n17", codes, sel_retn_cnt="Infinity", finl_trns_pric="NaN"),
        sale("n18", codes, sel_retn_cnt="1" + "0" * 400),
        sale("n19", codes, sel_retn_cnt=1e200, finl_trns_pric=1e200),  # the amount overflows
        sale("n20", codes, sel_retn_time="0001-01-01 00:00:00"),  # business times out of range
        sale("n21", codes, sel_retn_time="9999-12-31 23:59:59"),
        sale("n22", codes, sel_retn_time="2017-12-31"),
        sale("n23", [CODE_A + "\u3000" + CODE_B, CODE_A + "｜" + CODE_B + "\u00a0" + CODE_A]),  # wide separators
    ]
    lines = [envelope("3505", "selinfo", record) for record in odd_sales]
    lines += [
        envelope("3505A", "selinfoDetail", [sale("d1", [CODE_A]), sale("d2", [CODE_B], sel_retn_time="bad")]),
        envelope("3502", "invinfo", sale("c1", [CODE_A], inv_chg_type="101", cnt=2, inv_chg_time="2025-06-03 08:00:00")),
        envelope("3502", "invinfo", sale("c2", [CODE_A], inv_chg_type="199", cnt=2, inv_chg_time="2025-06-03 08:00:00")),
        envelope("3507", "data", {"fixmedins_bchno": "n1", "inv_data_type": "4"}),
        envelope("3507", "data", {"fixmedins_bchno": "n2", "inv_data_type": "9"}),
        envelope("3505", "selinfo", sale("t1", [CODE_A]), inf_time="2025-06-02T01:10:00"),
        {"infno": "3505", "fixmedins_code": "P50011600012", "input": json.dumps({"selinfo": sale("s1", [CODE_B])})},
        {"infno": 3505, "fixmedins_code": "P50011600012", "input": {"selinfo": [sale("s2", [CODE_B])]}},
        {"infno": "9999", "fixmedins_code": "P50011600012", "input": {"selinfo": sale("u1", [CODE_B])}},
        '{"infno":"3505","infno":"3506","fixmedins_code":"P50011600012","input":{"selinfo":{}}}',
        '{"infno":"3505","fixmedins_code":"P50011600012","input":{"selinfo":{"fixmedins_bchno":"e\\u0031",'
        '"med_list_codg":"X","sel_retn_cnt":"1","sel_retn_time":"2025-06-01 10:00:00"}}}',
        "not json at all",
        '{"infno":"3505","fixmedins_code":"P50011600012","input":{"selinfo":{"fixmedins_bchno":"big",'
        '"med_list_codg":"X","sel_retn_cnt":1e309,"sel_retn_time":"2025-06-01 10:00:00"}}}',
        *_twice_given_keys(), "[1,2]", '"x"', "42", "null", "true",  # lines that are not objects
    ]
    return lines


def _twice_given_keys() -> list[str]:
    """Envelopes with a key given twice: in the envelope, in input, in a record, in a code item."""
    record = '{"fixmedins_bchno":"%s","med_list_codg":"X","sel_retn_cnt":1,"sel_retn_time":"2025-06-01 10:00:00"%s}'
    head = '{"infno":"3505%s","fixmedins_code":"P50011600012"%s,"input":{%s}}'
    return [head % ("", ',"msgid":"1","msgid":"2"', '"selinfo":' + record % ("k1", "")),
            head % ("", ',"inf_time":"2025-06-02 01:10:00","inf_time":"2025-06-03 01:10:00"',
                    '"selinfo":' + record % ("k2", "")),
            head % ("", "", '"selinfo":' + record % ("k3", "") + ',"selinfo":' + record % ("k4", "")),
            head % ("", "", '"x":1,"x":1,"selinfo":' + record % ("k5", "")),
            head % ("", "", '"selinfo":' + record % ("k6", ',"psn_no":"1","psn_no":"1"')),
            head % ("A", "", '"selinfoDetail":[' + record % ("k7", "") + "," + record % ("k8", ',"memo":1,"memo":2')
                    + "]"),
            head % ("", "", '"selinfo":' + record % ("k9", f',"drugtracinfo":[{{"drug_trac_codg":"{CODE_A}",'
                                                            f'"drug_trac_codg":"{CODE_B}"}}]')),
            head % ("", "", '"fixmedins_bchno":"k10","fixmedins_bchno":"k11","med_list_codg":"X"')]


@needs_native
def test_edge_cases_read_the_same_on_both_paths(tmp_path, monkeypatch):
    upload = write_ndjson(tmp_path / "edge.ndjson", _edge_lines())
    table = tmp_path / "edge.csv"
    table.write_text(
        "接口编号,定点医药机构编码,医保药品编码,批次流水号,销售数量,销售时间,追溯码,单价,拆零标志,人员姓名\n"
        f"商品销售,P50011600012,X1,c1,2,2025-06-01 10:00:00,\"{CODE_A},{CODE_B}\",1.5,是, 王五 \n"
        f"3505,p50011600012,X1,c2,2,2025-06-01 10:00:00,{CODE_A} {CODE_B},1.5,0,\n"
        f"3505,P50011600012,X1,c3,x,2025-06-01 10:00:00,{CODE_A},,,\n"
        "删除,P50011600012,,c1,,,,,,\n",
        encoding="gb18030",
    )
    _assert_same(_ingest_both([upload, table, _broken_csv(tmp_path / "broken.csv")], tmp_path, monkeypatch))


def _broken_csv(path: Path) -> Path:
    """A UTF-8 (BOM) CSV whose lines break the one-record-per-line rule in every way, between good ones."""
    row = "3505,P50011600012,X1,{},1,2025-06-01 10:00:00,{},1.5,0,张三\r\n"
    lines = ["\ufeff \t\r\n", "接口编号,定点医药机构编码,医保药品编码,批次流水号,销售数量,销售时间,追溯码,单价,拆零标志,人员姓名\r\n",
             row.format("b1", CODE_A), row.format("b2", '"' + CODE_A).replace("张三", '"奥美拉唑 20mg'),
             row.format("b3", f'"{CODE_A}"x'), " \t\r\n", row.format("b4", CODE_A).replace("张三", "张\r三"),
             row.format("b5", CODE_A).replace(",张三", ""), row.format("b6", CODE_A) + ",extra", '"\r\n',
             row.format("b7", f'"{CODE_A}"""'), row.format("b8", f'a"b,"{CODE_B}"')]
    path.write_text("".join(lines), encoding="utf-8", newline="")
    return path


@st.composite
def gs1_strings(draw) -> str:
    """GS1 element strings as scanners and exports render them, valid or slightly wrong."""
    body = draw(st.text("0123456789", min_size=13, max_size=13))
    check = gtin_check_digit(body) if draw(st.booleans()) else draw(st.sampled_from("0123456789"))
    elements = [("01", body + check), ("21", draw(st.text("ABCXYZ0123456789-", min_size=0, max_size=22)))]
    if draw(st.booleans()):
        elements.append(("17", draw(st.sampled_from(["260200", "261231", "250230", "251301", "2612"]))))
    if draw(st.booleans()):
        elements.append(("10", draw(st.text("AB12", min_size=1, max_size=6))))
    if draw(st.booleans()):
        elements.append(draw(st.sampled_from([("21", "OTHER"), ("99", "X"), ("240", "P1")])))
    elements = draw(st.permutations(elements))
    if draw(st.booleans()):
        text = "".join(f"({ai}){value}" for ai, value in elements)
    else:
        text = "".join(ai + value + ("\x1d" if ai not in ("01", "17") else "") for ai, value in elements)
    return draw(st.sampled_from(["", "]d2", "]C1", " ", "'"])) + text


@needs_native
@settings(max_examples=500, deadline=None)
@given(gs1_strings())
def test_compiled_gs1_reading_agrees_with_the_rules_library(code):
    found = native.tcw_native.clean_gs1(code)
    parsed = parse_trace_code(code)
    if found is not None:
        assert (parsed.scheme, parsed.code, parsed.product_id, parsed.reason) == ("gs1", *found, "")
    elif parsed.scheme == "gs1" and code.isascii() and not set(" '") & set(code) and not code.endswith("\x1d"):
        pytest.fail(f"a clean, valid GS1 string was left to the library: {code!r}")


@needs_native
@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([",", "，", ";", "；", "|", "｜", "、", "\t", " ", "  ", "\u3000", "\u200b", "\u00a0",
                                  "\x0b", "\u2028", "\x1d", "8123", "4560", "0000", "0012", "81234560000000000012",
                                  "AB-1", "(01)", "码"]), max_size=14).map("".join))
def test_compiled_cell_splitting_agrees_with_the_rules_library(cell):
    found = native.tcw_native.split_plain(cell)
    if found is not None:
        assert found == split_code_cell(cell)
    elif cell.isascii():
        assert "(" in cell, f"an ASCII cell was left to the library: {cell!r}"


@needs_native
@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(['"', '""', ",", "a", "码", " ", "\t", "|", ";", "\x00"]), max_size=12).map("".join)
       .filter(lambda line: line.strip(" \t")),  # a blank line holds no record on either path
       st.sampled_from([",", "|", "\t", ";"]))
def test_compiled_csv_lines_read_as_the_python_reader_reads_them(line, delimiter):
    assert native.tcw_native.csv_cells(line, delimiter) == line_cells(line, delimiter)


@needs_native
def test_compiled_gb18030_decoding_is_the_codecs_own():
    pairs = [bytes((lead, trail)) for lead in range(0x80, 0x100) for trail in range(0x30, 0x100)]
    decoded = 0
    for pair in [*pairs, *(bytes((0x81, 0x30 + d, 0x81 + t, 0x30 + e)) for d in range(10) for t in range(126)
                           for e in range(10))]:
        found = native.tcw_native.gb18030_to_utf8(pair)
        if found is not None:
            decoded += 1
            assert found == pair.decode("gb18030").encode("utf-8"), pair
    assert decoded > 30_000
    text = "江津区几江门诊部,奥美拉唑肠溶胶囊 20mg*14粒,张三,𠀀\n"
    assert native.tcw_native.gb18030_to_utf8(text.encode("gb18030")) == text.encode("utf-8")  # four bytes too


@needs_native
@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from([b"a", b",", b"\n", b"\x80", b"\x81", b"\x30", b"\x39", b"\xa3", b"\xa0", b"\xa6\xd9",
                                 b"\xfe\x59", b"\x81\x35\xf4\x37", b"\xd2\xa9", b"\xff", b"\x95\x32\x82\x36"]),
                max_size=12).map(b"".join))
def test_compiled_gb18030_decoding_gives_the_codecs_text_or_leaves_it_to_the_codec(data):
    found = native.tcw_native.gb18030_to_utf8(data)
    if found is not None:
        assert found == data.decode("gb18030").encode("utf-8")

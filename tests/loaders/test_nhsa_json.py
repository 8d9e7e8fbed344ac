"""Format A: interface envelopes as institutions send them, read into canonical events."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import CODE_A, CODE_B, INSTITUTION, envelope, events, rejects, sale, write_ndjson


def test_a_sale_becomes_one_event_per_code_with_business_time(tmp_path, load, workspace):
    path = write_ndjson(tmp_path / "a.ndjson", [envelope("3505", "selinfo", sale("S1", [CODE_A, CODE_B]))])
    report = load(path)
    rows = events(workspace)
    assert [r["trace_code"] for r in rows] == [CODE_A, CODE_B]
    first = rows[0]
    assert first["event_type"] == "sale"
    assert str(first["event_time"]) == "2025-06-01 10:30:12"  # sel_retn_time, not inf_time
    assert str(first["upload_time"]) == "2025-06-02 01:10:00"
    assert first["institution_code"] == INSTITUTION and first["institution_type"] == "pharmacy"
    assert first["region_code"] == "500116"
    assert first["source_record"] == f"3505|{INSTITUTION}|S1"
    assert first["source_line"] == 1 and first["code_scheme"] == "nmpa20"
    assert first["code_product_id"] == CODE_A[:7]
    assert report.counts.read == 1 and report.counts.accepted == 1 and report.counts.events_new == 2


def test_a_record_quantity_is_shared_by_its_codes_not_multiplied(tmp_path, load, workspace):
    record = sale("S1", [CODE_A, CODE_B], sel_retn_cnt=2, finl_trns_pric=10)
    load(write_ndjson(tmp_path / "a.ndjson", [envelope("3505", "selinfo", record)]))
    rows = events(workspace)
    assert [r["quantity"] for r in rows] == [1.0, 1.0]
    assert sum(r["amount"] for r in rows) == pytest.approx(20.0)
    assert {r["record_quantity"] for r in rows} == {2.0} and {r["record_code_count"] for r in rows} == {2}


def test_batch_variants_list_nodes_and_older_flat_code(tmp_path, load, workspace):
    lines = [
        envelope("3505A", "selinfoDetail", [sale("S1", [CODE_A]), sale("S2", [CODE_B])]),
        envelope("3505", "selinfo", [sale("S3", ["81234560000000000014"])]),  # list under the object name
        envelope("3505", "selinfo", {**sale("S4"), "drugtracinfo": {"drug_trac_codg": "81234560000000000015"}}),
        envelope("3505", "selinfo", {**sale("S5"), "drugtracinfo": None,
                                     "drug_trac_codg": "81234560000000000016,81234560000000000017"}),
        {**envelope("3505", "selinfo", {}), "input": json.dumps({"selinfo": sale("S6", ["81234560000000000018"])})},
        {**envelope("3505", "selinfo", {}), "input": sale("S7", ["81234560000000000019"])},
    ]
    load(write_ndjson(tmp_path / "a.ndjson", lines))
    rows = events(workspace)
    assert [(r["record_no"], r["trace_code"][-2:]) for r in rows] == [
        ("S1", "12"), ("S2", "13"), ("S3", "14"), ("S4", "15"), ("S5", "16"), ("S5", "17"), ("S6", "18"), ("S7", "19"),
    ]
    assert [r["record_index"] for r in rows[:2]] == [1, 2]
    assert {r["quantity"] for r in rows if r["record_no"] == "S5"} == {0.5}


def test_every_interface_maps_to_its_event_type_and_time(tmp_path, load, workspace):
    base = {"med_list_codg": "XA01", "fixmedins_hilist_name": "药"}
    lines = [
        envelope("3501", "invinfo", {**base, "fixmedins_bchno": "I1", "invdate": "2025-04-01", "inv_cnt": 5,
                                     "drugtracinfo": [{"drug_trac_codg": CODE_A}]}),
        envelope("3502", "invinfo", {**base, "fixmedins_bchno": "C1", "inv_chg_type": "102", "cnt": 1,
                                     "inv_chg_time": "2025-04-02 09:00:00", "drugtracinfo": [{"drug_trac_codg": CODE_A}]}),
        envelope("3502", "invinfo", {**base, "fixmedins_bchno": "C2", "inv_chg_type": "101", "cnt": 1,
                                     "inv_chg_time": "2025-04-02 10:00:00"}),
        envelope("3503", "purcinfo", {**base, "fixmedins_bchno": "U1", "purc_retn_cnt": 50, "spler_name": "重庆医药",
                                      "purc_retn_stoin_time": "2025-04-03 08:00:00", "manu_lotnum": "B1"}),
        envelope("3504", "purcinfo", {**base, "fixmedins_bchno": "U2", "purc_retn_cnt": 5,
                                      "purc_retn_stoin_time": "2025-04-04 08:00:00"}),
        envelope("3506", "selinfo", sale("R1", [CODE_A], medins_prod_sel_no="S1", sel_retn_time="2025-04-05 08:00:00")),
    ]
    load(write_ndjson(tmp_path / "a.ndjson", lines))
    got = [(r["family"], r["event_type"], str(r["event_time"])[:10], r["code_scheme"]) for r in events(workspace)]
    assert got == [
        ("3501", "inventory", "2025-04-01", "nmpa20"), ("3502", "transfer_out", "2025-04-02", "nmpa20"),
        ("3502", "transfer_in", "2025-04-02", "none"), ("3503", "purchase", "2025-04-03", "none"),
        ("3504", "purchase_return", "2025-04-04", "none"), ("3506", "sale_return", "2025-04-05", "nmpa20"),
    ]
    purchase = events(workspace, "family = '3503'")[0]
    assert purchase["supplier"] == "重庆医药" and purchase["batch_no"] == "B1" and purchase["quantity"] == 50
    assert events(workspace, "family = '3506'")[0]["ref_record_no"] == "S1"


def test_malformed_lines_become_rejects_with_line_field_and_reason(tmp_path, load, workspace):
    lines = [
        envelope("3505", "selinfo", sale("S1", [CODE_A])),
        '{"infno": "3505", broken',
        envelope("3505", "selinfo", sale("S2", [CODE_B], sel_retn_cnt="abc")),
        envelope("3505", "selinfo", sale("S3", [CODE_B], sel_retn_time="06/01/2025 10h")),
        envelope("3505", "selinfo", sale("S4", [CODE_B], med_list_codg="")),
        {**envelope("3505", "selinfo", sale("S5", [CODE_B])), "fixmedins_code": ""},
        envelope("9999", "selinfo", sale("S6", [CODE_B])),
        envelope("3505A", "selinfoDetail", []),
        envelope("3505", "selinfo", sale("S7", [CODE_B], finl_trns_pric="12,5元")),
    ]
    report = load(write_ndjson(tmp_path / "a.ndjson", lines))
    found = {r["source_line"]: (r["reject_field"], r["reject_reason"]) for r in rejects(workspace)}
    assert found[2][0] == "(line)" and "malformed JSON" in found[2][1]
    assert found[3] == ("sel_retn_cnt", '数量不是数字 / quantity "abc" is not a number')
    assert found[4][0] == "sel_retn_time" and "06/01/2025 10h" in found[4][1]
    assert found[5][0] == "med_list_codg"
    assert found[6][0] == "fixmedins_code"
    assert found[7][0] == "infno" and "9999" in found[7][1]
    assert found[8][0] == "input"
    assert found[9][0] == "finl_trns_pric"
    assert '"fixmedins_bchno":"S2"' in rejects(workspace)[1]["source_text"]  # the record is kept
    counts = report.counts
    assert (counts.read, counts.accepted, counts.rejected, counts.duplicates) == (9, 1, 8, 0)


def test_reingest_changes_nothing_and_counts_duplicates(tmp_path, load, workspace):
    path = write_ndjson(tmp_path / "a.ndjson", [envelope("3505", "selinfo", sale(f"S{i}", [f"8123456000000000{i:04d}"]))
                                                for i in range(20)] + ['{"bad'])
    load(path)
    before = {path: Path(path).read_bytes() for path in workspace.event_files()}
    again = load(path)
    assert {path: Path(path).read_bytes() for path in workspace.event_files()} == before
    assert (again.counts.read, again.counts.accepted, again.counts.duplicates, again.counts.rejected) == (21, 0, 20, 1)
    assert len(rejects(workspace)) == 1  # the same reject is not stored twice


def test_his_double_upload_is_a_duplicate_not_a_second_event(tmp_path, load, workspace):
    record = sale("S1", [CODE_A])
    first = write_ndjson(tmp_path / "day1.ndjson", [envelope("3505", "selinfo", record),
                                                    envelope("3505", "selinfo", record, inf_time="2025-06-02 02:00:00")])
    second = write_ndjson(tmp_path / "day2.ndjson", [envelope("3505", "selinfo", record, inf_time="2025-06-03 01:00:00")])
    report = load(first, second)
    assert (report.counts.read, report.counts.accepted, report.counts.duplicates) == (3, 1, 2)
    assert len(events(workspace)) == 1


def test_3507_delete_removes_the_named_record(tmp_path, load, workspace):
    lines = [
        envelope("3505", "selinfo", sale("S1", [CODE_A])),
        envelope("3505", "selinfo", sale("S2", [CODE_B])),
        envelope("3507", "data", {"fixmedins_bchno": "S1", "inv_data_type": "4"}, inf_time="2025-06-05 00:00:00"),
        envelope("3507", "data", {"fixmedins_bchno": "S2", "inv_data_type": "3"}, inf_time="2025-06-05 00:00:00"),
    ]
    report = load(write_ndjson(tmp_path / "a.ndjson", lines))
    assert [r["record_no"] for r in events(workspace)] == ["S2"]  # type 3 (purchases) does not touch a sale
    assert report.counts.deletes == 2 and report.counts.events_deleted == 1
    later = write_ndjson(tmp_path / "b.ndjson", [envelope("3505", "selinfo", sale("S9", [CODE_A]))])
    load(later)
    assert sorted(r["record_no"] for r in events(workspace)) == ["S2", "S9"]


def test_delete_arriving_in_a_later_run_applies(tmp_path, load, workspace):
    load(write_ndjson(tmp_path / "a.ndjson", [envelope("3505", "selinfo", sale("S1", [CODE_A]))]))
    load(write_ndjson(tmp_path / "b.ndjson", [envelope("3507", "data", {"fixmedins_bchno": "S1", "inv_data_type": "4"},
                                                       inf_time="2025-06-09 00:00:00")]))
    assert events(workspace) == []


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig"])
def test_encodings_of_json_uploads(tmp_path, load, workspace, encoding):
    load(write_ndjson(tmp_path / "a.ndjson", [envelope("3505", "selinfo", sale("S1", [CODE_A]))], encoding=encoding))
    assert events(workspace)[0]["product_name"] == "奥美拉唑肠溶胶囊"


def test_one_json_array_and_pretty_printed_envelopes(tmp_path, load, workspace):
    items = [envelope("3505", "selinfo", sale(f"S{i}", [f"812345600000000000{i:02d}"])) for i in range(3)]
    (tmp_path / "array.json").write_text(json.dumps(items, ensure_ascii=False, indent=2), encoding="utf-8")
    (tmp_path / "pretty.json").write_text("\n".join(json.dumps(e, indent=2) for e in items[:2]), encoding="utf-8")
    report = load(tmp_path / "array.json", tmp_path / "pretty.json")
    assert report.counts.read == 5 and report.counts.accepted == 3 and report.counts.duplicates == 2
    assert [r["source_line"] for r in events(workspace)] == [1, 2, 3]


def test_codes_are_canonicalised_and_invalid_codes_kept_with_reason(tmp_path, load, workspace):
    codes = ["]d2(01)06901234567892(17)261231(21)SN1", "0106901234567892" "17261231" "21SN1",
             "8123 4560 0000 0000 0020", "8123456000000000002", "无"]
    load(write_ndjson(tmp_path / "a.ndjson", [envelope("3505", "selinfo", sale("S1", codes))]))
    rows = events(workspace)
    assert [r["code_scheme"] for r in rows] == ["gs1", "gs1", "nmpa20", "invalid", "none"]
    assert rows[0]["trace_code"] == rows[1]["trace_code"] == "010690123456789221SN1"
    assert rows[2]["trace_code"] == "81234560000000000020"
    assert rows[3]["code_issue"] == "长度 19 位，应为 20 位 / length 19, expected 20"


def test_drugtracinfo_as_a_list_of_plain_strings_or_mixed(tmp_path, load, workspace):
    lines = [
        envelope("3505", "selinfo", {**sale("S1"), "drugtracinfo": [CODE_A, CODE_B]}),
        envelope("3505", "selinfo", {**sale("S2"), "drugtracinfo": [{"drug_trac_codg": "81234560000000000031"},
                                                                    "81234560000000000032"]}),
    ]
    load(write_ndjson(tmp_path / "a.ndjson", lines))
    assert [r["trace_code"] for r in events(workspace)] == [CODE_A, CODE_B, "81234560000000000031",
                                                           "81234560000000000032"]

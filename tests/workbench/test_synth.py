"""Tests of the synthetic district generator (workbench.synth) on real generated files."""
from __future__ import annotations

import csv
import hashlib
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import orjson
import pytest

from tests.workbench.synth_reader import Row, decode_table, read_all, read_json
from workbench.synth import generate
from workbench.synth.codes import gtin_valid
from workbench.synth.people import certno_valid
from workbench.synth.truth import COLUMNS, read

KINDS = {"substitution", "reflux", "phantom_sale", "counterfeit", "collection_gap", "repeat", "split_sale",
         "return_resale", "chain_transfer", "double_upload", "settlement_reversal", "case_unit", "delete_3507",
         "exempt_item", "return_transfer", "return_resale_elsewhere", "reflux_resold", "reflux_transfer"}
NETWORKS = ("RING-", "CLU-", "CHAINNET-")  # planted networks (tests/workbench/test_synth_networks.py)
TS = "%Y-%m-%d %H:%M:%S"
SEED = int(os.environ.get("TCW_SYNTH_TEST_SEED", "7"))  # sweep other seeds by hand with this variable


def _ts(s: str) -> datetime:
    return datetime.strptime(s, TS)


def _csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp(f"tiny{SEED}")
    ticks: list[int] = []
    summary = generate(out, seed=SEED, scale="tiny", progress=ticks.append)
    summary["_ticks"] = sum(ticks)
    return out, summary


@pytest.fixture(scope="module")
def rows(tiny) -> list[Row]:
    return read_all(tiny[0])


@pytest.fixture(scope="module")
def truth(tiny) -> list[dict]:
    return read(tiny[0] / "truth.csv")


@pytest.fixture(scope="module")
def sales(rows) -> dict[str, list[Row]]:
    """3505 rows per canonical code (double uploads collapsed, 3507 deletes applied)."""
    deleted = {(r.inst, r.bchno) for r in rows if r.infno == "3507" and r.rec.get("inv_data_type") == "4"}
    seen, out = set(), defaultdict(list)
    for r in rows:
        key = (r.inst, r.bchno)
        if r.infno != "3505" or key in seen or key in deleted:
            continue
        seen.add(key)
        for c in r.canon:
            out[c].append(r)
    for hits in out.values():
        hits.sort(key=lambda r: r.time)
    return out


# ---- layout, determinism, formats ----------------------------------------------------------------
def test_layout_and_summary(tiny):
    out, summary = tiny
    for f in ("truth.csv", "networks.csv", "summary.json", "reference/institutions.csv", "reference/products.csv",
              "reference/pack_relations.csv"):
        assert (out / f).is_file(), f
    assert list((out / "uploads" / "json").glob("P500116?????/2025??.ndjson"))
    assert list((out / "uploads" / "table").glob("[HP]500116?????_2025??.csv"))
    assert len(list((out / "uploads" / "table").glob("*.xlsx"))) >= 1
    on_disk = orjson.loads((out / "summary.json").read_bytes())
    assert on_disk == {k: v for k, v in summary.items() if not k.startswith("_")}
    assert 3_000 <= summary["records_total"] <= 5_500
    assert summary["_ticks"] == summary["records_total"]
    assert set(summary["cases"]) | set(summary["traps"]) | set(summary["network_only"]) == KINDS


def test_same_seed_same_bytes_other_seed_differs(tmp_path, tiny):
    generate(tmp_path / "a", seed=SEED, scale="tiny")
    assert _hashes(tmp_path / "a") == _hashes(tiny[0])
    generate(tmp_path / "b", seed=SEED + 1, scale="tiny")
    assert (tmp_path / "b" / "truth.csv").read_bytes() != (tmp_path / "a" / "truth.csv").read_bytes()
    assert set(_hashes(tmp_path / "b").values()).isdisjoint(
        v for k, v in _hashes(tmp_path / "a").items() if k.startswith("uploads"))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_kind_planted_at_several_seeds(tmp_path, seed):
    generate(tmp_path, seed=seed, scale="tiny", fmt="json")
    t = read(tmp_path / "truth.csv")
    assert {r["kind"] for r in t} == KINDS
    assert list(t[0]) == COLUMNS
    single = [r for r in t if not r["case_id"].startswith(NETWORKS)]
    per_kind = Counter(r["kind"] for r in {r["case_id"]: r for r in single}.values())
    for k in ("substitution", "reflux", "phantom_sale", "counterfeit"):
        assert 3 <= per_kind[k] <= 6, (k, per_kind[k])
    assert not list((tmp_path / "uploads" / "table").iterdir())


def test_json_envelopes_nodes_and_fields(tiny):
    out = tiny[0]
    node_of = {"3501": "invinfo", "3502": "invinfo", "3503": "purcinfo", "3504": "purcinfo", "3505": "selinfo",
               "3506": "selinfo", "3507": "data"}
    seen_infno, flat, strings = set(), 0, 0
    for p in sorted((out / "uploads" / "json").rglob("*.ndjson")):
        for line in p.read_bytes().splitlines():
            env = orjson.loads(line)
            code = env["fixmedins_code"]
            assert p.parent.name == code
            assert re.fullmatch(code + r"\d{14}\d{4}", env["msgid"])
            (node, payload), = env["input"].items()
            infno = env["infno"]
            seen_infno.add(infno)
            if infno.endswith("A"):
                assert node == node_of[infno[:4]] + "Detail" and isinstance(payload, list)
            else:
                assert node == node_of[infno]
            for rec in payload if isinstance(payload, list) else [payload]:
                assert rec["fixmedins_bchno"]
                if infno.startswith("3505"):
                    for f in ("med_list_codg", "fixmedins_hilist_id", "fixmedins_hilist_name", "setl_id", "psn_no",
                              "certno", "psn_name", "trdn_flag", "finl_trns_pric", "rtal_docno", "sel_retn_cnt",
                              "sel_retn_time", "mdtrt_setl_type", "manu_lotnum", "manu_date", "expy_end", "rx_flag"):
                        assert f in rec, f
                    assert _ts(rec["sel_retn_time"]) < _ts(env["inf_time"])
                    flat += "drug_trac_codg" in rec
                    strings += isinstance(rec["sel_retn_cnt"], str)
                if infno == "3503":
                    assert "drugtracinfo" not in rec and rec["spler_name"] and rec["purc_retn_cnt"]
                if infno == "3507":
                    assert set(rec) == {"fixmedins_bchno", "inv_data_type"}
    assert {"3501", "3503", "3505", "3505A"} <= seen_infno
    assert flat and strings


def test_table_formats(tiny):
    table = tiny[0] / "uploads" / "table"
    gb = utf = 0
    for p in sorted(table.glob("*.csv")):
        data = p.read_bytes()
        if data.startswith(b"\xef\xbb\xbf"):
            utf += 1
            data[3:].decode("utf-8")
        else:
            with pytest.raises(UnicodeDecodeError):
                data.decode("utf-8")
            data.decode("gb18030")
            gb += 1
        header = next(csv.reader([decode_table(data).splitlines()[0]]))
        assert header[0] in ("接口编号", "业务类型", "infno")
        if "追溯码" in header:
            assert "销售/退货数量" in header and "定点医药机构批次流水号" in header
    assert gb and utf
    from openpyxl import load_workbook

    for p in sorted(table.glob("*.xlsx")):
        ws = load_workbook(p, read_only=True).active
        header = next(ws.iter_rows(values_only=True))
        assert "追溯码" in header and "医保药品编码" in header


def test_csv_only_mode(tmp_path):
    generate(tmp_path, seed=5, scale="tiny", fmt="csv")
    assert not list((tmp_path / "uploads" / "json").iterdir())
    files = list((tmp_path / "uploads" / "table").glob("*.csv"))
    bom = sum(p.read_bytes().startswith(b"\xef\xbb\xbf") for p in files)
    assert 0.25 < bom / len(files) < 0.75
    assert {r["kind"] for r in read(tmp_path / "truth.csv")} == KINDS


# ---- identities and reference data -----------------------------------------------------------------
def test_identifiers_and_reference(tiny, rows):
    ref = tiny[0] / "reference"
    insts = list(_csv(ref / "institutions.csv"))
    types = Counter(i["type"] for i in insts)
    assert types["pharmacy"] >= 30 and types["hospital"] >= 3 and types["clinic"] >= 4 and types["supplier"]
    assert {i["region"] for i in insts} >= {"500116", "500101", "500103", "510104", "530102"}
    chains = Counter(i["chain"] for i in insts if i["chain"])
    assert len(chains) == 2 and all(3 <= n <= 5 for n in chains.values())
    for i in insts:
        if i["type"] != "supplier":
            assert re.fullmatch(r"[HP]\d{11}", i["code"]) and i["code"][1:7] == i["region"]
    prods = list(_csv(ref / "products.csv"))
    assert len(prods) >= 40
    for p in prods:
        prefixes = [x for x in p["trace_prefixes"].split("|") if x]
        if p["exempt"] == "1":
            assert not prefixes
        elif len(prefixes[0]) == 14:
            assert all(gtin_valid(g) for g in prefixes)
        else:
            assert all(re.fullmatch(r"8\d{6}", x) for x in prefixes) and len(set(prefixes)) == len(prefixes)
    insured = [r for r in rows if r.infno == "3505" and r.rec.get("psn_no")]
    assert insured
    for r in insured[:500]:
        assert re.fullmatch(r"\d{26}", r.rec["psn_no"]) and certno_valid(r.rec["certno"])
        assert re.fullmatch(r"[\u4e00-\u9fff]{2,3}", r.rec["psn_name"])


def test_bchno_unique_per_institution_and_interface(rows):
    by_key: dict[tuple, list[Row]] = defaultdict(list)
    for r in rows:
        if r.infno != "3507":
            by_key[(r.inst, r.infno, r.bchno)].append(r)
    for key, group in by_key.items():
        if len(group) > 1:  # only a HIS double upload may repeat a row, with the very same content
            assert len(group) == 2 and _content(group[0]) == _content(group[1]), key


# ---- planted cases show up with the right multiplicity --------------------------------------------
def _content(r: Row) -> dict:
    return {k: v for k, v in r.rec.items() if k != "inf_time"}


def _case_rows(truth, kind):
    return [r for r in truth if r["kind"] == kind]


def test_substitution(truth, sales):
    for t in _case_rows(truth, "substitution"):
        hits = [r for r in sales[t["trace_code"]] if r.inst == t["institution_code"]]
        assert len(hits) == int(t["event_count"]) >= 4
        assert len({r.rec["psn_no"] for r in hits}) == len(hits)
        assert {r.rec["med_list_codg"] for r in hits} == {t["med_list_codg"]}
    mismatched = [t for t in _case_rows(truth, "substitution") if "码属" in t["note_zh"]]
    assert mismatched


def test_reflux(truth, sales):
    rows = _case_rows(truth, "reflux")
    assert len({t["case_id"] for t in rows}) >= 3
    ring = Counter(t["case_id"] for t in rows).most_common(1)[0]
    assert ring[1] >= 4  # several codes in the broker ring
    for t in rows:
        hosp, pharm = t["institutions"].split("|")
        assert hosp.startswith("H") and pharm.startswith("P") and pharm == t["institution_code"]
        hits = sales[t["trace_code"]]
        assert [r.inst for r in hits] == [hosp, pharm]
        assert hits[0].rec["psn_no"] == t["psn_no"] != hits[1].rec["psn_no"]
        gap = _ts(hits[1].time) - _ts(hits[0].time)
        assert timedelta(days=20) <= gap <= timedelta(days=121)


def test_phantom_sale(truth, rows):
    for t in _case_rows(truth, "phantom_sale"):
        mine = [r for r in rows if r.inst == t["institution_code"] and r.rec.get("med_list_codg") == t["med_list_codg"]]
        sold = sum(r.qty for r in mine if r.infno == "3505")
        stocked = sum(r.qty for r in mine if r.infno in ("3503", "3501"))
        codes = [c for r in mine if r.infno == "3505" for c in r.canon]
        assert sold == int(t["event_count"]) and sold >= 2 * stocked and sold - stocked >= 40
        assert len(codes) == len(set(codes)) == sold


def test_counterfeit(truth, sales):
    for t in _case_rows(truth, "counterfeit"):
        hits = sales[t["trace_code"]]
        regions = {r.inst[1:7] for r in hits}
        times = sorted(_ts(r.time) for r in hits)
        assert len(hits) == int(t["event_count"]) >= 3 and len(regions) == len(hits)
        assert times[-1] - times[0] <= timedelta(days=7)


def test_collection_gap(truth, rows, tiny):
    exempt = {p["med_list_codg"] for p in _csv(tiny[0] / "reference/products.csv")
              if p["exempt"] == "1"}
    gap_insts = {t["institution_code"]: t for t in _case_rows(truth, "collection_gap")}
    assert len(gap_insts) == 2
    missing, total = Counter(), Counter()
    for r in rows:
        if r.infno == "3505" and r.rec.get("mdtrt_setl_type") == "1" and r.rec["med_list_codg"] not in exempt:
            late = r.inst in gap_insts and r.time >= gap_insts[r.inst]["first_time"]
            total[(r.inst, late)] += 1
            missing[(r.inst, late)] += not r.codes
    for inst, t in gap_insts.items():
        assert missing[(inst, True)] / total[(inst, True)] > 0.8
        assert missing[(inst, True)] == int(t["event_count"])
    others = sum(n for (inst, _late), n in missing.items() if inst not in gap_insts)
    assert others == 0


# ---- traps -------------------------------------------------------------------------------------------
def test_split_sale(truth, sales, tiny):
    units = {p["med_list_codg"]: int(p["units_per_pack"])
             for p in _csv(tiny[0] / "reference/products.csv")}
    for t in _case_rows(truth, "split_sale"):
        hits = sales[t["trace_code"]]
        assert 3 <= len(hits) == int(t["event_count"]) <= 6
        assert {r.rec["trdn_flag"] for r in hits} == {"1"}
        assert sum(r.qty for r in hits) <= units[t["med_list_codg"]]


def test_return_resale_and_reversal(truth, rows, sales):
    returns = {c: r for r in rows if r.infno == "3506" for c in r.canon}
    for kind in ("return_resale", "settlement_reversal"):
        for t in _case_rows(truth, kind):
            hits = sales[t["trace_code"]]
            ret = returns[t["trace_code"]]
            assert len(hits) == 2 and hits[0].time <= ret.time <= hits[1].time
            assert ret.rec["medins_prod_sel_no"] == hits[0].bchno
            if kind == "settlement_reversal":
                assert _ts(hits[1].time) - _ts(hits[0].time) < timedelta(minutes=30)
                assert hits[0].rec["psn_no"] == hits[1].rec["psn_no"]
                assert hits[0].rec["setl_id"] != hits[1].rec["setl_id"]
            else:
                assert hits[0].rec["psn_no"] != hits[1].rec["psn_no"]


def test_gs1_same_pack_in_several_renderings(truth, rows):
    gs1 = [t for t in truth if t["trace_code"].startswith("01") and len(t["trace_code"]) > 20]
    assert gs1
    renderings = defaultdict(set)
    for r in rows:
        for raw, c in zip(r.codes, r.canon, strict=True):
            renderings[c].add(raw)
    assert max(len(renderings[t["trace_code"]]) for t in gs1) >= 2
    for t in gs1:
        assert gtin_valid(t["trace_code"][2:16])


def test_chain_transfer(truth, rows, sales):
    for t in _case_rows(truth, "chain_transfer"):
        a, b = t["institutions"].split("|")
        moves = {(r.inst, r.rec["inv_chg_type"]) for r in rows if r.infno == "3502" and t["trace_code"] in r.canon}
        assert moves == {(a, "102"), (b, "101")}
        assert [r.inst for r in sales[t["trace_code"]]] == [b]


def test_double_upload(truth, rows):
    for t in _case_rows(truth, "double_upload"):
        hits = sorted((r for r in rows if r.infno == "3505" and t["trace_code"] in r.canon), key=lambda r: r.inf_time)
        assert len(hits) == 2 and _content(hits[0]) == _content(hits[1])
        assert hits[0].inf_time < hits[1].inf_time or not hits[0].inf_time  # some exports lack 上传时间
        if "下月" in t["note_zh"]:
            months = [re.search(r"(\d{6})\.(ndjson|csv|xlsx):", h.source).group(1) for h in hits]
            assert months[0] < months[1]
    assert any("下月" in t["note_zh"] for t in _case_rows(truth, "double_upload"))


def test_case_unit_and_delete(truth, rows, sales, tiny):
    rel = list(_csv(tiny[0] / "reference/pack_relations.csv"))
    for t in _case_rows(truth, "case_unit"):
        children = {r["child_code"] for r in rel if r["parent_code"] == t["trace_code"]}
        assert len(children) == 10
        (sale,) = sales[t["trace_code"]]
        assert set(sale.canon) == children | {t["trace_code"]}
    for t in _case_rows(truth, "delete_3507"):
        raw = [r for r in rows if r.infno == "3505" and t["trace_code"] in r.canon]
        deletes = {r.bchno for r in rows if r.infno == "3507" and r.inst == t["institution_code"]}
        assert len(raw) == 2 and raw[0].bchno in deletes and len(sales[t["trace_code"]]) == 1
    (ex,) = _case_rows(truth, "exempt_item")
    assert any(r.inst == ex["institution_code"] and r.rec["med_list_codg"] == ex["med_list_codg"] and not r.codes
               for r in rows if r.infno == "3505")


def test_background_boxes_sold_once(truth, sales, tiny):
    planted = {t["trace_code"] for t in truth if t["trace_code"]}
    repeated = {c for c, hits in sales.items() if len(hits) > 1}
    assert repeated and repeated <= planted
    assert all(t["trace_code"] in repeated for t in truth if t["kind"] in ("substitution", "counterfeit"))


def test_business_time_before_upload_time(rows):
    for r in rows:
        if r.infno in ("3503", "3505", "3506", "3502") and r.inf_time:
            assert _ts(r.time) < _ts(r.inf_time), r.source


def test_truth_stable_across_scales(tmp_path, truth):
    generate(tmp_path, seed=SEED, scale=12_000, fmt="json")
    other = read(tmp_path / "truth.csv")
    strip = lambda rows: [(r["case_id"], r["trace_code"], r["institution_code"]) for r in rows  # noqa: E731
                          if r["kind"] != "collection_gap"]
    assert strip(other) == strip(truth)


def test_read_json_helper_matches_reader(tiny):
    p = sorted((tiny[0] / "uploads" / "json").rglob("*.ndjson"))[0]
    assert read_json(p)


@pytest.mark.slow
def test_large_scale_streams_in_bounded_memory(tmp_path):
    code = (
        "from tests.memory import peak_rss_mib\n"
        "from workbench.synth import generate\n"
        f"s = generate({str(tmp_path)!r}, seed=3, scale=200_000, fmt='json')\n"
        "print(s['records_total'], peak_rss_mib())\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    total, rss_mb = map(int, res.stdout.split())
    assert 150_000 <= total <= 260_000
    assert rss_mb < 300

"""Generated residual repeats (跨机构重复销售) and their legitimate look-alikes, in JSON and CSV uploads."""
from __future__ import annotations

import csv
import hashlib
import os
from collections import defaultdict
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from tests.workbench.synth_reader import Row, read_all
from workbench.synth import generate
from workbench.synth.truth import read

SEED = int(os.environ.get("TCW_SYNTH_TEST_SEED", "7"))
HOME = "500116"
WEEK = timedelta(days=7)


def _ts(s: str) -> datetime:
    return datetime.strptime(s, "%Y-%m-%d %H:%M:%S")


@pytest.fixture(scope="module", params=["json", "csv"])
def district(request, tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp(f"repeats-{request.param}")
    generate(out, seed=SEED, scale="tiny", fmt=request.param)
    return out, request.param


@pytest.fixture(scope="module")
def rows(district) -> list[Row]:
    return read_all(district[0])


@pytest.fixture(scope="module")
def truth(district) -> list[dict]:
    return read(district[0] / "truth.csv")


@pytest.fixture(scope="module")
def insts(district) -> dict[str, dict]:
    """Reference institutions by code (type, region, chain)."""
    with open(district[0] / "reference" / "institutions.csv", encoding="utf-8", newline="") as f:
        return {r["code"]: r for r in csv.DictReader(f)}


@pytest.fixture(scope="module")
def mixed_truth(tmp_path_factory) -> list[dict]:
    out = tmp_path_factory.mktemp("repeats-mixed")
    generate(out, seed=SEED, scale="tiny")
    return read(out / "truth.csv")


def _by_code(rows: list[Row], infno: str) -> dict[str, list[Row]]:
    """Rows of one interface per canonical code, in business-time order (deleted and doubled rows aside)."""
    deleted = {(r.inst, r.bchno) for r in rows if r.infno == "3507" and r.rec.get("inv_data_type") == "4"}
    seen, out = set(), defaultdict(list)
    for r in rows:
        key = (r.inst, r.infno, r.bchno)
        if r.infno != infno or key in seen or (r.inst, r.bchno) in deleted:
            continue
        seen.add(key)
        for c in r.canon:
            out[c].append(r)
    for hits in out.values():
        hits.sort(key=lambda r: r.time)
    return out


def _of(truth: list[dict], kind: str) -> list[dict]:
    return [t for t in truth if t["kind"] == kind]


def test_uploads_only_hold_the_format_asked_for(district):
    out, fmt = district
    assert bool(list((out / "uploads" / "json").iterdir())) == (fmt == "json")
    assert bool(list((out / "uploads" / "table").glob("*.csv"))) == (fmt == "csv")


def test_residual_repeats_sold_once_per_pharmacy_in_truth_order(truth, rows, insts):
    sales, returns, moves = _by_code(rows, "3505"), _by_code(rows, "3506"), _by_code(rows, "3502")
    cases = _of(truth, "repeat")
    assert 3 <= len(cases) <= 5 and len({t["case_id"] for t in cases}) == len(cases)
    for t in cases:
        assert (t["expect_lead"], t["scenario"]) == ("1", "repeat")
        route = t["institutions"].split("|")
        hits = sales[t["trace_code"]]
        assert [r.inst for r in hits] == route and len(set(route)) == len(route) >= 2
        assert t["institution_code"] == route[-1] and int(t["event_count"]) == len(hits)
        assert (hits[0].time, hits[-1].time) == (t["first_time"], t["last_time"])
        assert all(insts[i]["type"] == "pharmacy" for i in route)  # the first seller is no hospital: not reflux
        assert t["trace_code"] not in returns and t["trace_code"] not in moves
        assert len({r.rec["psn_no"] for r in hits}) == len(hits)
        assert {r.rec["med_list_codg"] for r in hits} == {t["med_list_codg"]}
        for a, b in pairwise(hits):  # two regions never within a week: not counterfeit
            assert a.inst[1:7] == b.inst[1:7] or _ts(b.time) - _ts(a.time) > WEEK
        steps = " → ".join(f"{i} ({insts[i]['region']}, {r.time[:10]})" for i, r in zip(route, hits, strict=True))
        assert steps in t["note_en"]


def test_three_pharmacies_of_one_region_within_three_weeks(truth, rows):
    sales = _by_code(rows, "3505")
    found = []
    for t in _of(truth, "repeat"):
        hits = sales[t["trace_code"]]
        if len(hits) == 3 and {r.inst[1:7] for r in hits} == {HOME}:
            found.append(_ts(hits[-1].time) - _ts(hits[0].time))
    assert found and min(found) <= timedelta(weeks=3)


def test_resale_in_another_region_five_weeks_later(truth, rows):
    sales = _by_code(rows, "3505")
    spans = []
    for t in _of(truth, "repeat"):
        hits = sales[t["trace_code"]]
        if len(hits) == 2 and hits[0].inst[1:7] == HOME != hits[1].inst[1:7]:
            spans.append(_ts(hits[1].time) - _ts(hits[0].time))
    assert spans and all(s >= timedelta(weeks=5) for s in spans)


def test_return_then_transfer_to_a_sister_store(truth, rows, insts):
    sales, returns, moves = _by_code(rows, "3505"), _by_code(rows, "3506"), _by_code(rows, "3502")
    assert _of(truth, "return_transfer")
    for t in _of(truth, "return_transfer"):
        assert (t["expect_lead"], t["scenario"]) == ("0", "repeat")
        a, b = t["institutions"].split("|")
        assert t["institution_code"] == b and insts[a]["type"] == insts[b]["type"] == "pharmacy"
        assert insts[a]["chain"] and insts[a]["chain"] == insts[b]["chain"]  # sister stores of one chain
        sold = sales[t["trace_code"]]
        (ret,) = returns[t["trace_code"]]
        out, got = moves[t["trace_code"]]
        assert [r.inst for r in sold] == [a, b] and ret.inst == a and ret.rec["medins_prod_sel_no"] == sold[0].bchno
        assert (out.inst, out.rec["inv_chg_type"]) == (a, "102") and (got.inst, got.rec["inv_chg_type"]) == (b, "101")
        assert sold[0].time < ret.time < out.time < got.time < sold[1].time
        assert (sold[0].time, sold[1].time) == (t["first_time"], t["last_time"])


def test_return_then_resale_at_another_pharmacy(truth, rows, insts):
    sales, returns, moves = _by_code(rows, "3505"), _by_code(rows, "3506"), _by_code(rows, "3502")
    assert _of(truth, "return_resale_elsewhere")
    for t in _of(truth, "return_resale_elsewhere"):
        assert (t["expect_lead"], t["scenario"]) == ("0", "repeat")
        a, b = t["institutions"].split("|")
        sold = sales[t["trace_code"]]
        (ret,) = returns[t["trace_code"]]
        assert [r.inst for r in sold] == [a, b] and a != b and insts[a]["type"] == insts[b]["type"] == "pharmacy"
        assert ret.inst == a and ret.rec["medins_prod_sel_no"] == sold[0].bchno
        assert sold[0].time < ret.time < sold[1].time and t["trace_code"] not in moves
        assert a[1:7] == b[1:7] == HOME  # one region: no counterfeit reading of the two sales


def _hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_same_files(district, tmp_path):
    out, fmt = district
    generate(tmp_path, seed=SEED, scale="tiny", fmt=fmt)
    assert _hashes(tmp_path) == _hashes(out)


def test_the_same_repeats_in_every_format(truth, mixed_truth):
    mine = [t for t in truth if t["scenario"] == "repeat"]
    assert mine == [t for t in mixed_truth if t["scenario"] == "repeat"]
    assert {t["kind"] for t in mine} == {"repeat", "return_transfer", "return_resale_elsewhere"}

"""Planted networks (``networks.csv``): reflux rings, counterfeit clusters, brokers and look-alikes, checked
against the generated uploads read back by the project's loaders."""
from __future__ import annotations

import csv
import os
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from loaders.ingest import ingest
from loaders.workspace import Workspace
from workbench.synth import generate
from workbench.synth.networks_truth import COLUMNS, ROLES, read
from workbench.synth.truth import read as read_truth

SEED = int(os.environ.get("TCW_SYNTH_TEST_SEED", "7"))
DISPENSERS = ("hospital", "clinic")
IDS = {"RING-01", "RING-02", "RING-03", "REF-01", "CLU-01", "CLU-02", "HEAVY-01", "HEAVY-02", "CHAINNET-01",
       "REF-02", "REF-03", "REF-04", "CFT-01", "CFT-02", "CFT-03", "CFT-04"}
WEEK = timedelta(days=7)


@pytest.fixture(scope="module")
def district(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp(f"networks{SEED}")
    generate(out / "data", seed=SEED, scale="tiny")
    return out


@pytest.fixture(scope="module")
def networks(district) -> dict[str, dict]:
    return {r["network_id"]: r for r in read(district / "data" / "networks.csv")}


@pytest.fixture(scope="module")
def truth(district) -> list[dict]:
    return read_truth(district / "data" / "truth.csv")


@pytest.fixture(scope="module")
def events(district, networks) -> dict[str, list[dict]]:
    """The canonical events of every code networks.csv names, per code in time order (real loaders)."""
    ws = Workspace(district / "ws")
    report = ingest([district / "data" / "uploads", district / "data" / "reference"], ws, workers=1)
    assert report.counts.rejected == 0
    codes = sorted({c for r in networks.values() for c in _list(r, "trace_codes")})
    found = duckdb.sql(
        "SELECT trace_code, event_type, institution_code, institution_type, region_code, chain_id, psn_no, "
        "event_time FROM read_parquet($files) WHERE trace_code IN $codes ORDER BY trace_code, event_time, event_type",
        params={"files": ws.event_files(), "codes": codes})
    out: dict[str, list[dict]] = defaultdict(list)
    names = [c[0] for c in found.description]
    for values in found.fetchall():
        out[values[0]].append(dict(zip(names, values, strict=True)))
    return out


def _list(row: dict, column: str) -> list[str]:
    return [x for x in row[column].split("|") if x]


def _of(networks: dict[str, dict], kind: str, role: str = "") -> list[dict]:
    return [r for r in networks.values() if r["kind"] == kind and (not role or r["role"] == role)]


def _sales(evs: list[dict]) -> list[dict]:
    return [e for e in evs if e["event_type"] == "sale"]


# ---- the file ---------------------------------------------------------------------------------------
def test_columns_kinds_roles_and_order(district, networks):
    with open(district / "data" / "networks.csv", encoding="utf-8", newline="") as f:
        assert next(csv.reader(f)) == COLUMNS
    ids = list(networks)
    assert ids == sorted(ids) and set(ids) >= IDS
    for r in networks.values():
        assert r["role"] in ROLES[r["kind"]], r["network_id"]
        assert r["expect"] == ("0" if r["kind"] == "lookalike" else "1")
        assert bool(r["entity"]) == (r["kind"] == "broker" or r["role"] == "heavy_buyer")
        assert r["entity_kind"] in (("person", "institution") if r["entity"] else ("",))
        for column in ("institutions", "persons", "trace_codes"):
            values = _list(r, column)
            assert values == sorted(set(values)), (r["network_id"], column)
        assert r["note_zh"] and r["note_en"] and _list(r, "trace_codes")
    brokers = {r["network_id"] for r in _of(networks, "broker")}
    assert {"RING-01-SP", "RING-02-SP", "RING-03-SP", "RING-03-SI"} <= brokers
    assert all(r["network_id"].split("-")[0] in ("RING", "REF") for r in _of(networks, "broker"))


def test_same_seed_same_file_other_seed_differs(district, tmp_path):
    generate(tmp_path / "a", seed=SEED, scale="tiny", fmt="json")
    generate(tmp_path / "b", seed=SEED + 1, scale="tiny", fmt="json")
    mine = (district / "data" / "networks.csv").read_bytes()
    assert (tmp_path / "a" / "networks.csv").read_bytes() == mine  # the format does not change the truth
    assert (tmp_path / "b" / "networks.csv").read_bytes() != mine


# ---- reflux rings -------------------------------------------------------------------------------------
def test_rings_of_several_sizes_with_their_own_pharmacies_and_persons(networks):
    rings = {r["network_id"]: r for r in _of(networks, "reflux_ring")}
    assert set(rings) == {"REF-01", "RING-01", "RING-02", "RING-03"}
    for r in rings.values():
        insts = _list(r, "institutions")
        assert len(_list(r, "trace_codes")) >= 3 and len(insts) >= 2
        assert any(i.startswith("H") for i in insts) and any(i.startswith("P") for i in insts)
    size = {k: (len(_list(r, "trace_codes")), len(_list(r, "persons")),
                len([i for i in _list(r, "institutions") if i.startswith("P")])) for k, r in rings.items()}
    assert 6 <= size["RING-01"][0] < size["RING-02"][0] < size["RING-03"][0]
    assert 3 <= size["RING-01"][1] <= 4 and 5 <= size["RING-02"][1] <= 6 and 8 <= size["RING-03"][1] <= 10
    assert [size[k][2] for k in ("RING-01", "RING-02", "RING-03")] == [1, 2, 3]
    for column, prefix in (("institutions", "P"), ("persons", "")):
        seen: set[str] = set()
        for r in rings.values():
            mine = {x for x in _list(r, column) if x.startswith(prefix)}
            assert not mine & seen, (r["network_id"], column)
            seen |= mine


def test_every_ring_code_flows_from_a_dispenser_to_another_ring_institution(networks, events):
    for r in _of(networks, "reflux_ring"):
        insts, persons = set(_list(r, "institutions")), set(_list(r, "persons"))
        for code in _list(r, "trace_codes"):
            evs = events[code]
            sales = _sales(evs)
            first = sales[0]
            assert first["institution_type"] in DISPENSERS and first["psn_no"] in persons, code
            assert {e["institution_code"] for e in evs} <= insts, code
            later = sales[1:]
            assert later and all(s["institution_code"] != first["institution_code"] for s in later)
            assert all(WEEK < s["event_time"] - first["event_time"] <= timedelta(days=365) for s in later)
            moves = [(e["institution_code"], e["event_type"]) for e in evs if e["event_type"].startswith("transfer")]
            if moves:  # an onward hop: 102 out at one ring pharmacy, 101 in where it is sold
                assert [t for _i, t in moves] == ["transfer_out", "transfer_in"]
                assert moves[1][0] == later[-1]["institution_code"] != moves[0][0]


def test_ring_truth_rows_match_what_the_screens_see(networks, truth):
    by_case: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for t in truth:
        by_case[t["case_id"]][t["trace_code"]].append(t["kind"])
    for r in _of(networks, "reflux_ring"):
        rows = by_case[r["network_id"]]
        assert set(rows) == set(_list(r, "trace_codes")), r["network_id"]
        for code, kinds in rows.items():
            assert kinds in (["reflux"], ["reflux_resold", "reflux_resold"], ["reflux_transfer"]), code
    large = [kinds[0] for kinds in by_case["RING-03"].values()]
    assert large.count("reflux_resold") >= 2 and large.count("reflux_transfer") >= 2
    for t in truth:
        if t["kind"] == "reflux_transfer":
            assert (t["expect_lead"], t["scenario"]) == ("0", "reflux")
        if t["kind"] == "reflux_resold":
            assert (t["expect_lead"], t["scenario"]) == ("1", "reflux")
            assert len(t["institutions"].split("|")) == 2  # a reflux lead pairs the dispenser and one reseller


def test_brokers_carry_the_codes_they_are_named_for(networks, events):
    rings = {r["network_id"]: r for r in _of(networks, "reflux_ring")}
    for b in _of(networks, "broker"):
        ring = rings[b["network_id"].rsplit("-", 1)[0]]
        codes, who = _list(b, "trace_codes"), b["entity"]
        assert set(codes) <= set(_list(ring, "trace_codes"))
        assert who in _list(ring, "persons" if b["entity_kind"] == "person" else "institutions")
        firsts = [_sales(events[c])[0] for c in codes]
        if b["role"] == "source_patient":
            assert len(codes) >= 6 and all(f["psn_no"] == who for f in firsts)
        elif b["role"] == "reseller":
            assert len(codes) >= 3
            assert all(who in {s["institution_code"] for s in _sales(events[c])[1:]} for c in codes)
        else:  # the large ring's dominant hospital dispensed most of its boxes
            assert all(f["institution_code"] == who for f in firsts)
            assert 2 * len(codes) > len(_list(ring, "trace_codes"))


# ---- counterfeit clusters --------------------------------------------------------------------------
def test_cluster_codes_sell_in_several_regions_within_a_week(networks, events, truth):
    clusters = _of(networks, "counterfeit_cluster")
    assert {r["network_id"] for r in clusters} == {"CLU-01", "CLU-02"}
    flagged = {(t["case_id"], t["trace_code"]) for t in truth if t["kind"] == "counterfeit"}
    shape = {}
    for r in clusters:
        outlets = set(_list(r, "institutions"))
        selling = set()
        for code in _list(r, "trace_codes"):
            sales = _sales(events[code])
            places = [s["institution_code"] for s in sales]
            regions = [s["region_code"] for s in sales]
            assert len(set(places)) == len(places) >= 2 and len(set(regions)) == len(regions) >= 2
            assert sales[-1]["event_time"] - sales[0]["event_time"] <= WEEK and set(places) <= outlets
            assert (r["network_id"], code) in flagged
            selling |= set(places)
        assert selling == outlets
        shape[r["network_id"]] = (len(_list(r, "trace_codes")), len(outlets), len({o[1:7] for o in outlets}))
    assert shape == {"CLU-01": (5, 4, 3), "CLU-02": (8, 6, 4)}
    every = [o for r in clusters + _of(networks, "reflux_ring") for o in _list(r, "institutions") if o[0] == "P"]
    assert len(every) == len(set(every)), "each network has pharmacies of its own"


# ---- look-alikes -----------------------------------------------------------------------------------
def test_heavy_buyers_boxes_are_each_sold_once(networks, events):
    heavy = _of(networks, "lookalike", "heavy_buyer")
    assert {r["network_id"] for r in heavy} == {"HEAVY-01", "HEAVY-02"}
    for r in heavy:
        codes = _list(r, "trace_codes")
        assert r["entity_kind"] == "person" and _list(r, "persons") == [r["entity"]] and 20 <= len(codes) <= 40
        times = []
        for code in codes:
            (sale,) = events[code]
            assert sale["event_type"] == "sale" and sale["psn_no"] == r["entity"]
            assert sale["institution_type"] in DISPENSERS and sale["institution_code"] in _list(r, "institutions")
            times.append(sale["event_time"])
        assert max(times) - min(times) >= timedelta(days=60)


def test_the_chain_networks_boxes_are_moved_once_and_sold_once(networks, events):
    (net,) = _of(networks, "lookalike", "chain_transfer_network")
    stores = set(_list(net, "institutions"))
    assert len(_list(net, "trace_codes")) >= 10 and len(stores) >= 2
    chains, pairs = set(), set()
    for code in _list(net, "trace_codes"):
        out, got, sale = events[code]
        assert [out["event_type"], got["event_type"], sale["event_type"]] == ["transfer_out", "transfer_in", "sale"]
        assert out["institution_code"] != got["institution_code"] == sale["institution_code"]
        assert out["event_time"] < got["event_time"] < sale["event_time"]
        assert got["event_time"] - out["event_time"] < timedelta(days=1)  # moved within the day
        chains |= {out["chain_id"], got["chain_id"]}
        pairs.add((out["institution_code"], got["institution_code"]))
    assert len(chains) == 1 and None not in chains
    assert {i for pair in pairs for i in pair} <= stores and len(pairs) >= 2


def test_single_cases_are_look_alikes(networks):
    singles = {r["network_id"]: r for r in _of(networks, "lookalike") if r["role"].startswith("single_")}
    assert set(singles) == {"REF-02", "REF-03", "REF-04", "CFT-01", "CFT-02", "CFT-03", "CFT-04"}
    for r in singles.values():
        if r["role"] == "single_reflux":
            assert len(_list(r, "trace_codes")) <= 2 and len(_list(r, "persons")) == 1
        else:
            assert len(_list(r, "trace_codes")) == 1 and len(_list(r, "institutions")) >= 3


@pytest.mark.parametrize("seed", [7, 11, 23])
def test_networks_at_several_seeds(tmp_path, seed):
    generate(tmp_path, seed=seed, scale="tiny", fmt="json")
    rows = read(tmp_path / "networks.csv")
    assert {r["network_id"] for r in rows} >= IDS
    truth = {(t["case_id"], t["trace_code"]) for t in read_truth(tmp_path / "truth.csv")}
    for r in rows:
        if r["kind"] in ("reflux_ring", "counterfeit_cluster"):
            assert len(_list(r, "trace_codes")) >= 3 and len(_list(r, "institutions")) >= 2
            assert {(r["network_id"], c) for c in _list(r, "trace_codes")} <= truth

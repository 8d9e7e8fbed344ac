"""``analyse`` on hand-made events, from the workspace, from MemoryStore and from Neo4j: the same rings,
clusters and brokers from each, and the legitimate look-alikes left out."""

from __future__ import annotations

from datetime import timedelta

import pytest

from loaders.workspace import Workspace
from tests.neo4j_server import wipe
from tests.workbench.events_builder import START, event, write
from workbench.analytics.run import analyse_store, analyse_workspace, brokers_table, communities_table
from workbench.graph.load import load_workspace
from workbench.graph.memory import MemoryStore
from workbench.graph.neo4j_store import Neo4jStore
from workbench.screens.privacy import pseudonym, workspace_key

SOURCES = ["workspace", "memory", pytest.param("neo4j", marks=pytest.mark.neo4j)]
H1, H2, P1, P2, P3, P4 = "H50011600001", "H50011600002", "P50011600011", "P50011600012", "P50011600013", "P50011600014"
AWAY = {"P51010400001": "510104", "P53010200001": "530102", "P50010100001": "500101"}


@pytest.fixture(params=SOURCES)
def analysed(request, tmp_path):
    """``analysed(rows, **params)``: the analysis of those events from one source."""

    def run(rows: list[dict], **params):
        ws = write(Workspace(tmp_path / "ws"), rows)
        if request.param == "workspace":
            return analyse_workspace(ws, params)
        if request.param == "memory":
            store = MemoryStore()
        else:
            wipe(request.getfixturevalue("neo4j_session_driver"))
            settings = request.getfixturevalue("neo4j_settings")
            store = Neo4jStore.connect(settings.uri, settings.user, settings.password)
        try:
            load_workspace(store, ws)
            return analyse_store(store, params)
        finally:
            store.close()

    return run


def code(n: int) -> str:
    return f"8123456{n:013d}"


def dispensed(n: int, day: float, person: str, where: str = H1) -> dict:
    return event(n, code=code(n), day=day, institution_code=where, institution_type="hospital", psn_no=person)


def resold(n: int, day: float, where: str, k: int = 0, kind: str = "sale", **fields) -> dict:
    fields = {"institution_type": "pharmacy", "psn_no": f"BUYER{n}", **fields}
    return event(1000 * (k + 1) + n, code=code(n), kind=kind, day=day, institution_code=where, **fields)


def ring_rows() -> list[dict]:
    """A collector with 5 boxes and two others with 1 each, from two hospitals, resold at P1 and P2; box 5
    moved on from P1 to P3 by a 3502 transfer, box 6 resold a second time at P4."""
    rows = []
    for n in range(1, 6):
        rows += [dispensed(n, n, "COLLECTOR", H1 if n % 2 else H2), resold(n, 30 + n, P1 if n < 4 else P2)]
    rows += [dispensed(6, 2, "PERSON-A"), resold(6, 40, P1), resold(6, 60, P4, k=1)]
    rows += [dispensed(7, 3, "PERSON-B", H2), resold(7, 41, P2)]
    rows += [resold(5, 50, P2, k=1, kind="transfer_out"), resold(5, 50.1, P3, k=2, kind="transfer_in"),
             resold(5, 55, P3, k=3)]
    return rows


def test_a_ring_with_onward_hops_its_members_and_brokers(analysed, tmp_path):
    analysis = analysed(ring_rows())
    [ring] = analysis.communities
    assert ring.kind == "reflux_ring" and ring.trace_codes == tuple(code(n) for n in range(1, 8))
    assert ring.institutions == (H1, H2, P1, P2, P3, P4)
    key = workspace_key(tmp_path / "ws")
    assert set(ring.persons) == {pseudonym(p, key) for p in ("COLLECTOR", "PERSON-A", "PERSON-B")}
    vias = {route.code: [place.via for place in route.places] for route in analysis.routes}
    assert vias[code(5)] == ["reflux", "transfer"] and vias[code(1)] == ["reflux"]
    assert vias[code(6)] == ["reflux", "resale"]
    row = analysis.community_rows()[0]
    assert row["rank"] == 1 and 0 < row["score"] <= 1 and row["code_count"] == 7 and row["algorithm"] == "leiden"
    assert "回流团伙" in row["explanation_zh"] and "7 boxes" in row["explanation_en"]
    roles = {(b["role"], b["entity"]): b for b in analysis.brokers}
    collector = roles[("source_patient", pseudonym("COLLECTOR", key))]
    assert collector["code_count"] == 5 and collector["community_id"] == ring.community_id
    assert ("reseller", P1) in roles and ("source_patient", pseudonym("PERSON-A", key)) not in roles
    assert min(b["rank"] for b in analysis.brokers if b["role"] == "source_patient") == collector["rank"]
    assert communities_table(analysis).num_rows == 1 and brokers_table(analysis).num_rows == len(analysis.brokers)


def test_the_transfer_hop_is_named_as_such(analysed):
    analysis = analysed(ring_rows())
    route = next(r for r in analysis.routes if r.code == code(5))
    assert [(p.institution, p.via) for p in route.places] == [(P2, "reflux"), (P3, "transfer")]


def test_look_alikes_are_no_ring_and_no_broker(analysed):
    rows = [dispensed(n, n, "HEAVY-BUYER") for n in range(20, 40)]  # never reappear
    rows += [dispensed(40, 1, "SINGLE"), resold(40, 30, P1), dispensed(41, 1, "SINGLE"), resold(41, 31, P1)]
    rows += [dispensed(42, 1, "RETURNED"), resold(42, 2, H1, kind="sale_return", institution_type="hospital"),
             resold(42, 30, P2), dispensed(43, 1, "QUICK"), resold(43, 3, P2)]  # returned; within a week
    rows += [event(50, code=code(50)), event(51, code=code(50), day=1)]  # sold twice, no hospital: no flow
    analysis = analysed(rows)
    assert analysis.communities == [] and analysis.brokers == []
    assert [route.code for route in analysis.routes] == [code(40), code(41)]


def cluster_rows() -> list[dict]:
    """Copies of three codes sold at three outlets in three regions within days; one code moved between
    two stores by a 3502 transfer (sold at the first, returned, transferred, sold at the second)."""
    rows, outlets = [], sorted(AWAY)
    for n in range(60, 63):
        for k, outlet in enumerate(outlets):
            rows.append(event(10 * n + k, code=code(n), day=n - 60 + k * 0.5, institution_code=outlet,
                              region_code=AWAY[outlet]))
    a, b = outlets[0], outlets[1]
    rows += [event(700, code=code(70), institution_code=a, region_code=AWAY[a]),
             event(701, code=code(70), kind="sale_return", day=0.2, institution_code=a, region_code=AWAY[a]),
             event(702, code=code(70), kind="transfer_out", day=0.5, institution_code=a, region_code=AWAY[a]),
             event(703, code=code(70), kind="transfer_in", day=0.6, institution_code=b, region_code=AWAY[b]),
             event(704, code=code(70), day=2, institution_code=b, region_code=AWAY[b])]
    return rows


def test_a_counterfeit_cluster_names_outlets_regions_and_codes_but_not_a_chain_transfer(analysed):
    analysis = analysed(cluster_rows())
    [cluster] = analysis.communities
    assert cluster.kind == "counterfeit_cluster" and cluster.persons == ()
    assert cluster.institutions == tuple(sorted(AWAY)) and cluster.trace_codes == (code(60), code(61), code(62))
    row = analysis.community_rows()[0]
    assert row["community_id"].startswith("CLUS-") and row["event_count"] == 9 and "3 regions" in row["explanation_en"]
    assert analysis.flows.copies.num_rows == 9, "the transferred code's sales are no copies"


def test_fewer_codes_than_min_codes_make_no_cluster(analysed):
    assert analysed(cluster_rows(), min_codes=4).communities == []


def test_same_data_and_parameters_give_the_same_ids(tmp_path):
    ws = write(Workspace(tmp_path / "ws"), ring_rows() + cluster_rows())
    first, again = analyse_workspace(ws), analyse_workspace(ws)
    assert first.community_rows() == again.community_rows() and first.brokers == again.brokers
    assert {c.kind for c in first.communities} == {"reflux_ring", "counterfeit_cluster"}
    shuffled = write(Workspace(tmp_path / "ws2"), list(reversed(ring_rows() + cluster_rows())))
    other = analyse_workspace(shuffled)
    assert [c.community_id for c in other.communities] == [c.community_id for c in first.communities], \
        "ids hash institutions and codes, not the workspace's pseudonyms"


def test_events_without_time_never_reach_a_route(analysed):
    rows = ring_rows()
    rows[1]["event_time"] = None
    analysis = analysed(rows)
    assert code(1) not in {route.code for route in analysis.routes}
    assert all(route.places[0].arrived_at > route.dispensed_at + timedelta(days=7) for route in analysis.routes)
    assert START.year == 2025

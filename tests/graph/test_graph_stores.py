"""Graph store queries on hand-made events and on a generated district, one suite for every store: the
in-memory reference and Neo4j (the real local server, ``scripts/neo4j-local start``) must pass the same
tests. ``STORES`` names the stores, ``open_store`` opens one (tests/graph/conftest.py: add a store there)."""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from loaders.workspace import Workspace
from tests.workbench import test_screen_synth
from tests.workbench.events_builder import START, event, write
from workbench.graph.elements import Elements, lead_elements
from workbench.graph.load import graph_context, load_workspace
from workbench.graph.schema import Link, SchemaError
from workbench.graph.store import GraphStore, node_id
from workbench.screens.leads import leads_table
from workbench.screens.privacy import pseudonym, workspace_key
from workbench.screens.run import screen

CODE, OTHER_CODE = "81234560000000000012", "81234560000000000099"
HOSPITAL, CLINIC, PHARMACY, PHARMACY_2 = "H50011600001", "H50011600005", "P50011600002", "P50011600003"
HOSTILE = "8'\"`}) DETACH DELETE n //"
district = test_screen_synth.district  # the generated district (seed, truth, leads), reused
_HOLDING: dict[int, object] = {}  # what each open store holds, so a district is loaded once per store


@pytest.fixture
def store(store) -> GraphStore:
    """The shared empty store (tests/graph/conftest.py): whatever district it held is gone."""
    _HOLDING[id(store)] = None
    return store


def _load(store: GraphStore, ws: Workspace, rows: list[dict], leads: bool = False, **options) -> GraphStore:
    write(ws, rows)
    load_workspace(store, ws, screen(ws) if leads else None, **options)
    return store


def _dispensed(n: int, day: float = 0, code: str = CODE, where: str = HOSPITAL, **fields) -> dict:
    return event(n, code=code, day=day, institution_code=where, institution_type="hospital", psn_no="PATIENT-1",
                 **fields)


def _resold(n: int, day: float = 30, code: str = CODE, where: str = PHARMACY, **fields) -> dict:
    return event(n, code=code, day=day, institution_code=where, institution_type="pharmacy", psn_no="BUYER-9",
                 **fields)


# hand-made events

def test_a_code_history_is_in_time_order_with_places_and_pseudonymous_persons(store, workspace):
    rows = [_resold(1, day=30), _dispensed(0, day=0, psn_name="张三", certno="500116199001011234"),
            event(2, code=OTHER_CODE), _resold(3, where=PHARMACY_2, event_time=START + timedelta(days=30, minutes=1))]
    _load(store, workspace, rows)
    history = store.code_history(CODE)
    assert [(h["event_type"], h["institution"], h["institution_type"]) for h in history] == [
        ("sale", HOSPITAL, "hospital"), ("sale", PHARMACY, "pharmacy"), ("sale", PHARMACY_2, "pharmacy")]
    assert history[0]["event_time"] == START.isoformat() and history[0]["quantity"] == 1.0
    assert history[0]["patient"] == pseudonym("PATIENT-1", workspace_key(workspace.root))
    assert history[1]["event_id"] < history[2]["event_id"], "same time: by event id"
    graph = store.neighbourhood("Code", CODE, hops=4)
    stored = repr(sorted(graph.nodes(data=True), key=str))
    assert "PATIENT-1" not in stored and "张三" not in stored and "500116199001011234" not in stored
    assert store.code_history("80000000000000000000") == []


def test_hostile_codes_and_names_are_stored_verbatim(store, workspace):
    name = "药房'); MATCH (n) DETACH DELETE n; //`"
    rows = [_dispensed(0, code=HOSTILE, institution_name=name), _resold(1, code=HOSTILE, where=HOSTILE + "P",
                                                                       supplier="}) RETURN 1 //")]
    _load(store, workspace, rows)
    assert [h["institution"] for h in store.code_history(HOSTILE)] == [HOSPITAL, HOSTILE + "P"]
    graph = store.neighbourhood("Code", HOSTILE, hops=2)
    assert graph.nodes[node_id("Institution", HOSPITAL)]["caption"] == name
    assert node_id("Institution", "supplier:}) RETURN 1 //") in store.neighbourhood("Event", rows[1]["event_id"], 1)
    assert store.counts()["Event"] == 2 and store.counts()["Code"] == 1


def test_a_neighbourhood_follows_hops_the_time_window_and_the_labels(store, workspace):
    _load(store, workspace, [_dispensed(0, day=0), _resold(1, day=30), event(2, code=OTHER_CODE, day=60)])
    near = store.neighbourhood("Code", CODE, hops=2)
    assert {node_id("Institution", HOSPITAL), node_id("Institution", PHARMACY)} <= set(near)
    assert node_id("Code", OTHER_CODE) not in near and node_id("Region", "500116") not in near
    assert near.nodes[node_id("Code", CODE)]["label"] == "Code" and near.nodes[node_id("Code", CODE)]["key"] == CODE
    assert near.has_edge(node_id("Event", _dispensed(0)["event_id"]), node_id("Code", CODE), key="OF_CODE")
    window = store.neighbourhood("Code", CODE, hops=2, since=START, until=START + timedelta(days=10))
    assert node_id("Institution", HOSPITAL) in window and node_id("Institution", PHARMACY) not in window
    assert set(store.neighbourhood("Code", CODE, hops=2, since="2025-06-20")) >= {node_id("Institution", PHARMACY)}
    only = store.neighbourhood("Code", CODE, hops=4, labels=["Event", "Patient"])
    assert {data["label"] for _, data in only.nodes(data=True)} == {"Code", "Event", "Patient"}
    assert len(store.neighbourhood("Code", "no such code")) == 0
    with pytest.raises(SchemaError):
        store.neighbourhood("Hospital", HOSPITAL)


@pytest.mark.parametrize("between, chains", [
    ([], 1),
    ([event(5, kind="sale_return", day=2, institution_code=HOSPITAL, institution_type="hospital")], 0),
    ([event(5, kind="transfer_in", day=10, institution_code=PHARMACY)], 0),
    ([event(5, kind="transfer_in", day=10, institution_code=PHARMACY_2)], 1),
], ids=["plain", "returned", "transferred-in", "transfer-elsewhere"])
def test_reflux_chains_start_at_a_dispensing_and_skip_legitimate_moves(store, workspace, between, chains):
    _load(store, workspace, [_dispensed(0), *between, _resold(1, day=30)])
    found = store.reflux_chains()
    assert len(found) == chains
    if chains:
        [chain] = found
        assert (chain["code"], chain["first_seller"], chain["reseller"], chain["span_days"]) == (CODE, HOSPITAL,
                                                                                                 PHARMACY, 30)
        assert chain["patient"] == pseudonym("PATIENT-1", workspace_key(workspace.root))
        assert chain["first_time"] < chain["resale_time"]


def test_reflux_chains_need_a_dispensing_institution_and_a_long_enough_span(store, workspace):
    _load(store, workspace, [_dispensed(0), _resold(1, day=5), event(2, code=OTHER_CODE, day=0),
                             _resold(3, day=40, code=OTHER_CODE)])
    assert store.reflux_chains() == []
    assert [c["resale_time"] for c in store.reflux_chains(CODE, min_span_days=4)] == [
        (START + timedelta(days=5, minutes=1)).isoformat()]


def test_paths_plain_and_time_respecting(store, workspace):
    _load(store, workspace, [_dispensed(0, day=0), _resold(1, day=30)])
    first, resale = (node_id("Event", e["event_id"]) for e in (_dispensed(0), _resold(1)))
    hospital, pharmacy = ("Institution", HOSPITAL), ("Institution", PHARMACY)
    via_region = [node_id(*hospital), node_id("Region", "500116"), node_id(*pharmacy)]
    assert store.paths(hospital, pharmacy) == [via_region]
    forward = [node_id(*hospital), first, node_id("Code", CODE), resale, node_id(*pharmacy)]
    assert store.paths(hospital, pharmacy, labels=["Event", "Code"]) == [forward]
    assert store.paths(hospital, pharmacy, time_respecting=True, labels=["Event", "Code"]) == [forward]
    assert store.paths(pharmacy, hospital, time_respecting=True, labels=["Event", "Code"]) == []
    assert store.paths(pharmacy, hospital, labels=["Event", "Code"]) == [forward[::-1]]
    assert store.paths(hospital, pharmacy, max_hops=3, labels=["Event", "Code"]) == []
    assert store.paths(hospital, ("Institution", "nowhere")) == []


def test_leads_of_an_entity_with_the_role_it_plays(store, workspace):
    _load(store, workspace, [_dispensed(0), _resold(1)], leads=True)
    [lead] = store.leads_of("Institution", PHARMACY)
    assert (lead["scenario"], lead["role"], lead["trace_code"]) == ("reflux", "main", CODE)
    assert lead["first_time"] == START.isoformat() and lead["lead_id"].startswith("REF-")
    assert [row["role"] for row in store.leads_of("Institution", HOSPITAL)] == ["involved"]
    assert [row["role"] for row in store.leads_of("Code", CODE)] == ["code"]
    patient = pseudonym("PATIENT-1", workspace_key(workspace.root))
    assert [row["lead_id"] for row in store.leads_of("Patient", patient)] == [lead["lead_id"]]
    assert store.leads_of("Institution", "P00000000000") == []


def test_flow_events_for_graph_analytics(store, workspace):
    once = event(6, code="81234560000000000088")
    rows = [_dispensed(0), _resold(1), _dispensed(2, code=OTHER_CODE), _resold(3, code=OTHER_CODE), once,
            event(4, code="81234560000000000077", kind="transfer_out"), event(5, code="81234560000000000077")]
    _load(store, workspace, rows)
    flows = store.flow_events()
    patient = pseudonym("PATIENT-1", workspace_key(workspace.root))
    assert {row["trace_code"] for row in flows} == {CODE, OTHER_CODE}, "codes sold twice or more only"
    first = flows[0]
    assert (first["trace_code"], first["institution_code"], first["institution_type"], first["person"],
            first["region_code"]) == (CODE, HOSPITAL, "hospital", patient, "500116")
    assert flows == sorted(flows, key=lambda row: (row["trace_code"], row["event_time"], row["event_id"]))
    assert store.dispensed_codes("person", [patient, "PSN-none"]) == {patient: 2}
    assert store.dispensed_codes("institution", [HOSPITAL, PHARMACY]) == {HOSPITAL: 2}


def test_writing_again_or_in_other_batches_changes_nothing(store, workspace):
    rows = [_dispensed(n, code=f"8123456000000000{n:04d}") for n in range(1, 6)] + [_dispensed(0), _resold(9)]
    seen = []
    _load(store, workspace, rows, leads=True, batch_size=2, progress=seen.append)
    assert [(p.done, p.total) for p in seen] == [(2, 7), (4, 7), (6, 7), (7, 7)]
    counts, history = store.counts(), store.code_history(CODE)
    load_workspace(store, workspace, screen(workspace))
    assert store.counts() == counts and store.code_history(CODE) == history
    store.clear()
    load_workspace(store, workspace, screen(workspace), batch_size=100)
    assert store.counts() == counts and store.code_history(CODE) == history
    assert counts["Event"] == 7 and counts["Institution"] == 2 and counts["Lead"] == 1


def test_withdrawn_events_and_leads_no_longer_found_leave_the_graph_of_a_clean_load(store, workspace):
    elsewhere = event(3, code=OTHER_CODE, institution_code=PHARMACY_2, region_code="500101", psn_no="ONLY-HERE")
    rows = [_dispensed(0), _resold(9), _dispensed(1, day=1), elsewhere]
    _load(store, workspace, rows, leads=True)
    assert store.counts()["Lead"] == 1 and store.code_history(OTHER_CODE)
    write(workspace, rows[:1] + rows[2:3])  # 3507 deletes withdrew the resale and the sale elsewhere
    read = load_workspace(store, workspace, screen(workspace))
    assert (read["removed_events"], read["removed_leads"]) == (2, 1)
    after = store.counts()
    assert store.code_history(OTHER_CODE) == [] and not store.neighbourhood("Institution", PHARMACY_2)
    assert not store.neighbourhood("Patient", pseudonym("ONLY-HERE", workspace_key(workspace.root)))
    store.clear()
    load_workspace(store, workspace, screen(workspace))
    assert store.counts() == after and after["Event"] == 2


def test_a_person_under_an_old_pseudonym_leaves_the_graph_on_the_next_load(store, workspace):
    _load(store, workspace, [_dispensed(0), _resold(1)], leads=True)
    clean = store.counts()
    patient = pseudonym("PATIENT-1", workspace_key(workspace.root))
    old = patient[:16]  # the 48-bit form graphs were written with before: its key's first 12 hex digits
    [event_id] = [e["event_id"] for e in store.code_history(CODE) if e["patient"] == patient]
    store.write(Elements({"Patient": [{"pseudonym": old}]},
                         {Link("Event", "TO_PATIENT", "Patient"): [{"start": event_id, "end": old}]}))
    assert store.neighbourhood("Patient", old, hops=1)
    read = load_workspace(store, workspace, screen(workspace))
    assert read["removed_patients"] == 1 and not store.neighbourhood("Patient", old, hops=1)
    assert store.counts() == clean and store.keys("Patient") == {patient, pseudonym("BUYER-9", workspace_key(workspace.root))}


def test_packs_suppliers_and_the_three_code_mapping(store, workspace):
    case = "80000000000000000001"
    pq.write_table(pa.table({"parent_code": [case], "child_code": [CODE]}), workspace.reference_path("pack_relations"))
    pq.write_table(pa.table({"code": ["S50011690001"], "name": ["重庆渝康医药有限公司"], "type": ["supplier"],
                             "region": ["500116"], "chain": pa.array([None], pa.string())}),
                   workspace.reference_path("institutions"))
    products = [{"med_list_codg": "XA01", "name": "奥美拉唑肠溶胶囊", "units_per_pack": "24",
                 "trace_prefixes": "8123456"}]
    purchases = [event(n, kind="purchase", code="", supplier=name) for n, name in ((1, "重庆渝康医药有限公司"),
                                                                                    (2, "无名供货商"))]
    write(workspace, [_dispensed(0, code=case), *purchases], products)
    load_workspace(store, workspace)
    assert [h["event_type"] for h in store.code_history(case)] == ["sale"]
    pack = store.neighbourhood("Pack", case, hops=1)
    assert pack.has_edge(node_id("Pack", case), node_id("Code", CODE), key="CONTAINS")
    code = store.neighbourhood("Code", CODE, hops=1)
    assert code.has_edge(node_id("Code", CODE), node_id("Product", "XA01"), key="OF_PRODUCT")
    assert code.nodes[node_id("Product", "XA01")]["caption"] == "奥美拉唑肠溶胶囊"
    suppliers = {node for e in purchases for node in store.neighbourhood("Event", e["event_id"], hops=1)}
    assert {node_id("Institution", "S50011690001"), node_id("Institution", "supplier:无名供货商")} <= suppliers


def test_rows_that_break_the_schema_are_refused_before_anything_is_written(store, workspace):
    _load(store, workspace, [_dispensed(0)])
    counts = store.counts()
    bad = [Elements({"Hospital": [{"code": "H1"}]}, {}),
           Elements({"Event": [{"event_id": "e9", "quantity": "many"}]}, {}),
           Elements({"Event": [{"event_id": "e9"}]}, {Link("Event", "AT", "Institution"): [{"start": "e9", "end": "X"}]}),
           Elements({"Code": [{"code": "8"}]}, {Link("Code", "AT", "Institution"): [{"start": "8", "end": HOSPITAL}]})]
    for elements in bad:
        with pytest.raises(SchemaError):
            store.write(elements)
        assert store.counts() == counts


# a generated district

@pytest.fixture
def district_store(backend, district) -> GraphStore:
    """The district's events and leads in the store (loaded once per store while nothing else is)."""
    ws, _, leads, _ = district
    if _HOLDING.get(id(backend)) is not ws:
        backend.clear()
        load_workspace(backend, ws, leads_table(leads))
        _HOLDING[id(backend)] = ws
    return backend


def _cases(truth: list[dict], scenario: str) -> list[dict]:
    return [case for case in truth if case["scenario"] == scenario and case["expect_lead"] == "1"]


def _iso(text: str) -> str:
    return datetime.fromisoformat(text).isoformat()


@pytest.mark.parametrize("district", [3], indirect=True)
class TestGeneratedDistrict:
    def test_counts_reconcile_with_the_workspace(self, district_store, district):
        ws, _, leads, _ = district
        [(events, codes, persons)] = duckdb.sql(
            "SELECT count(*), count(DISTINCT nullif(trace_code, '')), count(DISTINCT psn_no) FROM read_parquet($p)",
            params={"p": ws.event_files()}).fetchall()
        counts = district_store.counts()
        assert (counts["Event"], counts["Code"] + counts["Pack"], counts["Patient"]) == (events, codes, persons)
        assert counts["Lead"] == len(leads) and counts["AT"] == events and counts["Pack"] > 0

    def test_every_planted_reflux_case_is_a_chain(self, district_store, district):
        ws, truth, _, _ = district
        key = workspace_key(ws.root)
        found = {(c["code"], c["first_seller"], c["reseller"], c["patient"], c["first_time"]): c["resale_time"]
                 for c in district_store.reflux_chains()}
        for case in _cases(truth, "reflux"):
            first_seller, reseller = case["institutions"].split("|")
            resale = found.get((case["trace_code"], first_seller, reseller, pseudonym(case["psn_no"], key),
                                _iso(case["first_time"])))
            assert resale, case["note_en"]
            planned = datetime.fromisoformat(case["last_time"])  # the generator's plan, the upload within the hour
            assert abs(datetime.fromisoformat(resale) - planned) < timedelta(hours=1), case["note_en"]

    def test_a_substituted_code_history_shows_every_settlement_in_order(self, district_store, district):
        for case in _cases(district[1], "substitution"):
            history = district_store.code_history(case["trace_code"])
            times = [h["event_time"] for h in history]
            assert times == sorted(times)
            sales = [h for h in history if h["event_type"] == "sale" and h["institution"] == case["institution_code"]]
            assert len(sales) == int(case["event_count"]), case["note_en"]
            assert (sales[0]["event_time"], sales[-1]["event_time"]) == (_iso(case["first_time"]),
                                                                         _iso(case["last_time"]))

    def test_the_time_window_hides_the_resale_of_a_reflux_code(self, district_store, district):
        case = _cases(district[1], "reflux")[0]
        first_seller, reseller = (node_id("Institution", code) for code in case["institutions"].split("|"))
        walk = ["Event", "Institution"]  # a lead flags the code and the reseller too, with no time of its own
        full = district_store.neighbourhood("Code", case["trace_code"], hops=2, labels=walk)
        before = district_store.neighbourhood("Code", case["trace_code"], hops=2, labels=walk,
                                              until=datetime.fromisoformat(case["last_time"]) - timedelta(days=1))
        assert {first_seller, reseller} <= set(full)
        assert first_seller in before and reseller not in before

    def test_a_time_respecting_path_runs_from_the_dispenser_to_the_reseller(self, district_store, district):
        case = _cases(district[1], "reflux")[0]
        first_seller, reseller = (("Institution", code) for code in case["institutions"].split("|"))
        walk = ["Event", "Code"]
        [path] = [p for p in district_store.paths(first_seller, reseller, time_respecting=True, labels=walk)
                  if node_id("Code", case["trace_code"]) in p]
        assert len(path) == 5
        assert path[::-1] not in district_store.paths(reseller, first_seller, time_respecting=True, labels=walk)

    def test_leads_of_the_reseller_and_the_patient(self, district_store, district):
        ws, truth, all_leads, _ = district
        case = _cases(truth, "reflux")[0]
        reseller = case["institution_code"]
        leads = district_store.leads_of("Institution", reseller)
        assert any(lead["trace_code"] == case["trace_code"] and lead["role"] == "main" for lead in leads)
        naming = sorted(lead["lead_id"] for lead in all_leads if reseller in lead["institutions"].split("|"))
        assert sorted(lead["lead_id"] for lead in leads) == naming and len(naming) > 1
        assert leads == sorted(leads, key=lambda lead: (-lead["score"], lead["lead_id"]))
        patient = pseudonym(case["psn_no"], workspace_key(ws.root))
        assert any(lead["scenario"] == "reflux" for lead in district_store.leads_of("Patient", patient))

    def test_flow_events_hold_the_planted_reflux_and_counterfeit_codes(self, district_store, district):
        _, truth, _, _ = district
        flowing = {row["trace_code"] for row in district_store.flow_events()}
        for case in _cases(truth, "reflux") + _cases(truth, "counterfeit"):
            assert case["trace_code"] in flowing, case["note_en"]

    def test_loading_the_district_again_changes_no_count(self, district_store, district):
        ws, _, leads, _ = district
        counts = district_store.counts()
        load_workspace(district_store, ws, leads_table(leads))
        assert district_store.counts() == counts


def test_the_graph_context_reads_the_workspace_reference(workspace):
    write(workspace, [event(0)], [{"med_list_codg": "XA01", "name": "奥美拉唑", "units_per_pack": "24",
                                   "trace_prefixes": "8123456|8999999"}])
    context = graph_context(workspace)
    assert context.product_of_prefix == {"8123456": "XA01", "8999999": "XA01"}
    assert context.key == workspace_key(workspace.root) and context.packs == frozenset()
    assert lead_elements([], context).size() == 0


"""The investigation apps (``LeadBoard``, ``PathFinder``, ``CommunityView``, ``ScenarioTrainer``) built on a
memory store of hand-made events and of a tiny generated district: filters, selections, paths, a ring's
flow and its members, the trainer's answers; ``CommunityView`` also on Neo4j."""

from __future__ import annotations

from datetime import date

import pytest

from loaders.workspace import Workspace
from tests.analytics.test_analyse import AWAY, H1, P1, cluster_rows, code, ring_rows
from tests.conftest import demo_copy
from tests.workbench.events_builder import write
from workbench.analytics.run import analyse_store
from workbench.graph.communities import write_communities
from workbench.graph.load import load_workspace
from workbench.screens.privacy import pseudonym, workspace_key
from workbench.screens.run import screen
from workbench.widgets.community_view import CommunityView
from workbench.widgets.exercises import LEGITIMATE
from workbench.widgets.leadboard import LeadBoard
from workbench.widgets.pathfinder import PathFinder
from workbench.widgets.session import open_store
from workbench.widgets.trainer import ScenarioTrainer


@pytest.fixture(scope="module")
def demo(tiny_demo, tmp_path_factory) -> Workspace:
    """A tiny generated district, screened and analysed as ``tcw demo`` does it."""
    return demo_copy(tiny_demo, tmp_path_factory.mktemp("apps"))


@pytest.fixture(scope="module")
def ring(tmp_path_factory) -> Workspace:
    """The hand-made ring (two hospitals, a collector and two others, four pharmacies) and cluster."""
    return write(Workspace(tmp_path_factory.mktemp("apps") / "ring"), ring_rows() + cluster_rows())


def click(view, node: str) -> None:
    """What a click on a node in the graph widget does: its select callbacks run."""
    view.select(node)


def person(ws: Workspace, name: str) -> str:
    return pseudonym(name, workspace_key(ws.root))


# LeadBoard


def test_leadboard_filters_change_the_rows(demo):
    board = LeadBoard(demo)
    everything = len(board.matching)
    assert everything == len(board.leads) > 0 and len(board.table.options) == min(everything, 200)
    board.scenario.value = "substitution"
    assert 0 < len(board.matching) < everything and {row["scenario"] for row in board.matching} == {"substitution"}
    board.scenario.value = None
    board.min_score.value = 0.9
    assert all(row["score"] >= 0.9 for row in board.matching) and len(board.matching) < everything
    board.min_score.value = 0.0
    place = board.leads[0]["institution_code"]
    board.institution.value = place
    assert board.matching and all(place in f"{row['institution_code']}|{row['institutions']}" for row in board.matching)
    board.institution.value = ""
    board.since.value, board.until.value = date(2025, 9, 1), date(2025, 9, 30)
    assert 0 < len(board.matching) < everything
    assert all(str(row["last_time"]) >= "2025-09-01" for row in board.matching)
    board.since.value = board.until.value = None
    board.sort.value = "time_asc"
    firsts = [row["first_time"] for row in board.matching if row["first_time"]]
    assert firsts == sorted(firsts)


def test_selecting_a_lead_shows_its_explanation_and_graph(demo):
    board = LeadBoard(demo)
    board.scenario.value = "substitution"
    lead = board.shown[0]
    board.table.value = lead["lead_id"]
    assert lead["explanation_zh"] in board.details.value and lead["explanation_en"] in board.details.value
    graph = board.view.graph
    assert f"Lead:{lead['lead_id']}" in graph and f"Code:{lead['trace_code']}" in graph
    events = [n for n, label in graph.nodes(data="label") if label == "Event"]
    assert len(events) >= 3, "the code's sales are drawn"


# PathFinder

THROUGH = ["Event", "Code", "Patient"]


def finder(ws: Workspace, a: tuple[str, str], b: tuple[str, str], time_respecting: bool = False) -> PathFinder:
    app = PathFinder(store=open_store(ws))
    (app.start_label.value, app.start_key.value), (app.end_label.value, app.end_key.value) = a, b
    app.through.value = THROUGH
    app.mode.value = time_respecting
    app.search()
    return app


@pytest.mark.parametrize("time_respecting", [False, True])
def test_pathfinder_finds_hospital_to_pharmacy_through_the_code(ring, time_respecting):
    app = finder(ring, ("Institution", H1), ("Institution", P1), time_respecting)
    assert app.paths and all(len(path) == 5 for path in app.paths)
    assert [f"Institution:{H1}", f"Code:{code(1)}", f"Institution:{P1}"] == app.paths[0][::2]
    assert "销售" in app.listing.value and code(1) in app.listing.value and "找到" in app.message.value
    assert set(app.view.graph) == {node for path in app.paths for node in path}
    assert app.view.graph.number_of_edges() >= 4


def test_pathfinder_time_respecting_refuses_going_back_in_time(ring):
    assert finder(ring, ("Institution", P1), ("Institution", H1)).paths
    app = finder(ring, ("Institution", P1), ("Institution", H1), time_respecting=True)
    assert app.paths == [] and "没有" in app.message.value and "no time-respecting path" in app.message.value


def test_pathfinder_hospital_to_person_and_missing_entities(ring):
    app = finder(ring, ("Institution", H1), ("Patient", person(ring, "COLLECTOR")))
    assert app.paths and len(app.paths[0]) == 3 and "参保人 PSN-" in app.listing.value
    missing = finder(ring, ("Institution", "P59999999999"), ("Patient", person(ring, "COLLECTOR")))
    assert missing.paths == [] and "不在图中" in missing.message.value and "P59999999999" in missing.message.value
    short = finder(ring, ("Institution", H1), ("Patient", person(ring, "COLLECTOR")[:12]))
    assert short.paths == [] and "完整化名" in short.message.value


# CommunityView


def check_ring_view(view: CommunityView, ws: Workspace) -> None:
    ring_row = next(row for row in view.rows if row["kind"] == "reflux_ring")
    view.chooser.value = ring_row["community_id"]
    flow = view.analysis.ring_flow(ring_row["community_id"])
    assert len(view.view.graph) == len(flow) == 9  # 2 hospitals, 3 persons, 4 pharmacies
    assert {data["type"] for *_, data in view.view.graph.edges(data=True)} == {"FLOW"}
    assert ring_row["explanation_zh"] in view.explanation.value
    click(view.view, f"Patient:{person(ws, 'COLLECTOR')}")
    assert "来源参保人" in view.member.value and code(1) in view.member.value
    click(view.view, f"Institution:{P1}")
    assert "转售机构" in view.member.value and "reflux" in view.member.value, "its reflux leads"


def test_community_view_draws_a_ring_and_explains_its_members(ring):
    view = CommunityView(ring)
    assert {row["kind"] for row in view.rows} == {"reflux_ring", "counterfeit_cluster"}
    assert "回流团伙" in view.children[2].children[0].value and "来源参保人" in view.children[2].children[1].value
    check_ring_view(view, ring)


def test_community_view_draws_a_cluster(ring):
    view = CommunityView(ring)
    cluster = next(row for row in view.rows if row["kind"] == "counterfeit_cluster")
    view.chooser.value = cluster["community_id"]
    assert len(view.view.graph) == 6  # 3 outlets, 3 codes
    outlet = sorted(AWAY)[0]
    click(view.view, f"Institution:{outlet}")
    assert "未列为中间人" in view.member.value and all(code(n) in view.member.value for n in (60, 61, 62))


@pytest.mark.neo4j
def test_community_view_on_neo4j(ring, neo4j_driver, neo4j_settings, monkeypatch):
    monkeypatch.setenv("NEO4J_USER", neo4j_settings.user)
    monkeypatch.setenv("NEO4J_PASSWORD", neo4j_settings.password)
    store = open_store(ring, backend="neo4j", uri=neo4j_settings.uri)
    try:
        load_workspace(store, ring, screen(ring))
        write_communities(store, analyse_store(store))
        assert store.counts()["Community"] == 2
        check_ring_view(CommunityView(store=store), ring)
    finally:
        store.close()


# ScenarioTrainer


def test_trainer_order_is_fixed_by_the_seed(demo):
    first, again = ScenarioTrainer(demo, seed=3), ScenarioTrainer(demo, seed=3)
    assert [(e.case["case_id"], e.choices) for e in first.exercises] == \
           [(e.case["case_id"], e.choices) for e in again.exercises]
    kinds = {e.case["kind"] for e in first.exercises}
    assert kinds == {"substitution", "reflux", "phantom_sale", "counterfeit", "split_sale", "return_resale",
                     "chain_transfer", "double_upload"}


def go_to(trainer: ScenarioTrainer, kind: str):
    position = next(k for k, e in enumerate(trainer.exercises) if e.case["kind"] == kind)
    trainer.go(position)
    return trainer.exercise


def test_trainer_substitution_right_and_wrong(demo):
    trainer = ScenarioTrainer(demo, demo.root.parent / "data")
    exercise = go_to(trainer, "substitution")
    assert exercise.answer == f"Code:{exercise.case['trace_code']}" and LEGITIMATE in exercise.choices
    assert exercise.case["trace_code"] in trainer.table.value and len(trainer.view.graph) > 3
    assert "Lead" not in {label for _, label in trainer.view.graph.nodes(data="label")}, "no lead gives it away"
    assert trainer.answer(exercise.answer) is True
    assert "正确" in trainer.feedback.value and exercise.case["note_zh"] in trainer.feedback.value
    assert "筛查线索" in trainer.feedback.value, "the screen's explanation"
    assert (trainer.right, trainer.answered) == (1, 1)
    trainer.go(trainer.position)
    assert trainer.answer(LEGITIMATE) is False and "错误" in trainer.feedback.value
    assert (trainer.right, trainer.answered) == (1, 2)


def test_trainer_look_alike_is_legitimate(demo):
    trainer = ScenarioTrainer(demo)
    exercise = go_to(trainer, "split_sale")
    suspect = f"Code:{exercise.case['trace_code']}"
    assert exercise.answer == LEGITIMATE and suspect in exercise.choices
    assert trainer.answer(suspect) is False and "合法 legitimate" in trainer.feedback.value
    trainer.go(trainer.position)
    button = next(b for b in trainer.choices.children if b.tooltip == LEGITIMATE)
    button.click()
    assert "正确" in trainer.feedback.value and "拆零" in trainer.feedback.value
    trainer.go(len(trainer.exercises))
    assert "完成" in trainer.question.value


def test_a_phantom_sale_lead_draws_the_institutions_events_of_the_product(demo):
    board = LeadBoard(demo)
    board.scenario.value = "phantom_sale"
    lead = board.shown[0]
    board.select(lead["lead_id"])
    graph = board.view.graph
    sales = [n for n, data in graph.nodes(data=True) if data.get("event_type") == "sale"]
    assert f"Institution:{lead['institution_code']}" in graph and len(sales) >= lead["event_count"] > 0

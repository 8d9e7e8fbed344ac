"""``Explorer`` on both stores: what one types is found (a code as scanned, an institution by name, a
person by number), its neighbourhood drawn with the hops and labels chosen, a code's timeline, matches to
choose from, a clear line when nothing is found."""

from __future__ import annotations

from html import unescape

import pytest

from tests.analytics.test_analyse import H1, P1, P2, code, ring_rows
from tests.widgets.stores import STORES, loaded, message, open_store, recording
from workbench.graph.store import node_id
from workbench.screens.privacy import pseudonym, workspace_key
from workbench.widgets import session
from workbench.widgets.explorer import Explorer

NAMES = {P1: "江津区某某大药房", P2: "江津区另一家大药房", H1: "江津区人民医院"}


def named_rows() -> list[dict]:
    return [{**row, "institution_name": NAMES.get(row["institution_code"])} for row in ring_rows()]


@pytest.fixture(params=STORES)
def explorer(request, tmp_path) -> Explorer:
    store = open_store(request.param, request)
    ws = loaded(store, tmp_path / "ws", named_rows())
    app = Explorer(ws, store=store)
    app.view.sent = recording(app.view)
    yield app
    store.close()


def drawn(app: Explorer) -> set[str]:
    return {node["id"] for node in app.view.sent.last()["nodes"]}


def test_a_trace_code_opens_its_neighbourhood_and_its_timeline(explorer):
    found = explorer.search("8123456 0000000000001")  # as scanned, with a space
    node = node_id("Code", code(1))
    assert [match.node for match in found] == [node] and explorer.view.selected == node
    assert explorer.view.graph.has_node(node_id("Institution", P1)) and drawn(explorer) == set(explorer.view.graph)
    assert "时间线 timeline" in explorer.timeline.value and H1 in explorer.timeline.value and P1 in explorer.timeline.value
    assert "流向 history" in explorer.view.panel.value and "2 跳 hops" in explorer.message.value


def test_an_institution_by_name_a_person_by_number_and_a_label_with_its_key(explorer):
    [match] = explorer.search("某某大药房")
    assert (match.node, match.name) == (node_id("Institution", P1), NAMES[P1])
    assert explorer.view.selected == node_id("Institution", P1)
    collector = pseudonym("COLLECTOR", workspace_key(explorer.names.ws.root))
    assert [m.node for m in explorer.search("COLLECTOR")] == [node_id("Patient", collector)]
    assert [m.node for m in explorer.search(collector)] == [node_id("Patient", collector)]
    assert [m.node for m in explorer.search(f"Institution:{H1}")] == [node_id("Institution", H1)]
    assert explorer.chooser.layout.display == "none"


def test_several_matches_are_offered_and_the_chosen_one_opened(explorer):
    found = explorer.search("大药房")
    assert {m.node for m in found} == {node_id("Institution", P1), node_id("Institution", P2)}
    assert explorer.chooser.layout.display == "flex" and len(explorer.chooser.options) == 2
    other = next(m.node for m in found if m.node != explorer.view.selected)
    explorer.chooser.value = other
    assert explorer.view.selected == other and explorer.view.focus == other


def test_nothing_found_is_said(explorer):
    assert explorer.search("no such thing") == []
    assert "nothing found for 'no such thing'" in unescape(explorer.message.value) and "tcw-bad" in explorer.message.value


def test_hops_and_labels_shape_what_is_drawn(explorer):
    explorer.search(code(1))
    one = set(explorer.view.graph)
    explorer.hops.value = 4
    assert set(explorer.view.graph) > one
    explorer.filters["Lead"].value = False
    explorer.filters["Community"].value = False
    assert explorer.view.labels == set(explorer.filters) - {"Lead", "Community"}
    labels = {data["label"] for _, data in explorer.view.graph.nodes(data=True)}
    assert "Lead" not in labels and "Community" not in labels and "Institution" in labels
    explorer.view.expand(node_id("Institution", P1))
    assert "Lead" not in {data["label"] for _, data in explorer.view.graph.nodes(data=True)}, "expansions too"


def test_a_double_click_expands_and_a_click_on_a_code_shows_its_timeline(explorer):
    explorer.search(P2)
    before = len(explorer.view.graph)
    some_code = next(n for n, label in explorer.view.graph.nodes(data="label") if label == "Code")
    message(explorer.view, {"type": "dblclick", "node": some_code})
    assert len(explorer.view.graph) > before
    message(explorer.view, {"type": "click", "node": some_code})
    assert some_code.split(":", 1)[1] in explorer.timeline.value


def test_explorer_opens_the_workspace_itself(tmp_path):
    from loaders.workspace import Workspace
    from tests.workbench.events_builder import write

    session.forget()
    ws = write(Workspace(tmp_path / "ws"), named_rows())
    app = Explorer(ws)
    recording(app.view)
    assert app.store is session.open_store(ws) and app.search(code(2))
    assert app.view.graph.number_of_nodes() > 0

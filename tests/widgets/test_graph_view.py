"""``GraphView`` driven as the browser drives it (its message handler called with what the JavaScript
sends), on both stores: a click selects and fills the details, a double-click expands, the time bar's window
shapes the next expansion, big graphs are aggregated, hide and pin, the library handed over on request, and
nothing big in the widget's saved state."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from tests.analytics.test_analyse import H1, P1, P2, code, ring_rows
from tests.widgets.stores import STORES, loaded, message, open_store, recording
from tests.workbench.events_builder import event
from workbench.graph.store import entity, node_id
from workbench.widgets.graph_view import ASSETS, LIBRARY, GraphView, library_text


@pytest.fixture(params=STORES)
def store(request, tmp_path):
    store = open_store(request.param, request)
    loaded(store, tmp_path / "ws", ring_rows())
    yield store
    store.close()


@pytest.fixture
def view(store) -> GraphView:
    view = GraphView(store)
    view.sent = recording(view)
    return view


def drawn_ids(view: GraphView) -> set[str]:
    return {node["id"] for node in view.sent.last()["nodes"]}


def events_of(graph) -> set[str]:
    return {node for node, label in graph.nodes(data="label") if label == "Event"}


def test_a_click_selects_the_node_and_fills_the_details(view, store):
    node = node_id("Code", code(1))
    view.show(store.neighbourhood("Code", code(1), hops=2))
    chosen = []
    view.on_select(chosen.append)
    message(view, {"type": "click", "node": node})
    assert view.selected == node and chosen == [node]
    found = view.details(node)
    assert (found["label"], found["key"], found["caption"]) == ("Code", code(1), code(1))
    assert [row["institution"] for row in found["history"]] == [H1, P1]
    assert [lead["rule_id"] for lead in found["leads"]] == ["reflux"]
    assert "流向 history" in view.panel.value and P1 in view.panel.value and "回流 reflux" in view.panel.value
    message(view, {"type": "click", "node": node_id("Institution", P1)})
    assert view.details(view.selected)["history"] == [] and len(view.details(view.selected)["leads"]) == 4
    assert chosen[-1] == node_id("Institution", P1) and "机构 institution" in view.panel.value


def test_a_double_click_expands_the_neighbourhood(view, store):
    view.show(store.neighbourhood("Code", code(1), hops=1))
    before = set(view.graph)
    hub = node_id("Institution", P1)
    sale = next(node for node in events_of(view.graph) if hub in store.neighbourhood(*entity(node), hops=1))
    message(view, {"type": "dblclick", "node": node_id("Event", entity(sale)[1])})
    assert set(view.graph) == before | set(store.neighbourhood(*entity(sale), hops=1))
    assert node_id("Institution", P1) in view.graph and len(view.graph) > len(before)
    assert view.sent.last()["mode"] == "merge" and drawn_ids(view) == set(view.graph)
    assert view.sent.last()["focus"] == sale


def test_the_time_bar_window_filters_the_next_expansion(view, store):
    everything = store.neighbourhood("Institution", P1, hops=1)
    times = sorted(data["event_time"] for _, data in everything.nodes(data=True) if data["label"] == "Event")
    day = times[0][:10]
    view.show(store.neighbourhood("Institution", P1, hops=0))
    message(view, {"type": "window", "since": day, "until": day})
    start = datetime.fromisoformat(day)
    assert view.window == (start, start + timedelta(days=1, microseconds=-1))
    assert not view.sent.of("window"), "a window from the browser is not sent back"
    view.expand(node_id("Institution", P1))
    kept = {node: data["event_time"] for node, data in view.graph.nodes(data=True) if data["label"] == "Event"}
    assert sorted(kept.values()) == [t for t in times if t.startswith(day)] and len(kept) < len(times)
    message(view, {"type": "window", "since": None, "until": None})
    assert view.window == (None, None)
    view.expand(node_id("Institution", P1))
    assert len(events_of(view.graph)) == len(times)


def test_a_window_set_in_python_moves_the_time_bar(view, store):
    view.show(store.neighbourhood("Code", code(1), hops=2))
    view.window = (date(2025, 6, 1), "2025-06-30T12:00:00")
    assert view.window == (datetime(2025, 6, 1), datetime(2025, 6, 30, 12))
    assert view.sent.last("window")["window"] == ["2025-06-01", "2025-06-30"]
    view.show(view.graph)
    assert view.sent.last()["window"] == ["2025-06-01", "2025-06-30"]
    with pytest.raises(Exception, match="starts after it ends"):
        view.window = ("2025-07-01", "2025-06-01")


def test_big_graphs_are_drawn_with_events_folded_into_counted_edges(store):
    view = GraphView(store, max_drawn=10)
    sent = recording(view)
    graph = store.neighbourhood("Institution", P1, hops=2)
    view.show(graph, focus=node_id("Institution", P1))
    drawn = sent.last()
    assert events_of(view.graph) == events_of(graph), "the view holds the graph before aggregation"
    assert not {n["id"] for n in drawn["nodes"]} & events_of(graph)
    expected: dict[tuple[str, str, str], int] = {}
    for event_node in events_of(graph):
        ends = {key: end for _, end, key in graph.out_edges(event_node, keys=True)}
        kind = graph.nodes[event_node]["event_type"]
        for key in ("AT", "TO_PATIENT", "OF_PRODUCT"):  # the settled product, unless the code points to it
            if "OF_CODE" in ends and key in ends and not graph.has_edge(ends["OF_CODE"], ends[key]):
                triple = (ends["OF_CODE"], ends[key], f"{key}:{kind}")
                expected[triple] = expected.get(triple, 0) + 1
    counted = {(e["from"], e["to"], e["id"].split("|")[1]): e for e in drawn["edges"] if ":" in e["id"].split("|")[1]}
    assert {triple: edge["n"] for triple, edge in counted.items()} == expected
    to_p1 = [edge for (_, end, key), edge in counted.items() if end == node_id("Institution", P1) and key == "AT:sale"]
    assert len(to_p1) == 4 and all(edge["label"] == "销售 ×1" and len(edge["ts"]) == 1 for edge in to_p1)
    assert view.drawing.folded["events"] == len(events_of(graph))
    assert "事件并为" in drawn["status"] and "events folded" in view.status
    others = {node for node, label in graph.nodes(data="label") if label == "Institution"} - {node_id("Institution", P1)}
    assert view.drawing.groups["Group:500116"] == {"of": "Institution", "region": "500116", "members": sorted(others)}
    group = next(n for n in drawn["nodes"] if n["id"] == "Group:500116")
    assert group["label"] == f"地区 500116\n{len(others)} 家机构" and "institutions grouped by region" in view.status
    member_of = next(e for e in drawn["edges"] if e["from"] == "Group:500116" and e["id"].split("|")[1] == "MEMBER_OF")
    assert member_of["n"] == len(others) and member_of["label"] == f"属于团伙 ×{len(others)}"
    assert view.details("Group:500116")["members"] == sorted(others)


def test_hide_and_pin(view, store):
    view.show(store.neighbourhood("Code", code(1), hops=2))
    hospital = node_id("Institution", H1)
    message(view, {"type": "click", "node": hospital})
    message(view, {"type": "hide", "node": hospital})
    assert hospital not in drawn_ids(view) and hospital in view.graph and view.selected == ""
    view.unhide()
    assert hospital in drawn_ids(view)
    message(view, {"type": "pin", "node": hospital})
    assert view.pinned == {hospital}
    assert next(n for n in view.sent.last()["nodes"] if n["id"] == hospital)["fixed"] is True
    message(view, {"type": "pin", "node": hospital})
    assert view.pinned == set() and "fixed" not in next(n for n in view.sent.last()["nodes"] if n["id"] == hospital)


def test_pinned_nodes_are_never_folded_away(store):
    view = GraphView(store, max_drawn=5)
    sent = recording(view)
    graph = store.neighbourhood("Code", code(1), hops=2)
    sale = sorted(events_of(graph))[0]
    view.show(graph)
    assert sale not in {n["id"] for n in sent.last()["nodes"]}
    view.pin(sale)
    assert sale in {n["id"] for n in sent.last()["nodes"]}


def test_the_browsers_messages_arrive_through_the_widgets_comm(view, store):
    view.show(store.neighbourhood("Code", code(1), hops=2))
    node = node_id("Code", code(1))
    view._handle_msg({"content": {"data": {"method": "custom", "content": {"type": "click", "node": node}}},
                      "buffers": []})  # what ipywidgets does with a comm message from model.send
    assert view.selected == node


def test_the_library_is_sent_when_asked_for(view):
    message(view, {"type": "need-library"})
    text = view.sent.last("library")["text"]
    vendored = (ASSETS / LIBRARY).read_text(encoding="utf-8")
    assert text == library_text() and text in vendored and len(text) > 600_000
    assert "export{" in text and "sourceMappingURL" not in text


def test_a_new_view_in_the_browser_gets_the_current_drawing(view, store):
    view.show(store.neighbourhood("Code", code(1), hops=2))
    message(view, {"type": "ready"})
    assert view.sent.last()["mode"] == "replace" and drawn_ids(view) == set(view.graph)
    message(view, {"type": "drawn", "ms": 42, "nodes": 9, "edges": 13})
    assert view.last_drawn == {"ms": 42, "nodes": 9, "edges": 13}
    message(view, {"type": "no such message"})


def test_nothing_big_is_in_the_saved_widget_state(store):
    view = GraphView(store)
    recording(view)
    view.show(store.neighbourhood("Institution", P2, hops=4))
    message(view, {"type": "need-library"})
    state = json.dumps(view.get_state(), default=str)
    assert len(state) < 64_000, "the library and the drawing travel by messages, not in the state"
    assert code(1) not in state and "Institution:" not in state and "vis-network" not in state.split("_esm")[0]
    assert set(view.get_state()) >= {"_esm", "_css", "height", "selected"}
    assert not {"window", "labels", "graph"} & set(view.get_state())


def test_the_javascript_fetches_nothing():
    script = (ASSETS / "graph_view.js").read_text(encoding="utf-8")
    css = (ASSETS / "graph_view.css").read_text(encoding="utf-8")
    assert "http" not in script and "http" not in css and "@import" not in css and "url(" not in css
    assert not re.search(r"^\s*import\s.*from\s", script, re.M), "no static imports"
    assert re.findall(r"\bimport\(([^)]*)\)", script) == ["/* webpackIgnore: true */ url"]
    assert "URL.createObjectURL(new Blob([msg.text]" in script
    assert "export default { render }" in script


def test_a_double_click_on_a_group_draws_its_members(store):
    view = GraphView(store, max_drawn=10)
    sent = recording(view)
    view.show(store.neighbourhood("Institution", P1, hops=2), focus=node_id("Institution", P1))
    members = view.drawing.groups["Group:500116"]["members"]
    message(view, {"type": "click", "node": "Group:500116"})
    assert "组 group" in view.panel.value and all(entity(m)[1] in view.panel.value for m in members)
    message(view, {"type": "dblclick", "node": "Group:500116"})
    drawn = {n["id"] for n in sent.last()["nodes"]}
    assert set(members) <= drawn and "Group:500116" not in drawn and view.opened >= set(members)
    view.show(view.graph)
    assert view.opened == set() and "Group:500116" in {n["id"] for n in sent.last()["nodes"]}
    message(view, {"type": "pin", "node": "Group:500116"})
    assert "a group cannot be pinned" in view.panel.value and view.pinned == set()
    members = view.drawing.groups["Group:500116"]["members"]  # P1 too, no longer the focus
    message(view, {"type": "hide", "node": "Group:500116"})
    assert view.hidden == set(members) and not set(members) & {n["id"] for n in sent.last()["nodes"]}


def test_the_details_panel_escapes_what_the_data_says(store, tmp_path):
    hostile = "<img src=x onerror=alert(1)>药房"
    loaded(store, tmp_path / "hostile", [event(1, institution_code="PX", institution_name=hostile)])
    view = GraphView(store)
    recording(view)
    view.show(store.neighbourhood("Institution", "PX", hops=2))
    message(view, {"type": "click", "node": node_id("Institution", "PX")})
    assert "&lt;img src=x onerror=alert(1)&gt;药房" in view.panel.value and "<img" not in view.panel.value
    assert view.details("Institution:PX")["caption"] == hostile


def test_clear_and_the_box(view, store):
    view.show(store.neighbourhood("Code", code(1), hops=2))
    view.pin(node_id("Code", code(1)))
    view.clear()
    assert len(view.graph) == 0 and view.pinned == set() and view.sent.last()["nodes"] == []
    box = view.box()
    assert box.children == (view, view.panel)


def test_a_node_the_view_does_not_hold_is_looked_up_in_the_store(view):
    found = view.details(node_id("Institution", P1))
    assert found["key"] == P1 and len(found["leads"]) == 4
    with pytest.raises(KeyError):
        view.details(node_id("Institution", "nowhere"))
    assert "not in the graph" in view.details_html("Institution:nowhere")


def test_the_assets_are_package_data():
    import tomllib

    config = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["workbench.widgets"]
    assert {"assets/*.mjs", "assets/*.js", "assets/*.css"} <= set(patterns)

"""The graph widget's JavaScript in headless Chromium (Debian's ``chromium`` through Playwright), wired to a
real ``GraphView`` (``graph_page``): the library arrives by message, the graph is drawn with nothing
fetched, a click selects, a double-click expands, the right-click menu hides, the time bar hides what is
outside its window and tells Python, and 1,000 / 5,000 nodes draw in time. Without chromium these tests
skip, except under ``CI=true``, where they fail."""

from __future__ import annotations

import pytest

from tests.analytics.test_analyse import code, ring_rows
from tests.browser import chromium
from tests.widgets.graph_page import GraphPage
from tests.widgets.stores import loaded
from tests.widgets.test_drawing import district
from workbench.graph.memory import MemoryStore
from workbench.graph.store import node_id
from workbench.widgets.graph_view import ASSETS, GraphView

#: The time bar's handles moved to days ``since`` and ``until`` (indices from its first day).
MOVE_TIME_BAR = """([since, until]) => { const el = document.getElementById("graph");
  for (const [name, value] of [["from", since], ["to", until]]) {
    const input = el.querySelector(".tcw-time-" + name); input.value = String(value);
    input.dispatchEvent(new Event("input")); } }"""
SECOND_VIEW = """async (source) => {
  const url = URL.createObjectURL(new Blob([source], {type: "text/javascript"}));
  const el = document.createElement("div"); el.id = "second"; document.body.appendChild(el);
  (await import(url)).default.render({model: window.__model, el}); }"""
RIGHT_CLICK_HIDE = """() => document.querySelector("#graph .tcw-menu-hide").click()"""


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


@pytest.fixture
def ring(tmp_path) -> MemoryStore:
    store = MemoryStore()
    loaded(store, tmp_path / "ws", ring_rows())
    return store


@pytest.fixture
def page(browser, ring):
    opened = GraphPage(browser, GraphView(ring))
    yield opened
    opened.close()


def test_the_graph_is_drawn_from_the_library_the_kernel_sends_and_nothing_is_fetched(page, ring):
    view = page.view
    view.show(ring.neighbourhood("Code", code(1), hops=2))
    drawn = page.wait_drawn()
    assert drawn["nodes"] == len(view.graph) and drawn["edges"] == view.graph.number_of_edges()
    page.pump()
    assert view.last_drawn == {"ms": drawn["drawn_ms"], "nodes": drawn["nodes"], "edges": drawn["edges"]}
    assert page.requests == [] and page.errors == []
    assert "追溯码 trace code" in page.page.inner_text("#graph .tcw-legend")
    assert "绘制" in page.page.inner_text("#graph .tcw-status")
    page.pump()
    page.page.evaluate(SECOND_VIEW, (ASSETS / "graph_view.js").read_text(encoding="utf-8"))
    assert page.page.evaluate("() => window.__sent.map((m) => m.type)") == ["ready"], "the library is asked once a page"
    page.pump()
    page.page.wait_for_selector('#second[data-tcw-graph="ready"]')
    assert page.page.evaluate("() => window.tcwGraphs.length") == 2


def test_a_click_selects_a_double_click_expands_and_the_menu_hides(page, ring):
    view = page.view
    node = node_id("Code", code(1))
    view.show(ring.neighbourhood("Code", code(1), hops=1))
    before = page.wait_drawn()
    page.click(node)
    assert view.selected == node and "流向 history" in view.panel.value
    event = next(n for n, label in view.graph.nodes(data="label") if label == "Event")
    page.click(event, double=True)
    after = page.wait_drawn(before)
    assert after["nodes"] == len(view.graph) > before["nodes"]
    x, y = page.page.evaluate("(id) => { const g = window.tcwGraphs[window.tcwGraphs.length - 1];"
                              " const d = g.canvasToDOM(g.getPositions([id])[id]);"
                              " const b = g.body.container.querySelector('canvas').getBoundingClientRect();"
                              " return [b.left + d.x, b.top + d.y]; }", node)
    page.page.mouse.click(x, y, button="right")
    assert page.page.is_visible("#graph .tcw-menu")
    page.page.evaluate(RIGHT_CLICK_HIDE)
    page.pump()
    assert view.hidden == {node} and page.wait_drawn(after)["nodes"] == len(view.graph) - 1
    assert page.errors == []


def test_the_time_bar_hides_what_is_outside_its_window_and_tells_python(page, ring):
    view = page.view
    view.show(ring.neighbourhood("Code", code(1), hops=2))
    page.wait_drawn()
    events = sorted((data["event_time"], n) for n, data in view.graph.nodes(data=True) if data["label"] == "Event")
    assert page.page.is_visible("#graph .tcw-timebar") and len(events) == 2
    page.page.evaluate(MOVE_TIME_BAR, [0, 0])  # the first day only: the dispensing, not the resale
    page.page.wait_for_timeout(400)
    page.pump()
    assert page.hidden([events[0][1], events[1][1]]) == [False, True]
    first = events[0][0][:10]
    assert view.window[0] is None and view.window[1].date().isoformat() == first
    assert "事件 events 1/2" in page.page.inner_text("#graph .tcw-time-label")
    page.page.click("#graph .tcw-time-all")
    page.page.wait_for_timeout(400)
    page.pump()
    assert view.window == (None, None) and page.hidden([events[1][1]]) == [False]
    view.window = (events[1][0][:10], None)  # from Python: the handles follow
    page.pump()
    assert page.hidden([events[0][1], events[1][1]]) == [True, False]


def test_play_steps_the_window_through_time(page, ring):
    view = page.view
    view.show(ring.neighbourhood("Code", code(5), hops=2))
    page.wait_drawn()
    page.page.click("#graph .tcw-play")
    page.page.wait_for_timeout(1600)
    page.pump()
    label = page.page.inner_text("#graph .tcw-time-label")
    assert "全部时间" not in label and view.window != (None, None)
    page.page.click("#graph .tcw-play")
    assert "播放 play" in page.page.inner_text("#graph .tcw-play")


@pytest.mark.parametrize("codes, pharmacies, seconds", [(137, 40, 3.0), (708, 44, 10.0)],
                         ids=["1000-nodes", "5000-nodes"])
def test_big_graphs_draw_in_time(browser, codes, pharmacies, seconds):
    graph = district(codes=codes, pharmacies=pharmacies, regions=20)  # 7 nodes a code: the code, 3 sales, 3 buyers
    view = GraphView(MemoryStore(), max_drawn=len(graph))  # every node drawn
    page = GraphPage(browser, view)
    try:
        view.show(graph)
        drawn = page.wait_drawn(timeout=60)
        assert drawn["nodes"] == len(graph) and drawn["drawn_ms"] < seconds * 1000, drawn
        print(f"{len(graph)} nodes: Python {view.prepare_ms:.0f} ms, browser {drawn['drawn_ms']} ms")
        assert page.errors == [] and page.requests == []
    finally:
        page.close()


def test_a_big_neighbourhood_is_aggregated_before_it_is_drawn(browser):
    graph = district(codes=708, pharmacies=44, regions=20)
    view = GraphView(MemoryStore())
    page = GraphPage(browser, view)
    try:
        view.show(graph)
        drawn = page.wait_drawn(timeout=60)
        assert drawn["nodes"] < len(graph) / 3 and drawn["drawn_ms"] < 3000, drawn
        print(f"{len(graph)} nodes aggregated to {drawn['nodes']}: Python {view.prepare_ms:.0f} ms, browser "
              f"{drawn['drawn_ms']} ms")
        assert "事件并为" in page.page.inner_text("#graph .tcw-status")
    finally:
        page.close()

"""JupyterLab from ``tcw lab`` in headless Chromium: a notebook opens, runs all its cells, its widgets
render, and the page asks nothing of any host but 127.0.0.1. The time from "Run All Cells" to the first
widget drawn goes to ``timings.json`` in the test artefacts, a screenshot beside it. With
``notebooks/01-*.ipynb`` present, its graph: drawn, the time bar narrows the events shown, a click and a
double-click reach Python (a selected node, a bigger graph)."""

from __future__ import annotations

import time
from functools import partial

import pytest

from tests.notebooks.artefacts import record_figure
from tests.notebooks.harness import TINY, notebook_params
from tests.notebooks.lab_browser import (
    click_node,
    double_click_node,
    first_graph,
    graph_attributes,
    lab_page,
    node_ids,
    slide_time_bar,
    time_window_events,
    wait_for_redraw,
)
from tests.notebooks.lab_server import kernel_output

WIDGET = ".jp-OutputArea-output .jupyter-widgets"


def test_the_tiny_notebook_runs_in_the_lab_without_leaving_127_0_0_1(lab, lab_browser):
    with lab_page(lab_browser, lab) as visit:
        visit.open(TINY.name)
        started = visit.run_all()
        visit.wait_for('[data-tcw-test="anywidget"]')
        drawn = time.monotonic() - started
        visit.wait_until_run()
        assert "你好 hello" in visit.page.inner_text('[data-tcw-test="anywidget"]')
        assert "事件文件 event files" in visit.page.inner_text('[data-tcw-test="label"]')
        assert visit.page.locator(f"{WIDGET} .widget-slider").count() == 1
        visit.screenshot("lab-tiny-widget")
        assert visit.outside() == [], visit.outside()
        assert visit.errors == [], visit.errors
        assert any("/api/kernels/" in url and url.startswith("ws://127.0.0.1") for url in visit.requests)
    record_figure("lab: Run All Cells → first widget drawn (tiny test notebook)", drawn, notebook=TINY.name)


@pytest.mark.parametrize("notebook", notebook_params("01-*.ipynb"))
def test_the_investigation_graph_answers_the_time_bar_clicks_and_double_clicks(notebook, lab, lab_browser):
    """The lead's subgraph (``view`` in notebook 01): the time bar narrows the events shown and Python gets
    the window; a click selects the node in Python; a double-click expands it there and the drawing follows."""
    python = partial(python_value, lab, f"notebooks/{notebook.name}")
    with lab_page(lab_browser, lab) as visit:
        visit.open(notebook.name)
        started = visit.run_all()
        graph = first_graph(visit, min_nodes=1, timeout=240)
        drawn = time.monotonic() - started
        visit.wait_until_run(timeout=300)
        ran = time.monotonic() - started
        before = graph_attributes(graph)
        assert before["nodes"] == len(node_ids(graph)) > 0, before
        visit.screenshot(f"lab-{notebook.stem}-drawn")

        inside, total = time_window_events(graph)
        slide_time_bar(graph, 1.0)
        visit.until(lambda: time_window_events(graph)[0] < inside, 15, "fewer events inside the time window")
        visit.until(lambda: python("view.window[0]") != "None", 15, "view.window set from the time bar")
        visit.screenshot(f"lab-{notebook.stem}-time-window")
        graph.locator("button.tcw-time-all").click()
        visit.until(lambda: python("view.window") == "(None, None)", 15, "all time again")

        chosen = [node for node in node_ids(graph) if node.startswith(EXPANDABLE)]
        click_node(graph, chosen[0])
        visit.until(lambda: python("view.selected") == chosen[0], 15, f"view.selected == {chosen[0]}")
        grown = expand_until_it_grows(visit, graph, python, chosen)
        visit.screenshot(f"lab-{notebook.stem}-expanded")
        assert visit.outside() == [], visit.outside()
        assert visit.errors == [], visit.errors
    record_figure(f"lab: Run All Cells → first graph drawn ({notebook.name})", drawn, notebook=notebook.name,
                  nodes=before["nodes"], edges=before["edges"], draw_ms=before["drawn_ms"], all_cells_s=round(ran, 2),
                  expanded_to=grown["nodes"], expand_draw_ms=grown["drawn_ms"])


#: Nodes whose expansion brings new neighbours (a code's events are folded into its edges already).
EXPANDABLE = ("Person:", "Institution:", "Region:")


def python_value(lab, path: str, expression: str) -> str:
    """``print(expression)`` in the notebook's kernel, as text."""
    return kernel_output(lab, path, f"print({expression})").strip()


def expand_until_it_grows(visit, graph, python, nodes: list) -> dict:
    """Double-click ``nodes`` in turn until Python's graph holds more nodes; the drawing after it."""
    for node in nodes:
        held, before = int(python("view.graph.number_of_nodes()")), graph_attributes(graph)
        double_click_node(graph, node)
        try:
            visit.until(lambda held=held: int(python("view.graph.number_of_nodes()")) > held, 10, f"{node} expanded")
        except TimeoutError:
            continue
        return wait_for_redraw(graph, before)
    raise AssertionError(f"no double-click on {nodes} grew the graph")

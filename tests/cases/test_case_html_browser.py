"""The case package's HTML view in headless Chromium: every request stays in the file (``file:``, ``data:``,
``blob:``), the graph is drawn, no hostile text runs (no dialog, no error), and the hostile code reads as
text. Without chromium this skips, except under ``CI=true`` (``make setup`` installs it)."""

from __future__ import annotations

import time

import pytest

from tests.browser import chromium
from tests.cases.graph_sample import SCRIPT_CODE, TITLE, sample_evidence
from workbench.cases.case_html import write_case_html
from workbench.cases.subgraph import case_graph

ALLOWED = ("file:", "data:", "blob:")
#: Painted pixels of the graph's canvas.
PAINTED = """() => { const canvas = document.querySelector("div.graph canvas");
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0; for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) painted++; } return painted; }"""


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def page_path(tmp_path_factory):
    evidence = sample_evidence()
    path = tmp_path_factory.mktemp("case-html") / "case.html"
    graph = case_graph(evidence)
    write_case_html(evidence, graph, path)
    return path, graph.number_of_nodes()


def test_the_case_page_asks_for_nothing_outside_itself_and_draws_its_graph(browser, page_path):
    path, nodes = page_path
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    requests, errors, dialogs = [], [], []
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(ALLOWED) else route.abort())
    page = context.new_page()
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        page.goto(f"file://{path}")
        deadline = time.monotonic() + 30
        while not page.evaluate("() => !!document.querySelector('div.graph[data-drawn]')"):
            assert time.monotonic() < deadline, "graph not drawn in time"
            page.wait_for_timeout(100)
        assert requests and all(url.startswith(ALLOWED) for url in requests), requests
        assert errors == [] and dialogs == []
        assert int(page.get_attribute("div.graph", "data-nodes")) == nodes == 12
        assert page.evaluate(PAINTED) > 2_000
        assert page.locator("svg.timeline g.lane").count() == 3
        assert SCRIPT_CODE in page.inner_text("#timeline")
        assert TITLE in page.inner_text("h1")
    finally:
        context.close()

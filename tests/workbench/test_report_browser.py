"""The demo's report in headless Chromium (Debian's ``chromium``, driven by Playwright): nothing leaves the
page, every graph's canvas is painted (the leads' with the lead's star, the rings' with their institutions
and persons), Chinese renders with a system font, hostile text stays text. Without chromium these tests
skip, except under ``CI=true``, where they fail (``make setup`` installs it)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.browser import chromium
from tests.workbench.test_report import (
    HOSTILE,
    HOSTILE_STORE,
    hostile_ring_rows,
    hostile_store,
    networks_report,
)
from workbench.report.build import report_from_store

ALLOWED_SCHEMES = ("file:", "data:", "about:")
#: Painted pixels per canvas, and pixels in a label's colour (the lead's, an institution's…), at least.
MIN_PAINTED, MIN_LEAD_PIXELS = 2_000, 20
#: The schema's colours of the lead, institutions and insured persons, as RGB.
LEAD, INSTITUTION, PERSON = (255, 127, 14), (214, 39, 40), (148, 103, 189)
#: Each canvas under ``selector``: its size, how many pixels are painted and how many are in each colour.
CANVASES = """([selector, colours]) => Array.from(document.querySelectorAll(selector + " canvas")).map((canvas) => {
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  const found = colours.map(() => 0);
  let painted = 0;
  for (let i = 0; i < pixels.length; i += 4) {
    if (pixels[i + 3] > 0) painted++;
    colours.forEach(([r, g, b], k) => {
      if (pixels[i + 3] > 200 && Math.abs(pixels[i] - r) < 16 && Math.abs(pixels[i + 1] - g) < 16
          && Math.abs(pixels[i + 2] - b) < 16) found[k]++;
    });
  }
  const box = canvas.closest("div.graph");
  return {width: canvas.width, height: canvas.height, painted: painted, colours: found,
          nodes: Number(box.getAttribute("data-nodes")), index: Number(box.getAttribute("data-graph"))};
})"""
#: Two different Chinese characters drawn in the page's font: the same image means both fell to a box.
CJK_GLYPHS = """() => {
  const canvas = document.createElement("canvas"); canvas.width = 64; canvas.height = 40;
  const context = canvas.getContext("2d");
  const draw = (text) => { context.clearRect(0, 0, 64, 40); context.font = "28px " + getComputedStyle(document.body).fontFamily;
                           context.fillText(text, 2, 32); return canvas.toDataURL(); };
  return [draw("追"), draw("码"), draw("")];
}"""
RECORD_BLOCKED = """document.addEventListener("securitypolicyviolation", (event) => {
  (window.__blocked = window.__blocked || []).push(event.violatedDirective + " " + event.blockedURI); });"""


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def demo_report(tiny_demo):
    return tiny_demo / "report.html"


class Visit:
    """A page opened in a fresh context: every request, what the page's policy blocked, page errors, dialogs.
    Requests for anything but the file itself are recorded and aborted, so nothing reaches a network."""

    def __init__(self, browser, path: str, enforce_policy: bool = True) -> None:
        self.context = browser.new_context(bypass_csp=not enforce_policy, viewport={"width": 1280, "height": 900})
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.console: list[str] = []
        self.dialogs: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.add_init_script(RECORD_BLOCKED)
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", lambda message: self.console.append(message.text) if message.type == "error" else None)
        self.page.on("dialog", self._dialog)
        self.page.goto(f"file://{path}")

    def _route(self, route) -> None:
        if route.request.url.startswith(ALLOWED_SCHEMES):
            route.continue_()
        else:
            route.abort()

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def outside(self) -> list[str]:
        """Requests that left the page, and loads the page's policy blocked."""
        blocked = self.page.evaluate("() => window.__blocked || []")
        return [url for url in self.requests if not url.startswith(ALLOWED_SCHEMES)] + blocked

    def wait_until_drawn(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.page.evaluate("() => document.querySelectorAll('div.graph:not([data-drawn])').length"):
            assert time.monotonic() < deadline, "graphs not drawn in time"
            self.page.wait_for_timeout(100)

    def canvases(self, selector: str, *colours: tuple[int, int, int]) -> list[dict]:
        return self.page.evaluate(CANVASES, [selector, [list(colour) for colour in colours]])

    def graph_data(self) -> list[dict]:
        return self.page.evaluate("() => JSON.parse(document.getElementById('tcw-graphs').textContent)")

    def close(self) -> None:
        self.context.close()


@pytest.mark.parametrize("enforce_policy", [True, False], ids=["with-csp", "csp-bypassed"])
def test_the_report_loads_nothing_and_paints_every_graph(browser, demo_report, enforce_policy):
    visit = Visit(browser, demo_report, enforce_policy)
    try:
        visit.wait_until_drawn()
        canvases = visit.canvases("article.lead div.graph", LEAD)
        graphs = visit.page.evaluate("() => document.querySelectorAll('article.lead div.graph').length")
        assert visit.outside() == [] and visit.errors == [] and visit.console == []
        assert visit.requests and all(url.startswith(ALLOWED_SCHEMES) for url in visit.requests)
        assert graphs >= 10 and len(canvases) == graphs
        for canvas in canvases:
            assert canvas["width"] > 0 and canvas["height"] > 0
            assert canvas["painted"] >= MIN_PAINTED and canvas["colours"][0] >= MIN_LEAD_PIXELS, canvas
    finally:
        visit.close()


def test_every_rings_and_clusters_network_is_drawn(browser, demo_report):
    visit = Visit(browser, demo_report)
    try:
        visit.wait_until_drawn()
        data = visit.graph_data()
        rings = visit.canvases("article.reflux_ring div.graph", INSTITUTION, PERSON)
        clusters = visit.canvases("article.counterfeit_cluster div.graph", INSTITUTION)
        assert visit.outside() == [] and visit.errors == [] and visit.console == []
        assert len(rings) >= 1 and len(rings) + len(clusters) == visit.page.locator("article.community").count()
        for canvas in rings + clusters:
            assert canvas["nodes"] == len(data[canvas["index"]]["nodes"]) >= 4, canvas
            assert canvas["painted"] >= MIN_PAINTED and min(canvas["colours"]) >= MIN_LEAD_PIXELS, canvas
        assert "团伙与网络" in visit.page.inner_text("section#networks h2")
    finally:
        visit.close()


def test_chinese_renders_with_a_system_font(browser, demo_report):
    visit = Visit(browser, demo_report)
    try:
        first, second, empty = visit.page.evaluate(CJK_GLYPHS)
        assert first != second and empty not in (first, second)
        assert "药品追溯码线索报告" in visit.page.inner_text("h1")
    finally:
        visit.close()


def test_hostile_text_is_shown_as_text(browser, tmp_path):
    store, leads = hostile_store()
    path = report_from_store(store, leads, tmp_path / "hostile.html")
    visit = Visit(browser, str(path))
    try:
        visit.wait_until_drawn()
        assert visit.dialogs == [] and visit.errors == [] and visit.outside() == []
        assert visit.page.inner_text("p.zh") == HOSTILE.strip()
        assert visit.page.evaluate("() => document.querySelectorAll('img, b').length") == 0
    finally:
        visit.close()


def test_hostile_names_and_codes_in_a_ring_are_shown_as_text(browser, tmp_path):
    networks_report(tmp_path, hostile_ring_rows())
    visit = Visit(browser, str(tmp_path / "report.html"))
    try:
        visit.wait_until_drawn()
        assert visit.dialogs == [] and visit.errors == [] and visit.console == [] and visit.outside() == []
        members = visit.page.inner_text("article.reflux_ring ul.members")
        assert HOSTILE.strip() in members and HOSTILE_STORE in members
        assert visit.page.evaluate("() => document.querySelectorAll('img, b').length") == 0
        assert visit.page.evaluate("() => document.querySelectorAll('div.graph[data-nodes]').length") == 2
    finally:
        visit.close()


@pytest.mark.parametrize("enforce_policy", [True, False], ids=["with-csp", "csp-bypassed"])
def test_an_outside_reference_would_be_caught(browser, demo_report, tmp_path, enforce_policy):
    page = Path(demo_report).read_text(encoding="utf-8").replace(
        "</head>", '<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/bootstrap@5.0.0-beta3/dist/css/'
        'bootstrap.min.css"><script src="https://cdn.jsdelivr.net/npm/x.js"></script></head>', 1)
    (tmp_path / "leaky.html").write_text(page, encoding="utf-8")
    visit = Visit(browser, str(tmp_path / "leaky.html"), enforce_policy)
    try:
        visit.page.wait_for_load_state("load")
        assert any("cdn.jsdelivr.net" in url for url in visit.outside())
    finally:
        visit.close()

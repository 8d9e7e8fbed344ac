"""JupyterLab in headless Chromium (Debian's ``chromium`` through Playwright, as the report's browser
test launches it): open a notebook, run all cells, wait for the kernel, and see what the page asked for.
Every request the page makes is recorded; any to a host other than 127.0.0.1 is aborted and reported by
``LabPage.outside()``, so a test proves the lab works on an intranet without internet.

The graph widget marks its element after each draw (``data-tcw-graph="ready"``, ``data-nodes``,
``data-edges``, ``data-drawn-ms``) and registers its vis-network instance in ``window.tcwGraphs``; the
``graph_*`` and ``*_node`` helpers below find, read and click it through those."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlsplit

from tests.notebooks.artefacts import artefacts_folder
from tests.notebooks.lab_server import Lab

LOCAL_HOSTS = ("127.0.0.1", "localhost")
LOCAL_SCHEMES = ("data", "blob", "about")
#: Code cells whose prompt still shows ``[*]`` (queued or running) or no number yet.
UNFINISHED = """() => Array.from(document.querySelectorAll(
  ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputArea-prompt")).filter(
  (prompt) => !/\\[\\d+\\]/.test(prompt.textContent)).length"""
KERNEL_STATUS = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator"


def local(url: str) -> bool:
    """Whether a request stays on this machine (127.0.0.1, or an inline ``data:``/``blob:`` URL).

    >>> local("http://127.0.0.1:8888/lab"), local("ws://127.0.0.1:1/api"), local("https://cdn.jsdelivr.net/x")
    (True, True, False)
    """
    parts = urlsplit(url)
    return parts.scheme in LOCAL_SCHEMES or parts.hostname in LOCAL_HOSTS


class LabPage:
    """One browser context on a running lab: requests (all of them, with the outside ones aborted),
    web sockets, page errors."""

    def __init__(self, browser, lab: Lab, width: int = 1400, height: int = 1000) -> None:
        self.lab = lab
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.kernel_dialogs = 0
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("websocket", lambda socket: self.requests.append(socket.url))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _route(self, route) -> None:
        if local(route.request.url):
            route.continue_()
        else:
            route.abort()

    def outside(self) -> list[str]:
        """Every request that would have left 127.0.0.1."""
        return [url for url in self.requests if not local(url)]

    def open(self, name: str, timeout: float = 60) -> None:
        """Open ``notebooks/<name>`` and wait until its kernel is ready (choosing Python 3 if asked)."""
        self.page.goto(self.lab.address(f"/lab/tree/notebooks/{quote(name)}?reset"))  # no tabs from before
        self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook").wait_for(timeout=timeout * 1000)
        self.until(lambda: self.kernel_connected(f"notebooks/{name}") and self.kernel_status() == "idle",
                    timeout, "kernel connected and idle")

    def choose_kernel_if_asked(self) -> bool:
        """Answer a kernel-selection dialog, if one is open, with Python 3; whether there was one."""
        dialog = self.page.locator(".jp-Dialog")
        if not (dialog.count() and dialog.locator("select").count()):
            return False
        dialog.locator("select").select_option(label="Python 3 (ipykernel)")
        dialog.locator(".jp-mod-accept").click()
        self.kernel_dialogs += 1
        return True

    def kernel_connected(self, path: str) -> bool:
        """Whether the server has an idle kernel for ``path`` with this page connected to it."""
        sessions = [s for s in json.loads(self.lab.get("/api/sessions")) if s["path"] == path]
        kernel = sessions[0]["kernel"] if sessions else {}
        return kernel.get("execution_state") == "idle" and kernel.get("connections", 0) > 0

    def kernel_status(self) -> str | None:
        indicator = self.page.locator(KERNEL_STATUS)
        return indicator.first.get_attribute("data-status") if indicator.count() else None

    def wait_for_kernel(self, status: str = "idle", timeout: float = 60) -> None:
        self.until(lambda: self.kernel_status() == status, timeout, f"kernel {status}")

    def run_all(self) -> float:
        """Run → Run All Cells; returns when it was clicked (``time.monotonic()``)."""
        self.page.locator(".lm-MenuBar-item", has_text="Run").first.click()
        item = self.page.locator('.lm-Menu-item[data-command="runmenu:run-all"]')
        item.wait_for()
        started = time.monotonic()
        item.click()
        return started

    def wait_until_run(self, timeout: float = 120) -> None:
        """Every code cell has its execution number and the kernel is idle."""
        self.until(lambda: self.page.evaluate(UNFINISHED) == 0 and self.kernel_status() == "idle",
                    timeout, "all cells run")

    def wait_for(self, selector: str, timeout: float = 60):
        """The first element matching ``selector`` once it is visible (a screenshot if it never is)."""
        found = self.page.locator(selector).first
        self.until(lambda: found.count() > 0 and found.is_visible(), timeout, selector)
        return found

    def screenshot(self, name: str) -> Path:
        path = artefacts_folder() / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path

    def until(self, ready, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while self.choose_kernel_if_asked() or not ready():
            if time.monotonic() > deadline:
                self.screenshot("timeout")
                raise TimeoutError(f"{what}: not after {timeout} s (screenshot timeout.png in {artefacts_folder()})")
            self.page.wait_for_timeout(100)

    def close(self) -> None:
        self.context.close()


@contextmanager
def lab_page(browser, lab: Lab) -> Iterator[LabPage]:
    """A ``LabPage`` for the length of a ``with`` block; the kernels it started are shut down after."""
    page = LabPage(browser, lab)
    try:
        yield page
    finally:
        page.close()
        lab.end_sessions()


READY = '[data-tcw-graph="ready"]'
#: The attributes a drawn graph carries, as numbers.
GRAPH_ATTRIBUTES = """(el) => ({state: el.dataset.tcwGraph, nodes: Number(el.dataset.nodes),
  edges: Number(el.dataset.edges), drawn_ms: Number(el.dataset.drawnMs)})"""
#: The index in ``window.tcwGraphs`` of the network drawn inside (or around) an element: the last one
#: registered, as a re-rendered view registers again.
GRAPH_INDEX = """(el) => { const graphs = window.tcwGraphs || [];
  for (let i = graphs.length - 1; i >= 0; i--) {
    const box = graphs[i].body && graphs[i].body.container;
    if (box && (el.contains(box) || box.contains(el))) return i; }
  return -1; }"""
NODE_IDS = "(i) => window.tcwGraphs[i].body.data.nodes.getIds()"
#: A node's centre in page coordinates: its canvas position to the canvas' DOM, plus the canvas' box.
NODE_POSITION = """([i, id]) => { const graph = window.tcwGraphs[i];
  const at = graph.getPositions([id])[id]; if (!at) return null;
  const dom = graph.canvasToDOM(at);
  const box = graph.body.container.querySelector("canvas").getBoundingClientRect();
  return [box.left + dom.x, box.top + dom.y]; }"""


#: Marks the first drawn graph with at least ``min`` nodes (``data-tcw-test-pick``); its number or -1.
PICK_GRAPH = """(min) => { const found = Array.from(document.querySelectorAll('[data-tcw-graph="ready"]'))
  .find((el) => Number(el.dataset.nodes) >= min);
  if (!found) return -1;
  if (!found.dataset.tcwTestPick) found.dataset.tcwTestPick = String(window.__tcwPicks = (window.__tcwPicks || 0) + 1);
  return Number(found.dataset.tcwTestPick); }"""
VISIBLE_NODES = "(i) => window.tcwGraphs[i].body.data.nodes.get({filter: (node) => !node.hidden}).length"
LEAVES = "(i) => window.tcwGraphs[i].body.data.nodes.getIds().filter((id) => window.tcwGraphs[i].getConnectedNodes(id).length === 1)"
#: Moves a range input of the time bar to ``fraction`` of its span, as a drag would (an ``input`` event).
SLIDE = """(el, fraction) => { el.value = String(Math.round(Number(el.min) + fraction * (Number(el.max) - Number(el.min))));
  el.dispatchEvent(new Event("input", {bubbles: true})); return Number(el.value); }"""


def first_graph(page: LabPage, min_nodes: int = 1, timeout: float = 120):
    """The first drawn graph widget holding at least ``min_nodes`` nodes (a Playwright locator that keeps
    pointing at it), waiting for one."""
    page.until(lambda: page.page.evaluate(PICK_GRAPH, min_nodes) > 0, timeout, f"a graph of {min_nodes}+ nodes")
    return page.page.locator(f'[data-tcw-test-pick="{page.page.evaluate(PICK_GRAPH, min_nodes)}"]')


def graph_attributes(graph) -> dict:
    """``state``, ``nodes``, ``edges`` and ``drawn_ms`` of a graph widget's element."""
    return graph.evaluate(GRAPH_ATTRIBUTES)


def graph_index(graph) -> int:
    index = graph.evaluate(GRAPH_INDEX)
    assert index >= 0, "no vis-network in window.tcwGraphs belongs to this element"
    return index


def node_ids(graph) -> list:
    """The ids of the nodes the graph holds."""
    return graph.page.evaluate(NODE_IDS, graph_index(graph))


def node_position(graph, node_id, timeout: float = 5) -> tuple[float, float]:
    """Where node ``node_id`` is drawn, in page coordinates, once the element is scrolled into view and
    the position holds still (the notebook may shift its cells just after a scroll)."""
    graph.scroll_into_view_if_needed()
    deadline, last = time.monotonic() + timeout, None
    while True:
        found = graph.page.evaluate(NODE_POSITION, [graph_index(graph), node_id])
        assert found is not None, f"node {node_id!r} is not in the graph"
        if found == last or time.monotonic() > deadline:
            return found[0], found[1]
        last = found
        graph.page.wait_for_timeout(150)


def focus_node(graph, node_id, scale: float = 1.0) -> None:
    """Centre the view on ``node_id`` at ``scale``, as a user zooms in before clicking a crowded graph."""
    graph.page.evaluate("([i, id, scale]) => window.tcwGraphs[i].focus(id, {scale: scale, animation: false})",
                        [graph_index(graph), node_id, scale])


def click_node(graph, node_id, zoom: float | None = 1.0) -> None:
    """Click a node (zoomed to ``zoom`` on it first, so no neighbour lies under the pointer; None: as drawn)."""
    if zoom:
        focus_node(graph, node_id, zoom)
    graph.page.mouse.click(*node_position(graph, node_id))


def double_click_node(graph, node_id, zoom: float | None = 1.0) -> None:
    if zoom:
        focus_node(graph, node_id, zoom)
    graph.page.mouse.dblclick(*node_position(graph, node_id))


def wait_for_redraw(graph, before: dict, timeout: float = 30) -> dict:
    """The graph's attributes once a draw after ``before`` (an earlier ``graph_attributes``) is done."""
    deadline = time.monotonic() + timeout
    while True:
        now = graph_attributes(graph)
        if now["state"] == "ready" and (now["nodes"], now["edges"], now["drawn_ms"]) != (
                before["nodes"], before["edges"], before["drawn_ms"]):
            return now
        assert time.monotonic() < deadline, f"the graph was not drawn again within {timeout} s: {now}"
        graph.page.wait_for_timeout(100)


def visible_nodes(graph) -> int:
    """How many of the graph's nodes are shown (the time bar hides those outside its window)."""
    return graph.page.evaluate(VISIBLE_NODES, graph_index(graph))


def leaf_nodes(graph) -> list:
    """Nodes with one neighbour drawn: the edge of what is shown, where an expansion finds more."""
    return graph.page.evaluate(LEAVES, graph_index(graph))


def time_window_events(graph) -> tuple[int, int]:
    """The time bar's count of events inside its window, and of all events drawn ("事件 events 12/546")."""
    text = graph.locator(".tcw-time-label").text_content()
    found = re.search(r"events (\d+)/(\d+)", text)
    assert found, f"the time bar says {text!r}"
    return int(found.group(1)), int(found.group(2))


def slide_time_bar(graph, fraction: float, which: str = "from") -> int:
    """Move the time bar's ``from`` (or ``to``) handle to ``fraction`` of the span; returns the day."""
    handle = graph.locator(f"input.tcw-time-{which}")
    handle.scroll_into_view_if_needed()
    return handle.evaluate(SLIDE, fraction)

"""The notebook graph widget's speed in a real browser: ``graph_view.js`` in headless Debian chromium
(Playwright), wired to a real ``GraphView`` in this process as in ``tests/widgets/graph_page.py`` (no Jupyter:
messages are carried by ``page.evaluate``, polled every few milliseconds).

1. drawing: ``view.show(graph)`` of 100, 1,000 and 5,000 nodes (every node drawn; and 5,000 with the default
   ``max_drawn``, aggregated) until the page reports the drawing (``data-drawn-ms``), median of 3 fresh pages;
   split into Python's ``prepare_ms``, the browser's own drawing time (``data-drawn-ms``: from the message's
   arrival to the first paint) and the rest (the message's way into the page, the polling);
2. click → expanded: a double-click dispatched in the page on a code with several events (drawn from the
   1-hop neighbourhood of one of its events) until the page reports the grown drawing, median of 5 codes
   (a 6th first, not counted, warms the store), on (a) the memory store of ``tcw demo`` and (b) Neo4j with
   the 1.14 M-event graph of ``graph_bench.py`` (its own server, home ``.bench/neo4j``, port 7688). Python
   is the view's time answering the page's messages (the click's details, the double-click's query and
   drawing); the rest is the browser turning the mouse events into messages and the transfer.

    python benchmarks/widget_bench.py [--skip-neo4j] [--keep-server]

Targets: 1,000 nodes drawn ≤ 3 s; click → expanded ≤ 1 s. Data cached under ``.bench/`` (``widget-demo``,
``graph-ws-700000``; the bench server's database is imported only when it holds no events).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

import duckdb
from bench_data import BENCH, ROOT, TCW, checked, generated_workspace
from measure import measure

sys.path.insert(0, str(ROOT))

from tests.widgets.graph_page import NODE_POSITION, GraphPage  # noqa: E402
from tests.widgets.test_drawing import district  # noqa: E402
from workbench.graph.memory import MemoryStore  # noqa: E402
from workbench.graph.store import node_id  # noqa: E402
from workbench.widgets.graph_view import GraphView  # noqa: E402

DEMO = BENCH / "widget-demo"
#: The browser's queued messages and the element's attributes, in one round trip.
POLL = """() => { const el = document.getElementById("graph");
  return [window.__sent.splice(0), {state: el.dataset.tcwGraph, nodes: Number(el.dataset.nodes),
          edges: Number(el.dataset.edges), drawn_ms: Number(el.dataset.drawnMs)}]; }"""
#: The node brought into the canvas when it is outside (a user scrolls to it), then its page position.
INTO_VIEW = """(id) => { const graph = window.tcwGraphs[window.tcwGraphs.length - 1];
  const box = graph.body.container.querySelector("canvas").getBoundingClientRect();
  const dom = graph.canvasToDOM(graph.getPositions([id])[id]);
  if (dom.x < 20 || dom.y < 20 || dom.x > box.width - 20 || dom.y > box.height - 20)
    graph.moveTo({position: graph.getPositions([id])[id], animation: false}); }"""
#: A message handed over as JSON text and parsed in the page, as a comm message arrives by websocket (Playwright
#: passing it as an object is much slower: 1.8 s for the 2.4 MB drawing of 5,000 nodes).
DELIVER = "(text) => window.__deliver(JSON.parse(text))"
SIZES = [(12, 16, 10**6, "100 nodes"), (137, 40, 10**6, "1,000 nodes"), (708, 44, 10**6, "5,000 nodes"),
         (708, 44, None, "5,000 nodes, default max_drawn (aggregated)")]


class BenchPage(GraphPage):
    """``GraphPage`` polled tightly; the time the view spends answering each kind of message."""

    def __init__(self, browser, view: GraphView) -> None:
        super().__init__(browser, view)
        self.spent: dict[str, float] = {}

    def until(self, ready, timeout: float = 120) -> dict:
        """Carry messages both ways until ``ready(attributes)``; the attributes then."""
        deadline = time.monotonic() + timeout
        while True:
            sent, now = self.page.evaluate(POLL)
            for content in sent:
                began = time.perf_counter()
                self.view.receive(content)
                kind = content.get("type")
                self.spent[kind] = self.spent.get(kind, 0) + (time.perf_counter() - began) * 1000
            outgoing, self.outbox[:] = list(self.outbox), []
            for content in outgoing:
                self.page.evaluate(DELIVER, json.dumps(content, default=str))
            if not sent and not outgoing and ready(now):
                return now
            if time.monotonic() > deadline:
                raise TimeoutError(f"not drawn within {timeout} s: {now}; errors {self.errors}")
            self.page.wait_for_timeout(2)


def launch():
    from playwright.sync_api import sync_playwright

    path = shutil.which("chromium")
    if path is None:
        sys.exit("Debian's chromium is needed (make setup)")
    playwright = sync_playwright().start()
    return playwright, playwright.chromium.launch(executable_path=path, headless=True)


def drawing_figures(browser, runs: int = 3) -> list[tuple]:
    rows = []
    for codes, pharmacies, max_drawn, name in SIZES:
        graph = district(codes=codes, pharmacies=pharmacies, regions=20)
        totals, prepares, draws, drawn_nodes = [], [], [], 0
        for _ in range(runs):
            view = GraphView(MemoryStore(), **({} if max_drawn is None else {"max_drawn": max_drawn}))
            page = BenchPage(browser, view)
            try:
                empty = page.until(lambda now: now["state"] == "ready")  # the library loaded, nothing drawn
                began = time.perf_counter()
                view.show(graph)
                drawn = page.until(lambda now, empty=empty: now["state"] == "ready" and now != empty)
                totals.append((time.perf_counter() - began) * 1000)
                prepares.append(view.prepare_ms)
                draws.append(drawn["drawn_ms"])
                drawn_nodes = drawn["nodes"]
                assert page.errors == [] and page.requests == [], (page.errors, page.requests)
            finally:
                page.close()
        rows.append((f"draw {name} (`view.show` → drawn)", f"{len(graph):,} → {drawn_nodes:,}",
                     statistics.median(totals), statistics.median(prepares), statistics.median(draws),
                     3000 if "1,000" in name else None))
    return rows


def several_event_codes(ws: Path, count: int) -> list[tuple[str, str, int]]:
    """``count`` codes with the most events (3 or more), each with its first event's id and its events."""
    return duckdb.sql("SELECT trace_code, arg_min(event_id, event_time), count(*) AS n FROM read_parquet($p) "
                      "WHERE trace_code <> '' GROUP BY 1 HAVING n >= 3 ORDER BY n DESC, 1 LIMIT $n",
                      params={"p": str(ws / "events" / "*.parquet"), "n": count}).fetchall()


def click_figures(browser, store, ws: Path, name: str) -> tuple:
    """Click → expanded on 5 codes (a 6th first, to warm the store): a row of the table."""
    totals, answers, prepares, draws, grown = [], [], [], [], []
    for index, (code, event, events) in enumerate(several_event_codes(ws, 6)):
        view = GraphView(store)
        page = BenchPage(browser, view)
        try:
            view.show(store.neighbourhood("Event", event, hops=1))
            before = page.until(lambda now: now["state"] == "ready" and now["nodes"] > 0)
            page.page.wait_for_timeout(1500)  # the small drawing settles
            node = node_id("Code", code)
            page.page.evaluate(INTO_VIEW, node)
            x, y = page.page.evaluate(NODE_POSITION, node)
            page.spent.clear()
            began = time.perf_counter()
            page.page.mouse.dblclick(x, y)
            after = page.until(lambda now, before=before: now["state"] == "ready" and now["nodes"] > before["nodes"])
            if index == 0:
                continue  # warming
            totals.append((time.perf_counter() - began) * 1000)
            answers.append(sum(page.spent.values()))
            prepares.append(view.prepare_ms)
            draws.append(after["drawn_ms"])
            grown.append(f"{before['nodes']}→{after['nodes']}")
            print(f"  {name}: code {code} ({events} events) {before['nodes']} → {after['nodes']} nodes in "
                  f"{totals[-1]:.0f} ms (Python {answers[-1]:.0f} ms: {page.spent}; browser {draws[-1]} ms)")
            assert page.errors == [] and page.requests == [], (page.errors, page.requests)
        finally:
            page.close()
    return (f"double-click a code → expanded, {name}", ", ".join(grown), statistics.median(totals),
            statistics.median(answers), statistics.median(draws), 1000)


def memory_row(browser) -> tuple:
    from workbench.widgets.session import open_store

    ws = DEMO / "workspace"
    if not (ws / "events").exists():
        checked(measure([*TCW, "demo", "--out", str(DEMO)]))
    began = time.perf_counter()
    store = open_store(ws, "memory")
    print(f"memory store of the demo loaded in {time.perf_counter() - began:.1f} s: {len(store.graph):,} nodes")
    return click_figures(browser, store, ws, f"memory store (`tcw demo`, {len(store.graph):,} nodes)")


def neo4j_row(browser) -> tuple:
    import graph_bench

    from workbench.graph.neo4j_store import Neo4jStore

    os.environ.setdefault("NEO4J_LOCAL_HEAP", "1g")
    os.environ.setdefault("NEO4J_LOCAL_PAGECACHE", "1g")
    ws = generated_workspace(700_000, "graph-ws")
    counts = {}
    if (graph_bench.HOME / "env").exists():
        graph_bench.server("start")
        settings = graph_bench.login()
        store = Neo4jStore.connect(settings["NEO4J_URI"], settings["NEO4J_USER"], settings["NEO4J_PASSWORD"])
        counts = store.counts()
        store.close()
    if not counts.get("Event"):
        graph_bench.bulk(ws, BENCH / "graph-import")
    settings = graph_bench.login()
    store = Neo4jStore.connect(settings["NEO4J_URI"], settings["NEO4J_USER"], settings["NEO4J_PASSWORD"])
    try:
        events = store.counts()["Event"]
        print(f"Neo4j: {graph_bench.memory_settings(store)}; {events:,} events")
        return click_figures(browser, store, ws, f"Neo4j ({events:,} events, server in use)")
    finally:
        store.close()


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-neo4j", action="store_true")
    parser.add_argument("--keep-server", action="store_true", help="leave the bench Neo4j server running")
    args = parser.parse_args()
    playwright, browser = launch()
    print(f"machine: {os.cpu_count()} cores; chromium {browser.version}")
    rows = []
    try:
        rows += drawing_figures(browser)
        rows.append(memory_row(browser))
        if not args.skip_neo4j:
            rows.append(neo4j_row(browser))
    finally:
        browser.close()
        playwright.stop()
        if not args.skip_neo4j and not args.keep_server:
            import graph_bench

            graph_bench.server("stop")
    print("| measurement | nodes | total ms (median) | Python ms | browser draw ms | rest ms | target | ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for name, nodes, total, python, drawn, target in rows:
        aim = f"≤ {target / 1000:g} s" if target else ""
        ratio = f"{total / target:.2f}×" if target else ""
        print(f"| {name} | {nodes} | {total:,.0f} | {python:,.0f} | {drawn:,.0f} | {total - python - drawn:,.0f} | "
              f"{aim} | {ratio} |")


if __name__ == "__main__":
    main()

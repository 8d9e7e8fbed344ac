"""The graph widget's JavaScript in headless Chromium without Jupyter: ``graph_view.js`` rendered on a blank
page with a stand-in for the anywidget model, wired to a real ``GraphView`` in this process. What the
browser sends goes to the view's message handler; what the view sends reaches the page's listeners. So the
whole round trip (library request, drawing, clicks, the time bar) runs as in JupyterLab, in a second.

Every request the page makes is recorded and aborted: nothing may leave it."""

from __future__ import annotations

import json
import time

from workbench.widgets.graph_view import ASSETS, GraphView

#: A stand-in for anywidget's model: ``get``/``set``/``on``/``off``/``send``, messages queued for Python.
FAKE_MODEL = """() => {
  const handlers = {}; const values = {height: "480px", selected: ""};
  window.__sent = [];
  window.__model = {
    get: (name) => values[name],
    set: (name, value) => { values[name] = value; (handlers["change:" + name] || []).forEach((f) => f()); },
    on: (name, f) => { (handlers[name] = handlers[name] || []).push(f); },
    off: (name, f) => { handlers[name] = (handlers[name] || []).filter((g) => g !== f); },
    send: (message) => { window.__sent.push(JSON.parse(JSON.stringify(message))); },
    save_changes: () => {},
  };
  window.__deliver = (message) => (handlers["msg:custom"] || []).slice().forEach((f) => f(message));
}"""
RENDER = """async (source) => {
  const url = URL.createObjectURL(new Blob([source], {type: "text/javascript"}));
  const widget = (await import(url)).default;
  const el = document.createElement("div"); el.id = "graph"; el.style.width = "1000px";
  document.body.appendChild(el);
  window.__cleanup = widget.render({model: window.__model, el});
}"""
NODE_POSITION = """(id) => { const graph = window.tcwGraphs[window.tcwGraphs.length - 1];
  const at = graph.getPositions([id])[id]; const dom = graph.canvasToDOM(at);
  const box = graph.body.container.querySelector("canvas").getBoundingClientRect();
  return [box.left + dom.x, box.top + dom.y]; }"""
HIDDEN = """(ids) => { const graph = window.tcwGraphs[window.tcwGraphs.length - 1];
  return ids.map((id) => graph.body.data.nodes.get(id).hidden); }"""
ATTRIBUTES = """() => { const el = document.getElementById("graph");
  return {state: el.dataset.tcwGraph, nodes: Number(el.dataset.nodes), edges: Number(el.dataset.edges),
          drawn_ms: Number(el.dataset.drawnMs)}; }"""


class GraphPage:
    """``view`` drawn in a fresh page of ``browser``; ``pump()`` carries messages both ways."""

    def __init__(self, browser, view: GraphView) -> None:
        self.view, self.requests, self.errors = view, [], []
        self.context = browser.new_context(viewport={"width": 1200, "height": 900})
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", lambda line: self.errors.append(line.text) if line.type == "error" else None)
        self.outbox: list[dict] = []
        view.send = lambda content, buffers=None: self.outbox.append(content)
        self.page.set_content("<!doctype html><html><head><meta charset='utf-8'></head><body></body></html>")
        self.page.add_style_tag(content=(ASSETS / "graph_view.css").read_text(encoding="utf-8"))
        self.page.evaluate(FAKE_MODEL)
        self.page.evaluate(RENDER, (ASSETS / "graph_view.js").read_text(encoding="utf-8"))

    def _route(self, route) -> None:
        self.requests.append(route.request.url)
        route.abort()

    def pump(self, rounds: int = 3) -> None:
        """Hand the browser's messages to the view and the view's to the browser, a few times over."""
        for _ in range(rounds):
            for content in self.page.evaluate("() => window.__sent.splice(0)"):
                self.view.receive(content)
            outgoing, self.outbox[:] = list(self.outbox), []
            for content in outgoing:
                self.page.evaluate("(m) => window.__deliver(m)", json.loads(json.dumps(content, default=str)))
            self.page.wait_for_timeout(50)

    def attributes(self) -> dict:
        return self.page.evaluate(ATTRIBUTES)

    def wait_drawn(self, after: dict | None = None, timeout: float = 60) -> dict:
        """The element's attributes once a drawing (another than ``after``) is ready."""
        deadline = time.monotonic() + timeout
        while True:
            self.pump(1)
            now = self.attributes()
            if now["state"] == "ready" and now != after:
                return now
            assert time.monotonic() < deadline, f"not drawn within {timeout} s: {now}; errors {self.errors}"

    def click(self, node: str, double: bool = False) -> None:
        x, y = self.page.evaluate(NODE_POSITION, node)
        (self.page.mouse.dblclick if double else self.page.mouse.click)(x, y)
        self.page.wait_for_timeout(400)  # a click waits to see whether a second follows
        self.pump()

    def hidden(self, nodes: list[str]) -> list[bool]:
        return self.page.evaluate(HIDDEN, nodes)

    def close(self) -> None:
        self.context.close()

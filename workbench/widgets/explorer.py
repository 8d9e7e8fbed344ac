"""``Explorer``: type a trace code, an institution's code or name, a product's code or a person's pseudonym;
see its neighbourhood (``GraphStore.neighbourhood``: hops, labels, the time bar's window) in a
``GraphView``, the clicked node's details, and a code's history as a timeline. Double-click expands.

    Explorer("tcw-demo/workspace")            # or Explorer(store=open_store(ws, "neo4j"))
"""

from __future__ import annotations

import os
from html import escape

import ipywidgets as w

from loaders.errors import BadInput
from loaders.workspace import Workspace
from workbench.graph.schema import SchemaError, schema
from workbench.graph.store import GraphStore, entity, node_id
from workbench.widgets.details import CODE_LABELS, history_html
from workbench.widgets.drawing import MAX_DRAWN
from workbench.widgets.graph_view import GraphView
from workbench.widgets.search import Match, NameIndex, find
from workbench.widgets.session import as_workspace, open_store

HOPS = (1, 2, 3, 4)
PLACEHOLDER = "追溯码 / 机构编码或名称 / 药品编码 / 参保人化名 — trace code, institution, product, person"
NOTHING_FOUND = ("未找到 {text!r} / nothing found for {text!r}（可输入追溯码、机构编码或名称、药品编码、参保人化名 / try a "
                 "trace code, an institution's code or name, a product code or a person's pseudonym）")


class Explorer(w.VBox):
    """Search, hops, label filters, the graph with its time bar and details, a code's timeline."""

    def __init__(self, workspace: str | os.PathLike | Workspace | None = None, store: GraphStore | None = None, *,
                 hops: int = 2, height: str = "560px", max_drawn: int = MAX_DRAWN) -> None:
        ws = as_workspace(workspace) if store is None or workspace is not None else None
        self.store = store if store is not None else open_store(ws)
        self.names = NameIndex.of_workspace(ws) if ws is not None else None
        self.current: Match | None = None
        self.matches: list[Match] = []
        self.view = GraphView(self.store, height=height, max_drawn=max_drawn)
        self.query = w.Text(placeholder=PLACEHOLDER, continuous_update=False, layout=w.Layout(flex="1 1 auto"))
        self.go = w.Button(description="查找 search", button_style="primary")
        self.hops = w.Dropdown(options=[(f"{n} 跳 hops", n) for n in HOPS], value=hops, layout=w.Layout(width="110px"))
        self.filters = {label.name: w.Checkbox(value=True, description=f"{label.caption_zh} {label.caption_en}",
                                               indent=False, layout=w.Layout(width="auto"))
                        for label in schema().labels}
        self.chooser = w.Dropdown(description="匹配 matches", layout=w.Layout(display="none", width="100%"))
        self.message, self.timeline = w.HTML(), w.HTML()
        self._wire()
        super().__init__([w.HBox([self.query, self.go, self.hops]), w.HBox(list(self.filters.values()),
                          layout=w.Layout(flex_flow="row wrap")), self.chooser, self.message, self.view.box(),
                          self.timeline], layout=w.Layout(width="100%"))

    def _wire(self) -> None:
        self.go.on_click(lambda _: self.search(self.query.value))
        self.query.observe(lambda change: self.search(change["new"]), names="value")
        self.hops.observe(lambda _: self.reopen(), names="value")
        for box in self.filters.values():
            box.observe(lambda _: self._labels_changed(), names="value")
        self.chooser.observe(self._chosen, names="value")
        self.view.on_select(self.show_timeline)

    def labels(self) -> set[str] | None:
        """The labels ticked (``None`` when all are)."""
        ticked = {name for name, box in self.filters.items() if box.value}
        return None if len(ticked) == len(self.filters) else ticked

    def _labels_changed(self) -> None:
        self.view.labels = self.labels()
        self.reopen()

    def search(self, text: str) -> list[Match]:
        """Find what ``text`` names and open the first match (the others in the chooser)."""
        self.matches = find(self.store, text, self.names)
        self.chooser.unobserve(self._chosen, names="value")
        self.chooser.options = [(match.text(), match.node) for match in self.matches]
        self.chooser.value = self.matches[0].node if self.matches else None
        self.chooser.observe(self._chosen, names="value")
        self.chooser.layout.display = "flex" if len(self.matches) > 1 else "none"
        if not self.matches:
            self.message.value = _note(NOTHING_FOUND.format(text=text.strip()), bad=bool(text.strip()))
            return []
        self.explore(self.matches[0].node)
        return self.matches

    def _chosen(self, change) -> None:
        if change["new"]:
            self.explore(change["new"])

    def explore(self, node: str) -> None:
        """Draw the node's neighbourhood (hops, ticked labels, the time window) and select it."""
        label, key = entity(node)
        self.current = Match(label, key)
        self.view.labels = self.labels()
        since, until = self.view.window
        try:
            graph = self.store.neighbourhood(label, key, hops=self.hops.value, since=since, until=until,
                                             labels=self.view.labels)
        except (BadInput, SchemaError) as error:
            self.message.value = _note(str(error), bad=True)
            return
        self.view.show(graph, focus=node)
        self.message.value = _note(f"{label} {key}: {graph.number_of_nodes():,} 个节点 nodes（{self.hops.value} 跳 hops）"
                                   + (f"；{self.view.status}" if self.view.status else ""))
        if node in graph:
            self.view.select(node)

    def reopen(self) -> None:
        """Draw the current node again (after a change of hops or labels)."""
        if self.current is not None:
            self.explore(node_id(self.current.label, self.current.key))

    def show_timeline(self, node: str) -> None:
        """A code's history under the graph (other nodes leave the last code's)."""
        label, key = entity(node)
        if label in CODE_LABELS:
            rows = self.store.code_history(key)
            self.timeline.value = (f'<div class="tcw-details"><b>时间线 timeline · {escape(key)}</b>（{len(rows)} 个事件 '
                                   f"events）{history_html(rows)}</div>")


def _note(text: str, bad: bool = False) -> str:
    return f'<div class="tcw-note{" tcw-bad" if bad else ""}">{escape(text)}</div>'

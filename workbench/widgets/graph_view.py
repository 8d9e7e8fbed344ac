"""``GraphView``: the notebook's graph, drawn by vis-network in the browser, decided in Python.

The browser gets the library and every drawing by custom messages (the vendored module, asked for once per
page and imported from a Blob URL: no CDN, and nothing big in the saved widget state). It reports clicks,
double-clicks, the context menu's hide / pin / expand, the time bar's window and how long each drawing
took; ``receive`` answers each, so an app can be driven without a browser::

    view = GraphView(store)
    view.show(store.neighbourhood("Code", code, hops=2))
    view.box()                       # the graph, its time bar and the details panel

>>> from workbench.graph.memory import MemoryStore
>>> view = GraphView(MemoryStore())
>>> view.window, view.labels, view.selected
((None, None), None, '')
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import cache
from html import escape
from importlib import resources
from pathlib import Path

import anywidget
import ipywidgets
import networkx as nx
import traitlets

from loaders.errors import BadInput
from workbench.graph.schema import SchemaError
from workbench.graph.store import GraphStore, as_time, entity
from workbench.widgets.aggregate import GROUP
from workbench.widgets.details import details_html, node_details
from workbench.widgets.drawing import MAX_DRAWN, Drawing, draw, window_dates

ASSETS = Path(__file__).parent / "assets"
LIBRARY = "vis-network.min.mjs"
PANEL_HINT = '<div class="tcw-note">点击节点查看详情，双击展开，右键隐藏或固定 / click a node for its details, ' \
             'double-click to expand, right-click to hide or pin</div>'


@cache
def library_text() -> str:
    """The vendored vis-network module, as sent to the browser (its source-map comment left out)."""
    text = resources.files("workbench.widgets").joinpath("assets", LIBRARY).read_text(encoding="utf-8")
    return "\n".join(line for line in text.splitlines() if not line.startswith("//# sourceMappingURL="))


class GraphView(anywidget.AnyWidget):
    """A graph drawn from ``store`` answers, with a time bar and a details panel (``panel``, ``box()``).

    ``graph`` is what the view holds (before aggregation); ``window`` ``(since, until)`` and ``labels``
    shape every expansion; ``selected`` is the clicked node's id."""

    _esm = ASSETS / "graph_view.js"
    _css = ASSETS / "graph_view.css"
    height = traitlets.Unicode("560px").tag(sync=True)
    selected = traitlets.Unicode("").tag(sync=True)
    #: ``(since, until)``: datetimes or ``None`` (open); the time bar sets it. Not synced.
    window = traitlets.Tuple((None, None))
    #: Labels expansions may reach (``None``: all). Not synced.
    labels = traitlets.Any(None)

    def __init__(self, store: GraphStore, *, height: str = "560px", max_drawn: int = MAX_DRAWN) -> None:
        super().__init__(height=height)
        self.store, self.max_drawn = store, max_drawn
        self.graph = nx.MultiDiGraph()
        self.hidden: set[str] = set()
        self.pinned: set[str] = set()
        self.opened: set[str] = set()  # groups' members double-clicked open
        self.focus: str | None = None
        self.drawing: Drawing = draw(self.graph)
        self.status = self.drawing.status
        self.prepare_ms = 0.0  # Python's time to build the last drawing
        self.last_drawn: dict | None = None  # the browser's last report: {"ms", "nodes", "edges"}
        self.panel = ipywidgets.HTML(PANEL_HINT, layout=ipywidgets.Layout(flex="1 1 300px", max_height=height,
                                                                          overflow="auto"))
        self._on_select: list[Callable[[str], None]] = []
        self._window_from_browser = False
        self.on_msg(self._on_custom_msg)

    # what is drawn

    def show(self, graph: nx.MultiDiGraph, focus: str | None = None) -> None:
        """Draw ``graph`` instead of what is drawn (hidden nodes shown again; pins kept where still drawn)."""
        self.graph = nx.MultiDiGraph(graph)
        self.hidden.clear()
        self.opened.clear()
        self.pinned &= set(self.graph)
        self.focus = focus if focus in self.graph else None
        self._redraw("replace")

    def add(self, graph: nx.MultiDiGraph) -> None:
        """Merge ``graph`` into what is drawn (its attributes win)."""
        self.graph = nx.compose(self.graph, graph)
        self._redraw("merge")

    def clear(self) -> None:
        """Draw nothing."""
        self.graph = nx.MultiDiGraph()
        self.hidden.clear()
        self.pinned.clear()
        self.opened.clear()
        self.focus = None
        self.selected = ""
        self._redraw("replace")

    def expand(self, node: str) -> nx.MultiDiGraph:
        """Merge the node's neighbourhood (one hop, in ``window``, through ``labels``); returns it. A group
        drawn for a big graph is opened instead: its members drawn on their own from then on."""
        label, key = entity(node)
        if label == GROUP:
            self.opened.update(self.drawing.groups.get(node, {}).get("members", ()))
            self._redraw("merge")
            return nx.MultiDiGraph(self.graph.subgraph(self.opened))
        since, until = self.window
        found = self.store.neighbourhood(label, key, hops=1, since=since, until=until, labels=self.labels)
        self.focus = node
        self.add(found)
        return found

    def hide(self, node: str) -> None:
        """Leave the node (a group: its members) out of the drawing (``unhide`` brings it back; ``show`` and
        ``clear`` forget)."""
        self.hidden.update(self.drawing.groups.get(node, {}).get("members", ()) or {node})
        if self.selected == node:
            self.selected = ""
        self._redraw("merge")

    def unhide(self, node: str | None = None) -> None:
        """Draw a hidden node again (every one when ``None``)."""
        self.hidden.difference_update(self.hidden if node is None else {node})
        self._redraw("merge")

    def pin(self, node: str) -> None:
        """Keep the node where it is and out of any aggregation (``unpin`` releases it). A group cannot be
        pinned (``BadInput``): double-click draws its members."""
        if node in self.drawing.groups:
            raise BadInput("组不能固定 / a group cannot be pinned", hint="double-click it to draw its members, then pin one")
        self.pinned.add(node)
        self._redraw("merge")

    def unpin(self, node: str) -> None:
        self.pinned.discard(node)
        self._redraw("merge")

    def _redraw(self, mode: str) -> None:
        started = time.perf_counter()
        self.drawing = draw(self.graph, self.max_drawn, self.pinned, self.hidden, self.focus, self.opened)
        self.prepare_ms = (time.perf_counter() - started) * 1000
        self.status = self.drawing.status
        self._send_drawing(mode)

    def _send_drawing(self, mode: str) -> None:
        self.send(self.drawing.message(mode, self.window, self.focus))

    # selection and details

    def on_select(self, callback: Callable[[str], None]) -> Callable[[str], None]:
        """Call ``callback(node_id)`` on every click on a node (usable as a decorator)."""
        self._on_select.append(callback)
        return callback

    def select(self, node: str) -> None:
        """Select a node as a click does: ``selected``, the panel, then the ``on_select`` callbacks."""
        if self.selected == node:
            self.panel.value = self.details_html(node)
        else:
            self.selected = node  # the panel follows (``_selected_changed``)
        for callback in list(self._on_select):
            callback(node)

    def details(self, node: str) -> dict:
        """The node's label, key, caption, properties, leads and (a code) history; ``KeyError`` if unknown."""
        return node_details(self.store, self.graph, node, self.drawing.groups)

    def details_html(self, node: str) -> str:
        """``details`` as the panel shows it (Chinese first, escaped)."""
        try:
            return details_html(self.details(node))
        except KeyError:
            return f'<div class="tcw-note">图中没有 {escape(node)} / not in the graph</div>'

    @traitlets.observe("selected")
    def _selected_changed(self, change) -> None:
        self.panel.value = self.details_html(change["new"]) if change["new"] else PANEL_HINT

    # the time window

    @traitlets.validate("window")
    def _valid_window(self, proposal) -> tuple[datetime | None, datetime | None]:
        value = tuple(proposal["value"])
        if len(value) != 2:
            raise traitlets.TraitError("window is (since, until)")
        since, until = (_as_time(end) for end in value)
        if since is not None and until is not None and since > until:
            raise traitlets.TraitError(f"window starts after it ends: {since} > {until}")
        return since, until

    @traitlets.observe("window")
    def _window_changed(self, change) -> None:
        if not self._window_from_browser:
            self.send({"type": "window", "window": window_dates(self.window)})

    def _set_window_from_browser(self, since: str | None, until: str | None) -> None:
        """The time bar's days: ``since`` from its start, ``until`` to its end (``None``: open)."""
        self._window_from_browser = True
        try:
            self.window = (_as_time(since), _day_end(until))
        finally:
            self._window_from_browser = False

    # the browser's messages

    def _on_custom_msg(self, _widget, content: dict, _buffers) -> None:
        self.receive(content)

    def receive(self, content: dict) -> None:
        """Answer a message from the browser, e.g. ``{"type": "dblclick", "node": "Code:…"}`` (``need-library``,
        ``ready``, ``click``, ``dblclick``, ``expand``, ``hide``, ``pin``, ``window``, ``drawn``)."""
        kind, node = content.get("type"), content.get("node")
        try:
            if kind == "need-library":
                self.send({"type": "library", "text": library_text()})
            elif kind == "ready":
                self._send_drawing("replace")
            elif kind == "click" and node:
                self.select(node)
            elif kind in ("dblclick", "expand") and node:
                self.expand(node)
            elif kind == "hide" and node:
                self.hide(node)
            elif kind == "pin" and node:
                (self.unpin if node in self.pinned else self.pin)(node)
            elif kind == "window":
                self._set_window_from_browser(content.get("since"), content.get("until"))
            elif kind == "drawn":
                self.last_drawn = {name: content.get(name) for name in ("ms", "nodes", "edges")}
        except (BadInput, SchemaError, traitlets.TraitError) as error:
            self.panel.value = f'<div class="tcw-note tcw-bad">{escape(str(error))}</div>'

    # layout

    def box(self) -> ipywidgets.Box:
        """The graph (with its legend, status and time bar) and the details panel beside it."""
        self.layout.flex = "3 1 600px"
        return ipywidgets.Box([self, self.panel], layout=ipywidgets.Layout(display="flex", flex_flow="row wrap",
                                                                           width="100%", align_items="flex-start"))


def _as_time(value: object) -> datetime | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    return as_time(value)


def _day_end(value: str | None) -> datetime | None:
    """The last moment of a day given as ``YYYY-MM-DD``."""
    start = _as_time(value)
    return None if start is None else start + timedelta(days=1, microseconds=-1)



"""``PathFinder``: the paths between two entities (``GraphStore.paths``, plain shortest or time-respecting,
within a number of hops, through chosen labels only), listed in words and drawn together in a
``GraphView``; a clear line when an entity is not in the graph or no path joins them.

>>> import networkx as nx
>>> g = nx.MultiDiGraph()
>>> g.add_node("Institution:H1", label="Institution", key="H1", caption="某医院")
>>> g.add_node("Event:e1", label="Event", key="e1", event_type="sale", event_time="2025-06-01T09:00:00")
>>> node_words(g, "Institution:H1"), node_words(g, "Event:e1")
('机构 H1 某医院', '进销存事件 销售 2025-06-01 09:00')
"""

from __future__ import annotations

from collections.abc import Iterable

import ipywidgets as w
import networkx as nx

from workbench.graph.schema import schema
from workbench.graph.store import GraphStore, entity, node_id
from workbench.report_text import EVENT_TYPE_ZH
from workbench.screens.privacy import is_pseudonym
from workbench.widgets import sources
from workbench.widgets.subgraphs import path_graph
from workbench.widgets.ui import STYLE, entity_text, minute, note

#: Paths listed and drawn at most.
MAX_PATHS = 50
#: Labels offered as ends, in this order (then the rest of the schema's).
ENDS = ("Institution", "Patient", "Code", "Pack", "Product", "Region", "Lead", "Community", "Event")


def node_words(graph: nx.MultiDiGraph, node: str) -> str:
    """A path's node in words: an event's type and time, else the label and key (and name)."""
    data = graph.nodes[node] if node in graph else {}
    label, key = entity(node)
    if label == "Event":
        kind = data.get("event_type") or ""
        return f"{schema().label(label).caption_zh} {EVENT_TYPE_ZH.get(kind, kind)} {minute(data.get('event_time'))}".strip()
    return entity_text(node, data.get("caption"))


def path_words(graph: nx.MultiDiGraph, path: list[str]) -> str:
    """A whole path, its nodes joined by arrows."""
    return " → ".join(node_words(graph, node) for node in path)


def label_options() -> list[tuple[str, str]]:
    """``(caption, label)`` of every label, the usual ends first."""
    names = [label.name for label in schema().labels]
    ordered = [name for name in ENDS if name in names] + [name for name in names if name not in ENDS]
    return [(f"{schema().label(name).caption_zh} {name}", name) for name in ordered]


class PathFinder(w.VBox):
    """Two entities, the hops, plain or time-respecting, the labels a path may pass: the paths."""

    def __init__(self, workspace=None, store: GraphStore | None = None, *, height: str = "520px"):
        from workbench.widgets.graph_view import GraphView

        if store is None:
            from workbench.widgets.session import open_store

            store = open_store(sources.as_workspace(workspace))
        self.store = store
        options = label_options()
        self.start_label = w.Dropdown(description="从 from", options=options, value="Institution")
        self.start_key = w.Text(placeholder="P500… / H500…", description="编码 key")
        self.end_label = w.Dropdown(description="到 to", options=options, value="Patient")
        self.end_key = w.Text(placeholder="PSN-…", description="编码 key")
        self.max_hops = w.IntSlider(description="最多步数 max hops", min=1, max=12, value=6,
                                    style={"description_width": "initial"})
        self.mode = w.ToggleButtons(options=[("普通 plain", False), ("按时间顺序 time-respecting", True)], value=False)
        self.through = w.SelectMultiple(description="经过 through", options=options, value=[v for _, v in options],
                                        rows=5)
        self.find = w.Button(description="查找 find paths", button_style="primary")
        self.message, self.listing = w.HTML(), w.HTML()
        self.view = GraphView(store, height=height)
        self.paths: list[list[str]] = []
        self.find.on_click(lambda _: self.search())
        super().__init__([w.HTML(STYLE + "<b>路径 Paths</b>"), w.HBox([self.start_label, self.start_key]),
                          w.HBox([self.end_label, self.end_key]), w.HBox([self.max_hops, self.mode]),
                          w.HBox([self.through, self.find]), self.message, self.listing, self.view.box()])

    def search(self) -> list[list[str]]:
        """Find the paths for the inputs, list and draw them; the paths (``[]`` when none)."""
        ends = [(self.start_label.value, self.start_key.value.strip()), (self.end_label.value, self.end_key.value.strip())]
        self.paths, self.listing.value = [], ""
        missing = [node_id(*end) for end in ends if not end[1] or self.store.absent(end[0], [end[1]])]
        if missing:
            hint = "；参保人须填完整化名 / a person needs the full pseudonym (PSN- and 32 hex digits)" if any(
                label == "Patient" and not is_pseudonym(key) for label, key in ends) else ""
            self.message.value = note("不在图中 / not in the graph: " + ", ".join(
                entity_text(node) if entity(node)[1] else f"{entity(node)[0]} (空 empty)" for node in missing) + hint,
                "error")
            self.view.clear()
            return []
        chosen = set(self.through.value)
        labels = None if chosen >= {v for _, v in self.through.options} else sorted(chosen)
        found = self.store.paths(ends[0], ends[1], self.max_hops.value, self.mode.value, labels)
        self.paths = found[:MAX_PATHS]
        self._show(found)
        return self.paths

    def _show(self, found: list[list[str]]) -> None:
        mode = "按时间顺序 time-respecting" if self.mode.value else "普通 plain"
        if not found:
            self.message.value = note(f"{self.max_hops.value} 步内没有{mode}路径 / no {mode.split()[-1]} path within "
                                      f"{self.max_hops.value} hops", "error")
            self.view.clear()
            return
        graph = path_graph(self.store, self.paths)
        more = f"（列出前 {MAX_PATHS} 条 first {MAX_PATHS} listed）" if len(found) > MAX_PATHS else ""
        self.message.value = note(f"找到 {len(found)} 条{mode}路径，每条 {len(found[0]) - 1} 步 / {len(found)} "
                                  f"{mode.split()[-1]} paths of {len(found[0]) - 1} hops{more}", "good")
        self.listing.value = paths_html(graph, self.paths)
        self.view.show(graph)


def paths_html(graph: nx.MultiDiGraph, paths: Iterable[list[str]]) -> str:
    """The paths, numbered, in words."""
    from html import escape

    items = "".join(f"<li>{escape(path_words(graph, path))}</li>" for path in paths)
    return f"<ol style='font-size:12px'>{items}</ol>"

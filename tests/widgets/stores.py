"""Graph stores holding hand-made events for the widget tests, one per store (the in-memory reference and
the local Neo4j server), and a graph view whose messages to the browser are kept instead of sent."""

from __future__ import annotations

from pathlib import Path

import pytest

from loaders.workspace import Workspace
from tests.neo4j_server import wipe
from tests.workbench.events_builder import write
from workbench.graph.communities import workspace_analysis, write_communities
from workbench.graph.load import load_workspace
from workbench.graph.memory import MemoryStore
from workbench.graph.store import GraphStore
from workbench.screens.run import screen
from workbench.widgets.graph_view import GraphView

STORES = ["memory", pytest.param("neo4j", marks=pytest.mark.neo4j)]


def open_store(name: str, request: pytest.FixtureRequest) -> GraphStore:
    if name == "memory":
        return MemoryStore()
    from workbench.graph.neo4j_store import Neo4jStore

    wipe(request.getfixturevalue("neo4j_session_driver"))
    settings = request.getfixturevalue("neo4j_settings")
    return Neo4jStore.connect(settings.uri, settings.user, settings.password)


def loaded(store: GraphStore, folder: Path, rows: list[dict]) -> Workspace:
    """The events written to a workspace and loaded with their leads and communities, as ``open_store``
    loads a workspace."""
    ws = write(Workspace(folder), rows)
    load_workspace(store, ws, screen(ws))
    write_communities(store, workspace_analysis(ws))
    return ws


class Sent(list):
    """The messages a view sent to the browser."""

    def of(self, kind: str) -> list[dict]:
        return [message for message in self if message.get("type") == kind]

    def last(self, kind: str = "graph") -> dict:
        return self.of(kind)[-1]


def recording(view: GraphView) -> Sent:
    """Keep what ``view`` sends (no browser in these tests)."""
    sent = Sent()
    view.send = lambda content, buffers=None: sent.append(content)
    return sent


def message(view: GraphView, content: dict) -> None:
    """A message from the browser, handled as the widget's comm hands it over."""
    view.receive(content)

"""The graph tests' stores: each test module runs on the embedded store and on the local Neo4j server."""

from __future__ import annotations

import pytest

from tests.neo4j_server import wipe
from workbench.graph.memory import MemoryStore
from workbench.graph.neo4j_store import Neo4jStore
from workbench.graph.store import GraphStore

STORES = ["memory", pytest.param("neo4j", marks=pytest.mark.neo4j)]


def open_store(name: str, request: pytest.FixtureRequest) -> GraphStore:
    if name == "memory":
        return MemoryStore()
    if name == "neo4j":
        wipe(request.getfixturevalue("neo4j_session_driver"))
        settings = request.getfixturevalue("neo4j_settings")
        return Neo4jStore.connect(settings.uri, settings.user, settings.password)
    raise ValueError(name)


@pytest.fixture(scope="module", params=STORES)
def backend(request):
    """One store per module and kind, emptied and closed after the module."""
    store = open_store(request.param, request)
    yield store
    store.clear()
    store.close()


@pytest.fixture
def store(backend) -> GraphStore:
    """An empty store."""
    backend.clear()
    return backend

"""Fixtures of the notebook tests: a small demo workspace (once per session), its graph in the local
Neo4j, a running ``tcw lab`` on it and headless Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import chromium
from tests.conftest import demo_copy
from tests.notebooks.artefacts import artefacts_folder
from tests.notebooks.harness import TINY
from tests.notebooks.lab_server import running_lab


@pytest.fixture(scope="session")
def demo_workspace(tiny_demo, tmp_path_factory) -> Path:
    """A copy of the tiny demo's workspace (events, leads' inputs, rings and clusters; notebook 03 opens
    cases and writes packages into it)."""
    return demo_copy(tiny_demo, tmp_path_factory.mktemp("notebook-demo")).root


@pytest.fixture
def neo4j_graph(neo4j_driver, neo4j_settings, demo_workspace):
    """The demo workspace's graph as ``tcw graph`` writes it, in the emptied local Neo4j; its settings."""
    from loaders.workspace import Workspace
    from workbench.graph.neo4j_store import Neo4jStore
    from workbench.graph.writer import write_graph

    store = Neo4jStore.connect(neo4j_settings.uri, neo4j_settings.user, neo4j_settings.password)
    try:
        write_graph(store, Workspace(demo_workspace))
    finally:
        store.close()
    return neo4j_settings


@pytest.fixture(scope="session")
def lab(demo_workspace):
    """``tcw lab`` on the demo workspace with the tiny test notebook beside the shipped ones."""
    with running_lab(demo_workspace, artefacts_folder() / "lab-server.log", [TINY]) as running:
        yield running


@pytest.fixture(scope="module")
def lab_browser():
    """Chromium for one test module: Playwright's sync API allows one running instance per thread, and the
    other browser tests start their own."""
    with chromium() as browser:
        yield browser

"""Crash safety of ``tcw graph`` by fault injection: a load killed with SIGKILL at each of its write stages
(every batch transaction, every removal of withdrawn events) and run again ends in the graph of a clean
load, against the real local Neo4j server."""

from __future__ import annotations

import shutil

import pytest

from loaders.ingest import ingest
from loaders.workspace import Workspace
from tests.graph.test_writer import dump, tcw_graph
from tests.loaders.crash_inputs import batch_a, batch_b
from workbench.graph.neo4j_store import Neo4jStore
from workbench.graph.writer import write_graph

pytestmark = pytest.mark.neo4j
BATCH = "25"


@pytest.fixture
def workspaces(tmp_path):
    """The first batch alone, and both batches (the second deletes an event of the first)."""
    first = Workspace(tmp_path / "first")
    ingest(batch_a(tmp_path / "a"), first, workers=1)
    both = Workspace(tmp_path / "both")
    shutil.copytree(first.root, both.root)
    ingest(batch_b(tmp_path / "b"), both, workers=1)
    return first, both


def _load(settings, ws: Workspace) -> None:
    store = Neo4jStore.connect(settings.uri, settings.user, settings.password)
    try:
        write_graph(store, ws, batch_size=int(BATCH))
    finally:
        store.close()


def test_a_graph_load_killed_at_each_write_stage_resumes_to_a_clean_load(workspaces, neo4j_settings,
                                                                         neo4j_driver, tmp_path):
    first, both = workspaces
    _load(neo4j_settings, both)
    clean = dump(neo4j_driver)
    neo4j_driver.execute_query("MATCH (n) DETACH DELETE n")
    _load(neo4j_settings, first)
    log = tmp_path / "stages.log"
    census = tcw_graph(both, neo4j_settings, "--batch-size", BATCH, env={"TCW_CHECKPOINT_LOG": str(log)})
    assert census.returncode == 0, census.stderr
    stages = [line.split("\t")[2] for line in log.read_text().splitlines()]
    assert {"graph batch", "graph removal"} <= set(stages) and len(stages) >= 4
    assert dump(neo4j_driver) == clean
    for number, stage in enumerate(stages, start=1):
        neo4j_driver.execute_query("MATCH (n) DETACH DELETE n")
        _load(neo4j_settings, first)
        killed = tcw_graph(both, neo4j_settings, "--batch-size", BATCH, env={"TCW_KILL_AT": str(number)})
        assert killed.returncode == -9, f"stage {number} ({stage}): {killed.stderr}"
        _load(neo4j_settings, both)
        assert dump(neo4j_driver) == clean, f"killed at stage {number} ({stage}), then loaded again"

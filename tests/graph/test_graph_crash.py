"""Crash safety of ``tcw graph`` by fault injection: a load killed with SIGKILL at each of its write stages
(every batch transaction, every removal of withdrawn events) and run again ends in the graph of a clean
load, against the real local Neo4j server."""

from __future__ import annotations

import shutil

import pytest

from loaders.ingest import ingest
from loaders.workspace import Workspace
from tests.graph.crash import resumes_after_every_kill
from tests.loaders.crash_inputs import batch_a, batch_b

pytestmark = pytest.mark.neo4j
BATCH = 25


@pytest.fixture
def workspaces(tmp_path):
    """The first batch alone, and both batches (the second deletes an event of the first)."""
    first = Workspace(tmp_path / "first")
    ingest(batch_a(tmp_path / "a"), first, workers=1)
    both = Workspace(tmp_path / "both")
    shutil.copytree(first.root, both.root)
    ingest(batch_b(tmp_path / "b"), both, workers=1)
    return first, both


def test_a_graph_load_killed_at_each_write_stage_resumes_to_a_clean_load(workspaces, neo4j_settings,
                                                                         neo4j_driver, tmp_path):
    first, both = workspaces
    census = resumes_after_every_kill(neo4j_settings, neo4j_driver, first, both, tmp_path / "stages.log",
                                      batch_size=BATCH)
    assert {"graph batch", "graph removal"} <= set(census.stages) and len(census.stages) >= 4

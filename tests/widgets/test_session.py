"""``open_store`` and ``default_workspace``: a workspace loaded into memory with its leads and communities,
once per ingest run; the Neo4j database from the environment; clear messages for what cannot serve."""

from __future__ import annotations

import pytest

from loaders.errors import BadInput
from loaders.workspace import Workspace
from tests.analytics.test_analyse import code, ring_rows
from tests.workbench.events_builder import event, write
from workbench.widgets import session
from workbench.widgets.session import default_workspace, open_store


@pytest.fixture(autouse=True)
def fresh():
    session.forget()
    yield
    session.forget()


def test_a_workspace_opens_in_memory_with_its_leads_and_communities_once_per_run(tmp_path):
    ws = write(Workspace(tmp_path / "ws"), ring_rows())
    store = open_store(ws)
    counts = store.counts()
    assert counts["Event"] == len(ring_rows()) and counts["Lead"] > 0 and counts["Community"] == 1
    assert [lead["rule_id"] for lead in store.leads_of("Code", code(1))] == ["reflux"]
    assert open_store(str(ws.root)) is store and open_store(ws.root) is store
    ws.log_run({"run_id": "r1", "status": "done"})
    assert open_store(ws) is not store, "an ingest run since: loaded afresh"


def test_a_workspace_without_flows_opens_without_communities(tmp_path):
    store = open_store(write(Workspace(tmp_path / "ws"), [event(1)]))
    assert store.counts()["Event"] == 1 and store.counts()["Community"] == 0


@pytest.mark.parametrize("make, says", [
    (lambda path: path.mkdir(), "the workspace holds no events"),
    (lambda path: None, "the workspace holds no events"),
    (lambda path: path.write_text("x"), "is a file, not a folder"),
], ids=["empty", "missing", "file"])
def test_what_cannot_serve_is_said_in_one_line(tmp_path, make, says):
    make(tmp_path / "ws")
    with pytest.raises(BadInput, match=says) as raised:
        open_store(tmp_path / "ws")
    assert str(tmp_path / "ws") in str(raised.value) and "\n" not in str(raised.value)
    with pytest.raises(BadInput, match="unknown graph backend 'duck'"):
        open_store(tmp_path / "ws", backend="duck")


def test_the_default_workspace(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TCW_WORKSPACE", raising=False)
    assert str(default_workspace()) == "tcw-workspace"
    (tmp_path / "tcw-demo" / "workspace").mkdir(parents=True)
    assert default_workspace().as_posix() == "tcw-demo/workspace"
    (tmp_path / "tcw-workspace").mkdir()
    assert str(default_workspace()) == "tcw-workspace"
    monkeypatch.setenv("TCW_WORKSPACE", str(tmp_path / "mine"))
    assert default_workspace() == tmp_path / "mine"
    write(Workspace(tmp_path / "mine"), [event(1)])
    assert open_store().counts()["Event"] == 1


@pytest.mark.neo4j
def test_the_neo4j_backend_comes_from_the_environment(tmp_path, monkeypatch, neo4j_settings):
    monkeypatch.setenv("NEO4J_URI", neo4j_settings.uri)
    monkeypatch.setenv("NEO4J_USER", neo4j_settings.user)
    monkeypatch.setenv("NEO4J_PASSWORD", neo4j_settings.password)
    store = open_store(tmp_path / "anything", backend="neo4j")
    try:
        assert "Code" in store.counts()
    finally:
        store.close()
    monkeypatch.setenv("NEO4J_PASSWORD", "")
    with pytest.raises(BadInput, match="NEO4J_PASSWORD is not set"):
        open_store(backend="neo4j", uri=neo4j_settings.uri)

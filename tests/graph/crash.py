"""The fault-injection loop every crash test of ``tcw graph`` runs: from the graph of ``before``, a load of
``after`` is killed (SIGKILL) at each of its write stages in turn and run again; each time the graph must be
the one a clean load of ``after`` gives."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from loaders.workspace import Workspace
from tests.graph.test_writer import dump, tcw_graph
from workbench.graph.neo4j_store import Neo4jStore
from workbench.graph.writer import write_graph


@dataclass(frozen=True)
class Census:
    """What an uninterrupted run of ``before`` → ``after`` showed: its write stages, its output, the graph."""

    stages: list[str]
    stdout: str
    clean: list[str]


def load(settings, ws: Workspace, batch_size: int = 5_000) -> None:
    """``write_graph`` of ``ws`` into the server, as ``tcw graph`` does."""
    store = Neo4jStore.connect(settings.uri, settings.user, settings.password)
    try:
        write_graph(store, ws, batch_size=batch_size)
    finally:
        store.close()


def resumes_after_every_kill(settings, driver, before: Workspace, after: Workspace, log: Path,
                             batch_size: int = 5_000) -> Census:
    """Run the loop (asserting as it goes); the census of the uninterrupted run."""
    options = ("--batch-size", str(batch_size))
    _restart(settings, driver, after, batch_size)
    clean = dump(driver)
    _restart(settings, driver, before, batch_size)
    census = tcw_graph(after, settings, *options, env={"TCW_CHECKPOINT_LOG": str(log)})
    assert census.returncode == 0, census.stderr
    stages = [line.split("\t")[2] for line in log.read_text().splitlines()]
    assert dump(driver) == clean
    for number, stage in enumerate(stages, start=1):
        _restart(settings, driver, before, batch_size)
        killed = tcw_graph(after, settings, *options, env={"TCW_KILL_AT": str(number)})
        assert killed.returncode == -9, f"stage {number} ({stage}): {killed.stderr}"
        load(settings, after, batch_size)
        assert dump(driver) == clean, f"killed at stage {number} ({stage}), then loaded again"
    return Census(stages, census.stdout, clean)


def _restart(settings, driver, ws: Workspace, batch_size: int) -> None:
    driver.execute_query("MATCH (n) DETACH DELETE n")
    load(settings, ws, batch_size)

"""The graph store a notebook works on: a workspace loaded into memory (with its leads and communities),
or the Neo4j database ``tcw graph`` wrote.

A workspace is loaded once per process and per state of its ``runs.jsonl`` (each ingest run adds a line),
so reopening it in another cell is instant and an ingest in between is picked up.

>>> import tempfile
>>> open_store(tempfile.mkdtemp())
Traceback (most recent call last):
...
loaders.errors.BadInput: ...: 工作区中没有事件 / the workspace holds no events (load files first: tcw ingest PATH… --workspace DIR)
>>> open_store(tempfile.mkdtemp(), backend="sqlite")
Traceback (most recent call last):
...
loaders.errors.BadInput: 未知的图存储 'sqlite' / unknown graph backend 'sqlite' (use memory or neo4j)
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from loaders.errors import BadInput
from loaders.workspace import DEFAULT_WORKSPACE, Workspace
from workbench.graph.store import GraphStore

BACKENDS = ("memory", "neo4j")
#: Where ``tcw demo`` puts its workspace (``--out`` defaults to ``tcw-demo``).
DEMO_WORKSPACE = Path("tcw-demo") / "workspace"
_LOADED: dict[tuple[str, float | None], GraphStore] = {}
_LOCK = threading.Lock()


def default_workspace() -> Path:
    """``$TCW_WORKSPACE``, else ``./tcw-workspace``, else the demo's ``./tcw-demo/workspace`` when it is
    there (else ``./tcw-workspace``, which ``open_store`` then says holds no events)."""
    given = os.environ.get("TCW_WORKSPACE")
    if given:
        return Path(given)
    if not Path(DEFAULT_WORKSPACE).exists() and DEMO_WORKSPACE.is_dir():
        return DEMO_WORKSPACE
    return Path(DEFAULT_WORKSPACE)


def open_store(workspace: str | os.PathLike | Workspace | None = None, backend: str = "memory",
               uri: str | None = None) -> GraphStore:
    """The graph store for ``workspace`` (``default_workspace()`` when ``None``).

    ``memory``: a ``MemoryStore`` holding the workspace's events, the leads of a full screen and the rings
    and clusters the analysis finds (none when no code was sold twice), shared by every caller until the
    next ingest run. ``neo4j``: the database at ``uri`` (else ``NEO4J_URI``, else the local server), user
    and password from ``NEO4J_USER`` / ``NEO4J_PASSWORD``; close it when done."""
    if backend not in BACKENDS:
        raise BadInput(f"未知的图存储 {backend!r} / unknown graph backend {backend!r}", hint="use memory or neo4j")
    if backend == "neo4j":
        from workbench.graph.writer import graph_settings, open_neo4j

        return open_neo4j(graph_settings(uri))
    ws = as_workspace(workspace)
    key = (str(ws.root.resolve()), _stamp(ws))
    with _LOCK:
        if key not in _LOADED:
            _LOADED[key] = memory_store(ws)
        return _LOADED[key]


def as_workspace(workspace: str | os.PathLike | Workspace | None) -> Workspace:
    """A workspace that holds events (``BadInput`` with what to do otherwise)."""
    from workbench.graph.writer import require_events

    if isinstance(workspace, Workspace):
        ws = workspace
    else:
        ws = Workspace(Path(default_workspace() if workspace is None else workspace))
    if ws.root.exists() and not ws.root.is_dir():
        raise BadInput("工作区是文件而不是文件夹 / the workspace is a file, not a folder", path=str(ws.root),
                       hint="name the folder tcw ingest wrote")
    require_events(ws)
    return ws


def memory_store(ws: Workspace) -> GraphStore:
    """A new ``MemoryStore`` with the workspace's events, leads and communities."""
    from workbench.graph.communities import workspace_analysis, write_communities
    from workbench.graph.load import load_workspace
    from workbench.graph.memory import MemoryStore
    from workbench.screens.run import screen

    store = MemoryStore()
    load_workspace(store, ws, screen(ws))
    write_communities(store, workspace_analysis(ws))  # None (no flows): no communities
    return store


def forget() -> None:
    """Drop every loaded workspace (the next ``open_store`` loads afresh)."""
    with _LOCK:
        _LOADED.clear()


def _stamp(ws: Workspace) -> float | None:
    """When the workspace last changed: the time of ``runs.jsonl`` (``None`` before any run)."""
    try:
        return ws.runs_log.stat().st_mtime
    except OSError:
        return None

"""What the apps read, through the library functions the CLI calls: the workspace, its screening (leads
and repeat ledger, ``workbench.screens.run.screening``), its rings and brokers (``workbench.analytics.run``)
and, for trainers, the generated district's ``truth.csv``. A screening is computed once per state of the
workspace's events (file names, sizes and times), then reused by every app.

>>> import tempfile
>>> root = Path(tempfile.mkdtemp())
>>> (root / "data").mkdir(); (root / "data" / "truth.csv").write_text("case_id\\n")
8
>>> truth_path(Workspace(root / "workspace")) == root / "data" / "truth.csv"
True
>>> truth_path(None, root / "data") == root / "data" / "truth.csv"
True
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from loaders.errors import BadInput
from loaders.workspace import Workspace

#: Where ``tcw demo`` and ``tcw generate`` put the district's answers, next to the workspace.
TRUTH = "truth.csv"
_CACHE: dict[tuple[str, str], tuple[tuple, object]] = {}


def as_workspace(workspace: Workspace | str | os.PathLike | None) -> Workspace:
    """A ``Workspace`` holding events from one, a folder, or ``None`` (the session's default workspace);
    ``BadInput`` saying what to do otherwise."""
    from workbench.widgets.session import as_workspace as checked

    return checked(workspace)


def events_state(ws: Workspace) -> tuple:
    """What changes when the workspace's events change: each event file's name, size and time."""
    return tuple((path, *_stat(path)) for path in ws.event_files())


def _stat(path: str) -> tuple[int, int]:
    info = os.stat(path)
    return info.st_size, info.st_mtime_ns


def cached(kind: str, ws: Workspace, compute: Callable[[], object]) -> object:
    """``compute()`` once per ``kind``, workspace and state of its events (only the latest state kept)."""
    key, state = (kind, str(ws.root.resolve())), events_state(ws)
    if key not in _CACHE or _CACHE[key][0] != state:
        _CACHE[key] = (state, compute())
    return _CACHE[key][1]


def workspace_screening(ws: Workspace):
    """``screening(ws)`` with every rule and the default parameters, as ``tcw screen`` runs it."""
    from workbench.screens.run import screening

    return cached("screening", ws, lambda: screening(ws))


def lead_rows(ws: Workspace) -> list[dict]:
    """The workspace's leads as rows, strongest first (``tcw screen``'s order): the ones ``tcw case`` opens
    cases from, kept in the workspace per state of its events (``workbench.cases.findings``)."""
    from workbench.cases.findings import workspace_leads

    return workspace_leads(ws)


def store_analysis(store):
    """``analyse_store(store)`` with the default parameters; ``None`` when there are no flows."""
    from workbench.analytics.run import analyse_store

    try:
        return analyse_store(store)
    except BadInput:
        return None


def truth_path(ws: Workspace | None, data: str | os.PathLike | None = None) -> Path:
    """``truth.csv``: in ``data`` (the generated folder, or the file itself), else next to the workspace
    (``tcw demo`` puts the data in ``<out>/data`` and the workspace in ``<out>/workspace``)."""
    if data is not None:
        given = Path(data)
        candidates = [given] if given.suffix == ".csv" else [given / TRUTH]
    else:
        root = ws.root if ws is not None else Path.cwd()
        candidates = [root.parent / "data" / TRUTH, root.parent / TRUTH, root / TRUTH]
    for path in candidates:
        if path.is_file():
            return path
    raise BadInput("找不到 truth.csv（生成数据的答案） / no truth.csv (the generated district's answers)",
                   path=str(candidates[0]), hint="pass data= the folder tcw generate or tcw demo wrote (…/data)")


def workspace_analysis(ws: Workspace):
    """``analyse_workspace(ws)`` with the default parameters (``tcw analyse``'s), once per state of the
    events; ``None`` when there are no flows."""
    from workbench.analytics.run import analyse_workspace

    def compute():
        try:
            return analyse_workspace(ws)
        except BadInput:
            return None

    return cached("analysis", ws, compute)

"""The leads and communities a case is made from: a full screen and the analysis with the default
parameters (``tcw screen``'s and ``tcw analyse``'s), computed once per state of the workspace's events and
kept in ``WORKSPACE/findings/`` (each file written atomically), so every ``tcw case`` command after the
first answers at once. A leads file given by the user (``--leads``: a screen with other parameters) is read
as it is.

>>> import tempfile
>>> find_row([{"lead_id": "L1"}], "lead_id", "L2", "线索 lead")
Traceback (most recent call last):
...
loaders.errors.BadInput: 找不到线索 lead L2 / no lead L2 (check the id: tcw screen lists them; give --leads FILE for a screen with other parameters)
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from loaders.atomic import atomic_path, private_folder, write_atomic
from loaders.errors import BadInput
from loaders.workspace import Workspace

FOLDER = "findings"
STATE = "state.json"


def workspace_leads(ws: Workspace) -> list[dict]:
    """Every lead of a full screen with the default parameters, strongest first."""
    return _kept(ws, "leads", _screen_leads)


def workspace_communities(ws: Workspace) -> list[dict]:
    """Every ring and cluster of the analysis with the default parameters, strongest first (none when no
    code was sold twice)."""
    return _kept(ws, "communities", _communities)


def file_leads(path: str | Path) -> list[dict]:
    """The leads of a file ``tcw screen`` wrote (.csv, .parquet or .json); numbers as numbers."""
    path = Path(path)
    try:
        if path.suffix.lower() == ".parquet":
            rows = pq.read_table(path).to_pylist()
        elif path.suffix.lower() == ".json":
            rows = json.loads(path.read_text(encoding="utf-8"))
        else:
            with open(path, encoding="utf-8-sig", newline="") as handle:
                rows = [_numbers(row) for row in csv.DictReader(handle)]
    except (OSError, ValueError, pa.ArrowException) as error:
        raise BadInput(f"无法读取线索文件 / cannot read the leads file: {error}", path=str(path),
                       hint="give a file tcw screen wrote (.csv, .parquet or .json)") from None
    if not isinstance(rows, list) or (rows and "lead_id" not in rows[0]):
        raise BadInput("不是线索文件（没有 lead_id 列） / not a leads file (no lead_id column)", path=str(path),
                       hint="give a file tcw screen wrote")
    return rows


def _numbers(row: dict) -> dict:
    for name in ("score", "amount"):
        row[name] = float(row[name]) if row.get(name) not in (None, "") else None
    if row.get("event_count") not in (None, ""):
        row["event_count"] = int(float(row["event_count"]))
    return row


def find_row(rows: list[dict], column: str, key: str, what: str) -> dict:
    """The row whose ``column`` is ``key``; ``BadInput`` saying where ids come from otherwise."""
    for row in rows:
        if row.get(column) == key:
            return row
    source = "tcw screen lists them; give --leads FILE for a screen with other parameters" if column == "lead_id" \
        else "tcw analyse lists them"
    raise BadInput(f"找不到{what} {key} / no {what.split()[-1]} {key}", hint=f"check the id: {source}")


def events_fingerprint(ws: Workspace) -> str:
    """A hash of the names (within the workspace), sizes and times of its event files and reference tables:
    a copied workspace keeps its findings."""
    files = sorted(ws.event_files()) + sorted(str(p) for p in (ws.root / "reference").glob("*.parquet"))
    state = []
    for name in files:
        info = Path(name).stat()
        state.append([Path(name).relative_to(ws.root).as_posix(), info.st_size, info.st_mtime_ns])
    return hashlib.sha256(json.dumps(state).encode("utf-8")).hexdigest()


def _kept(ws: Workspace, name: str, compute) -> list[dict]:
    folder = ws.root / FOLDER
    path, state_path = folder / f"{name}.parquet", folder / f"{name}.{STATE}"
    fingerprint = events_fingerprint(ws)
    if path.is_file() and state_path.is_file() and _state(state_path) == fingerprint:
        return pq.read_table(path).to_pylist()
    table = compute(ws)
    private_folder(folder)  # the workspace is owner-only
    with atomic_path(path) as temporary:
        pq.write_table(table, temporary, compression="zstd")
    write_atomic(state_path, json.dumps({"events": fingerprint}).encode("utf-8"))
    return table.to_pylist()


def _state(path: Path) -> str | None:
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("events")
    except (OSError, ValueError, AttributeError):
        return None


def _screen_leads(ws: Workspace) -> pa.Table:
    from workbench.screens.run import screen

    return screen(ws)


def _communities(ws: Workspace) -> pa.Table:
    from workbench.analytics.run import analyse_workspace, communities_table

    try:
        return communities_table(analyse_workspace(ws))
    except BadInput:  # no flows: no communities
        from workbench.analytics.run import COMMUNITY_COLUMNS

        return pa.table({column: pa.array([], pa.string()) for column in COMMUNITY_COLUMNS})

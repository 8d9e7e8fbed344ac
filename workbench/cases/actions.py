"""Case actions, the functions ``tcw case`` and the notebook apps both call: open a case from a lead, a
community, a code or an institution; add to it; move its status; note; assign; list; show. Each action is
one transaction in the workspace's case store and one line in the workspace's audit log.

>>> import tempfile
>>> ws = Workspace(Path(tempfile.mkdtemp()))
>>> list_cases(ws)
[]
>>> item_of(ws, "person", "P123")
Traceback (most recent call last):
...
loaders.errors.BadInput: P123: 人员须以假名给出 / a person is given by pseudonym (PSN-…, as leads and communities show them)
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from loaders.errors import BadInput
from loaders.workspace import Workspace
from workbench import audit
from workbench.cases.findings import file_leads, find_row, workspace_communities, workspace_leads
from workbench.cases.model import ITEM_ZH, Case
from workbench.cases.store import CaseStore, case_store_path
from workbench.screens.privacy import is_pseudonym

#: Whether an entity occurs in the events, per kind (codes, institutions and products are checked).
ENTITY_SQL = {
    "code": "SELECT count(*) FROM (SELECT 1 FROM events WHERE trace_code = $value LIMIT 1)",
    "institution": "SELECT count(*) FROM (SELECT 1 FROM events WHERE institution_code = $value LIMIT 1)",
    "product": "SELECT count(*) FROM (SELECT 1 FROM events WHERE med_list_codg = $value LIMIT 1)",
}
#: Longest default title.
TITLE_CHARS = 60


def case_store(ws: Workspace, user: str | None = None) -> CaseStore:
    """The workspace's case store (made on first use)."""
    return CaseStore(case_store_path(ws.root), user=user)


def item_of(ws: Workspace, kind: str, key: str, leads_file: str | Path | None = None) -> tuple[str, str, dict | None]:
    """The ``(kind, key, snapshot)`` of one item, checked against the workspace: a lead or community
    is looked up (its row is the snapshot); a code, institution or product must occur in the events."""
    key = str(key).strip()
    if kind == "lead":
        rows = file_leads(leads_file) if leads_file else workspace_leads(ws)
        return kind, key, find_row(rows, "lead_id", key, "线索 lead")
    if kind == "community":
        return kind, key, find_row(workspace_communities(ws), "community_id", key, "团伙/网络 community")
    if kind == "person":
        if not is_pseudonym(key):
            raise BadInput("人员须以假名给出 / a person is given by pseudonym (PSN-…, as leads and communities show them)",
                           path=key)
        return kind, key, None
    if kind not in ENTITY_SQL:
        raise BadInput(f"未知的案件条目 {kind!r} / unknown case item {kind!r}", hint="use " + ", ".join(ITEM_ZH))
    if not _occurs(ws, kind, key):
        raise BadInput(f"工作区的事件中没有{ITEM_ZH[kind]} {key} / no {kind} {key} in the workspace's events",
                       path=str(ws.root), hint="check the value (codes are text, e.g. 20 digits)")
    return kind, key, None


def default_title(item: tuple[str, str, dict | None]) -> str:
    """A title from the first item: the lead's or community's explanation, else what it is."""
    kind, key, snapshot = item
    text = (snapshot or {}).get("explanation_zh") or f"{ITEM_ZH[kind]} {key}"
    return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1] + "…"


def new_case(ws: Workspace, items: list[tuple[str, str]], title: str | None = None, assignee: str = "",
             leads_file: str | Path | None = None, user: str | None = None) -> str:
    """Open a case holding ``items`` (``(kind, key)`` pairs, at least one); its id."""
    if not items:
        raise BadInput("新案件至少需要一条线索、团伙、追溯码或机构 / a new case needs a lead, community, code or institution",
                       hint="tcw case new --lead ID | --community ID | --code C | --institution I")
    checked = [item_of(ws, kind, key, leads_file) for kind, key in items]
    store = case_store(ws, user)
    case_id = store.create(title or default_title(checked[0]), checked, assignee)
    audit.record(ws.root, "case new", case_id, {"items": [f"{k}:{v}" for k, v, _ in checked], "title": title or ""})
    return case_id


def add_to_case(ws: Workspace, case_id: str, items: list[tuple[str, str]], leads_file: str | Path | None = None,
                user: str | None = None) -> list[str]:
    """Add items to a case; the ``kind:key`` of those it did not hold yet."""
    store = case_store(ws, user)
    store.case(case_id)  # an unknown case fails before the lookups
    added = store.add(case_id, [item_of(ws, kind, key, leads_file) for kind, key in items])
    audit.record(ws.root, "case add", case_id, {"items": added})
    return added


def set_status(ws: Workspace, case_id: str, status: str, reason: str = "", user: str | None = None) -> Case:
    """Move a case to ``status`` (``open``, ``investigating``, ``confirmed``, ``dismissed``); the case."""
    store = case_store(ws, user)
    store.set_status(case_id, status, reason)
    audit.record(ws.root, "case status", case_id, {"status": status, "reason": reason})
    return store.case(case_id)


def add_note(ws: Workspace, case_id: str, text: str, user: str | None = None) -> Case:
    store = case_store(ws, user)
    store.add_note(case_id, text)
    audit.record(ws.root, "case note", case_id, {"chars": len(text)})
    return store.case(case_id)


def assign(ws: Workspace, case_id: str, assignee: str, user: str | None = None) -> Case:
    store = case_store(ws, user)
    store.assign(case_id, assignee)
    audit.record(ws.root, "case assign", case_id, {"assignee": assignee})
    return store.case(case_id)


def list_cases(ws: Workspace, status: str | None = None) -> list[Case]:
    """The workspace's cases (of one status), most recently changed first; none before the first case."""
    if not case_store_path(ws.root).exists():
        return []
    return case_store(ws).cases(status)


def show_case(ws: Workspace, case_id: str) -> Case:
    if not case_store_path(ws.root).exists():
        raise BadInput(f"没有案件 {case_id} / no case {case_id}", path=str(ws.root), hint="tcw case new … opens one")
    return case_store(ws).case(case_id)


def _occurs(ws: Workspace, kind: str, value: str) -> bool:
    files = ws.event_files()
    if not files:
        raise BadInput("工作区中没有事件 / the workspace holds no events", path=str(ws.root),
                       hint="load files first: tcw ingest PATH… --workspace DIR")
    con = duckdb.connect()
    try:
        con.read_parquet(files).create_view("events")
        found = con.execute(ENTITY_SQL[kind], {"value": value}).fetchone()[0]
    finally:
        con.close()
    return bool(found)

"""The case store: ``WORKSPACE/cases.sqlite``, one transactional file. Every change is one SQLite
transaction taken with ``BEGIN IMMEDIATE`` (writers queue, none is lost; WAL lets readers go on), and adds a
line to the case's history saying who (the OS user), when and what. Cases hold business ids only, so they
survive a reload of the events or the graph. Only bound parameters reach SQL.

>>> import tempfile
>>> store = CaseStore(Path(tempfile.mkdtemp()) / "cases.sqlite", user="ana")
>>> case_id = store.create("药店串换", [("lead", "L-1", {"lead_id": "L-1", "score": 0.9})])
>>> store.set_status(case_id, "investigating")
>>> store.add_note(case_id, "已调取处方 prescriptions requested")
>>> case = store.case(case_id)
>>> case.status, case.keys("lead"), [c.action for c in case.history]
('investigating', ['L-1'], ['new', 'status', 'note'])
>>> store.set_status(case_id, "confirmed")
Traceback (most recent call last):
...
loaders.errors.BadInput: ...: 结案或重开需要理由 / closing or reopening a case needs a reason (tcw case status CASE confirmed --reason "…")
"""

from __future__ import annotations

import getpass
import json
import os
import secrets
import sqlite3
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from loaders.atomic import private_folder
from loaders.errors import BadInput
from workbench.cases.model import (
    ITEM_KINDS,
    STATUSES,
    Case,
    CaseItem,
    Change,
    Note,
    move_allowed,
    needs_reason,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS cases (case_id TEXT PRIMARY KEY, title TEXT NOT NULL, status TEXT NOT NULL,
    assignee TEXT NOT NULL DEFAULT '', reason TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL,
    created_by TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (case_id TEXT NOT NULL REFERENCES cases, kind TEXT NOT NULL, key TEXT NOT NULL,
    snapshot TEXT, added_at TEXT NOT NULL, added_by TEXT NOT NULL, position INTEGER NOT NULL,
    PRIMARY KEY (case_id, kind, key));
CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, case_id TEXT NOT NULL REFERENCES cases,
    at TEXT NOT NULL, by TEXT NOT NULL, text TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS history (id INTEGER PRIMARY KEY, case_id TEXT NOT NULL REFERENCES cases,
    at TEXT NOT NULL, by TEXT NOT NULL, action TEXT NOT NULL, detail TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS items_by_key ON items (kind, key);
"""
FILE_NAME = "cases.sqlite"
#: How long a writer waits for another's transaction before giving up (seconds).
BUSY_SECONDS = 30


def case_store_path(root: Path) -> Path:
    return Path(root) / FILE_NAME


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid-{os.getuid()}"


def new_case_id() -> str:
    """``CASE-<date>-<6 hex>``: unique across workspaces in practice, short enough to type."""
    return f"CASE-{datetime.now(timezone.utc):%Y%m%d}-{secrets.token_hex(3)}"


class CaseStore:
    """Cases in one SQLite file; ``user``: who the changes are recorded as (default: the OS user)."""

    def __init__(self, path: Path, user: str | None = None) -> None:
        self.path = Path(path)
        self.user = user or os_user()
        private_folder(self.path.parent)
        if not self.path.exists():
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        with self._transaction() as db:
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)

    @contextmanager
    def _transaction(self, writes: bool = True):
        db = sqlite3.connect(self.path, timeout=BUSY_SECONDS, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA foreign_keys=ON")
            db.execute("BEGIN IMMEDIATE" if writes else "BEGIN")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        except sqlite3.DatabaseError as error:
            raise BadInput(f"案件库无法使用 / the case store cannot be used: {error}", path=str(self.path),
                           hint="another tcw may hold it too long; else restore the file from a backup") from None
        finally:
            db.close()

    def create(self, title: str, items: list[tuple[str, str, dict | None]], assignee: str = "") -> str:
        """A new case in ``open`` holding ``items`` (kind, key, snapshot); its id."""
        case_id, at = new_case_id(), now()
        with self._transaction() as db:
            db.execute("INSERT INTO cases VALUES (?, ?, 'open', ?, '', ?, ?, ?)",
                       (case_id, title, assignee, at, self.user, at))
            added = self._add_items(db, case_id, items, at)
            self._log(db, case_id, at, "new", {"title": title, "items": added, "assignee": assignee})
        return case_id

    def add(self, case_id: str, items: list[tuple[str, str, dict | None]]) -> list[str]:
        """Add items (those already held are left as they are); the ``kind:key`` of those added."""
        at = now()
        with self._transaction() as db:
            self._require(db, case_id)
            added = self._add_items(db, case_id, items, at)
            if added:
                self._log(db, case_id, at, "add", {"items": added})
        return added

    def set_status(self, case_id: str, status: str, reason: str = "") -> None:
        """Move the case to ``status``; closing (confirmed, dismissed) or reopening needs a reason."""
        if status not in STATUSES:
            raise BadInput(f"未知状态 {status!r} / unknown status {status!r}", hint="use " + ", ".join(STATUSES))
        at = now()
        with self._transaction() as db:
            current = self._require(db, case_id)
            if not move_allowed(current, status):
                raise BadInput(f"案件 {case_id} 不能从 {current} 改为 {status} / a case in {current} cannot move to {status}",
                               hint="reopen it first: tcw case status CASE investigating --reason …")
            if needs_reason(current, status) and not reason.strip():
                raise BadInput("结案或重开需要理由 / closing or reopening a case needs a reason", path=case_id,
                               hint=f'tcw case status CASE {status} --reason "…"')
            db.execute("UPDATE cases SET status = ?, reason = ?, updated_at = ? WHERE case_id = ?",
                       (status, reason, at, case_id))
            self._log(db, case_id, at, "status", {"from": current, "to": status, "reason": reason})

    def assign(self, case_id: str, assignee: str) -> None:
        at = now()
        with self._transaction() as db:
            self._require(db, case_id)
            db.execute("UPDATE cases SET assignee = ?, updated_at = ? WHERE case_id = ?", (assignee, at, case_id))
            self._log(db, case_id, at, "assign", {"assignee": assignee})

    def add_note(self, case_id: str, text: str) -> None:
        if not text.strip():
            raise BadInput("备注为空 / the note is empty", path=case_id, hint='tcw case note CASE "…"')
        at = now()
        with self._transaction() as db:
            self._require(db, case_id)
            db.execute("INSERT INTO notes (case_id, at, by, text) VALUES (?, ?, ?, ?)", (case_id, at, self.user, text))
            db.execute("UPDATE cases SET updated_at = ? WHERE case_id = ?", (at, case_id))
            self._log(db, case_id, at, "note", {"text": text})

    def record(self, case_id: str, action: str, detail: dict) -> None:
        """A history line without another change (e.g. ``export``: where, which files)."""
        with self._transaction() as db:
            self._require(db, case_id)
            self._log(db, case_id, now(), action, detail)

    def case(self, case_id: str) -> Case:
        """The case with its items, notes and history (``BadInput`` when there is none)."""
        with self._transaction(writes=False) as db:
            self._require(db, case_id)
            return _case(db, case_id)

    def cases(self, status: str | None = None) -> list[Case]:
        """Every case (of one status), the most recently changed first."""
        with self._transaction(writes=False) as db:
            ids = [row[0] for row in db.execute(
                "SELECT case_id FROM cases WHERE ? IS NULL OR status = ? ORDER BY updated_at DESC, case_id",
                (status, status))]
            return [_case(db, case_id) for case_id in ids]

    def cases_holding(self, kind: str, key: str) -> list[str]:
        """The ids of the cases that hold this item."""
        with self._transaction(writes=False) as db:
            return [row[0] for row in db.execute(
                "SELECT case_id FROM items WHERE kind = ? AND key = ? ORDER BY case_id", (kind, key))]

    def _require(self, db, case_id: str) -> str:
        row = db.execute("SELECT status FROM cases WHERE case_id = ?", (case_id,)).fetchone()
        if row is None:
            raise BadInput(f"没有案件 {case_id} / no case {case_id}", path=str(self.path), hint="tcw case list shows them")
        return row[0]

    def _add_items(self, db, case_id: str, items, at: str) -> list[str]:
        for kind, _, _ in items:
            if kind not in ITEM_KINDS:
                raise BadInput(f"未知的案件条目 {kind!r} / unknown case item {kind!r}", hint="use " + ", ".join(ITEM_KINDS))
        position = db.execute("SELECT coalesce(max(position), 0) FROM items WHERE case_id = ?", (case_id,)).fetchone()[0]
        added = []
        for kind, key, snapshot in items:
            stored = None if snapshot is None else json.dumps(snapshot, ensure_ascii=False, default=str)
            cursor = db.execute("INSERT OR IGNORE INTO items VALUES (?, ?, ?, ?, ?, ?, ?)",
                                (case_id, kind, key, stored, at, self.user, position + len(added) + 1))
            if cursor.rowcount:
                added.append(f"{kind}:{key}")
        db.execute("UPDATE cases SET updated_at = ? WHERE case_id = ?", (at, case_id))
        return added

    def _log(self, db, case_id: str, at: str, action: str, detail: dict) -> None:
        db.execute("INSERT INTO history (case_id, at, by, action, detail) VALUES (?, ?, ?, ?, ?)",
                   (case_id, at, self.user, action, json.dumps(detail, ensure_ascii=False, default=str)))


def _case(db, case_id: str) -> Case:
    head = db.execute("SELECT * FROM cases WHERE case_id = ?", (case_id,)).fetchone()
    items = tuple(CaseItem(kind, key, json.loads(snapshot) if snapshot else None, at, by) for kind, key, snapshot, at, by in
                  db.execute("SELECT kind, key, snapshot, added_at, added_by FROM items WHERE case_id = ? "
                             "ORDER BY position", (case_id,)))
    notes = tuple(Note(*row) for row in db.execute("SELECT at, by, text FROM notes WHERE case_id = ? ORDER BY id", (case_id,)))
    history = tuple(Change(at, by, action, json.loads(detail)) for at, by, action, detail in db.execute(
        "SELECT at, by, action, detail FROM history WHERE case_id = ? ORDER BY id", (case_id,)))
    return Case(*head, items=items, notes=notes, history=history)

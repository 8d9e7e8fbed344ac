"""What a case is: a status with its allowed moves, the items it holds (keyed by business ids: a lead id,
a community id, a trace code, an institution code, a person's pseudonym, a product code), notes, and the
history of every change.

>>> move_allowed("open", "investigating"), move_allowed("dismissed", "confirmed")
(True, False)
>>> STATUS_ZH["confirmed"]
'已确认'
>>> case = Case("CASE-20261204-0a1b2c", "药店串换", "open", "", "", "2026-12-04T10:00:00+00:00", "ana",
...             "2026-12-04T10:00:00+00:00", items=(CaseItem("code", "81000000000000000001"),))
>>> case.keys("code"), case.keys("lead")
(['81000000000000000001'], [])
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Statuses, in the order a case moves through them, with their Chinese names.
STATUS_ZH = {"open": "待核查", "investigating": "核查中", "confirmed": "已确认", "dismissed": "已排除"}
STATUSES = tuple(STATUS_ZH)
#: Where a case may go from each status (reopening a closed case goes back to ``investigating``).
MOVES = {
    "open": ("investigating", "confirmed", "dismissed"),
    "investigating": ("open", "confirmed", "dismissed"),
    "confirmed": ("investigating",),
    "dismissed": ("investigating",),
}
#: Statuses that close a case: moving into them, or out of them, needs a reason.
CLOSED = frozenset({"confirmed", "dismissed"})
#: What a case can hold, each keyed by a business id, with its Chinese name.
ITEM_ZH = {"lead": "线索", "community": "团伙/网络", "code": "追溯码", "institution": "机构", "person": "人员",
           "product": "药品"}
ITEM_KINDS = tuple(ITEM_ZH)


def move_allowed(current: str, new: str) -> bool:
    """Whether a case in ``current`` may move to ``new``."""
    return new in MOVES.get(current, ())


def needs_reason(current: str, new: str) -> bool:
    """Whether the move closes or reopens a case (then a reason is required)."""
    return new in CLOSED or current in CLOSED


@dataclass(frozen=True)
class CaseItem:
    """One thing a case holds; ``snapshot``: the lead's or community's row when it was added (the evidence
    as it stood), ``None`` for entities."""

    kind: str
    key: str
    snapshot: dict | None = None
    added_at: str = ""
    added_by: str = ""


@dataclass(frozen=True)
class Note:
    at: str
    by: str
    text: str


@dataclass(frozen=True)
class Change:
    """One line of a case's history: who did what, when; ``detail`` says what changed."""

    at: str
    by: str
    action: str
    detail: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    case_id: str
    title: str
    status: str
    assignee: str
    reason: str
    created_at: str
    created_by: str
    updated_at: str
    items: tuple[CaseItem, ...] = ()
    notes: tuple[Note, ...] = ()
    history: tuple[Change, ...] = ()

    def keys(self, kind: str) -> list[str]:
        """The keys of the items of one kind, in the order they were added."""
        return [item.key for item in self.items if item.kind == kind]

    def snapshots(self, kind: str) -> list[dict]:
        """The rows of the case's leads or communities as they were added."""
        return [item.snapshot for item in self.items if item.kind == kind and item.snapshot]

    @property
    def status_zh(self) -> str:
        return STATUS_ZH.get(self.status, self.status)

"""``Case`` nodes: the workspace's cases (``workbench.cases``, one SQLite file per workspace) mirrored into
a graph store, so a team sharing one Neo4j server sees them. Each case points by ``HOLDS`` to what it holds
(``ITEM_LABELS``: its leads, communities, codes, institutions, persons and products, keyed by the same
business ids). ``tcw graph`` writes them after the events, leads and communities; the graph then holds the
cases of the last workspace written to it.

Items are never created here: an item the graph does not hold (a lead from a screen with other
parameters, a code whose events a 3507 delete withdrew) is skipped and counted, and gets its ``HOLDS``
on a later write that finds it. A stored case whose properties or ``HOLDS`` differ from what would be
written (an assignee cleared, an item gone from the graph) is removed and written afresh, so nothing stale
survives; a stored case the list no longer has is removed with its ``HOLDS`` (the items stay).

>>> from workbench.cases.model import Case, CaseItem
>>> from workbench.graph.memory import MemoryStore
>>> case = Case("CASE-1", "回流", "open", "", "", "2026-01-01T00:00:00+00:00", "ana", "2026-01-01T00:00:00+00:00",
...             items=(CaseItem("code", "81000000000000000001"),))
>>> case_properties(case)["status_zh"], case_properties(case)["item_count"]
('待核查', 1)
>>> sorted(label for labels in ITEM_LABELS.values() for label in labels) == sorted(HELD_LABELS)
True
>>> write_cases(MemoryStore(), [case])
{'cases': 1, 'case_items': 0, 'skipped_case_items': 1, 'removed_cases': 0}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from loaders.faults import checkpoint
from workbench.cases.model import Case
from workbench.graph.elements import Elements, ElementsBuilder
from workbench.graph.schema import Link, schema
from workbench.graph.store import GraphStore, node_id

#: A case item's kind → the labels its key may be stored under, tried in this order (a held code may be
#: an aggregate code, a ``Pack``).
ITEM_LABELS = {"lead": ("Lead",), "community": ("Community",), "code": ("Code", "Pack"),
               "institution": ("Institution",), "person": ("Patient",), "product": ("Product",)}
#: Every label a case may hold, as the schema declares ``HOLDS``.
HELD_LABELS = schema().relationship("HOLDS").ends
#: Node attributes an answer graph adds besides the properties (``store.subgraph``).
ANSWER_ATTRIBUTES = ("label", "key", "caption")


def write_cases(store: GraphStore, cases: Iterable[Case]) -> dict[str, int]:
    """Write every case with a ``HOLDS`` to each item the graph holds, then remove the stored cases not
    among ``cases``; how many cases were written, items linked, items skipped (not in the graph) and
    cases removed. Writing the same cases again changes nothing."""
    cases = list(cases)
    where = locate(store, cases)
    elements = case_elements(cases, where)
    wanted = wanted_cases(elements)
    stored = store.keys("Case")
    store.remove("Case", [case_id for case_id in sorted(stored & wanted.keys()) if _stale(store, case_id, wanted[case_id])])
    if cases:
        store.write(elements)
    checkpoint("graph cases")
    removed = store.remove("Case", stored - wanted.keys())
    items = sum(len(case.items) for case in cases)
    linked = sum(map(len, elements.relationships.values()))
    return {"cases": len(cases), "case_items": linked, "skipped_case_items": items - linked, "removed_cases": removed}


def case_properties(case: Case) -> dict:
    """The ``Case`` node's properties (times as the case store keeps them: ISO text in UTC)."""
    return {"case_id": case.case_id, "title": case.title, "status": case.status, "status_zh": case.status_zh,
            "assignee": case.assignee, "reason": case.reason, "created_at": case.created_at,
            "created_by": case.created_by, "updated_at": case.updated_at, "note_count": len(case.notes),
            "item_count": len(case.items)}


def locate(store: GraphStore, cases: Iterable[Case]) -> dict[tuple[str, str], str]:
    """The label each held item is stored under, by ``(kind, key)``; items the graph does not hold (or
    of a kind the graph has no label for) are left out."""
    wanted: dict[str, set[str]] = {}
    for item in (item for case in cases for item in case.items):
        wanted.setdefault(item.kind, set()).add(item.key)
    where = {}
    for kind, keys in wanted.items():
        for label in ITEM_LABELS.get(kind, ()):
            missing = store.absent(label, keys) if keys else set()
            where |= {(kind, key): label for key in keys - missing}
            keys = missing
    return where


def case_elements(cases: Iterable[Case], where: Mapping[tuple[str, str], str]) -> Elements:
    """Case nodes and ``HOLDS`` to the items ``where`` places (the others are left out); the items
    themselves are not written: they are the graph's already.

    >>> from workbench.cases.model import CaseItem
    >>> case = Case("CASE-1", "t", "open", "", "", "t0", "ana", "t0",
    ...             items=(CaseItem("lead", "L1", added_at="t0", added_by="ana"), CaseItem("code", "C9")))
    >>> elements = case_elements([case], {("lead", "L1"): "Lead"})
    >>> elements.relationships[Link("Case", "HOLDS", "Lead")], sorted(elements.nodes)
    ([{'start': 'CASE-1', 'end': 'L1', 'added_at': 't0', 'added_by': 'ana'}], ['Case'])
    """
    builder = ElementsBuilder()
    for case in cases:
        builder.node("Case", case.case_id, case_properties(case))
        for item in case.items:
            label = where.get((item.kind, item.key))
            if label is not None:
                builder.link(Link("Case", "HOLDS", label), case.case_id, item.key, added_at=item.added_at,
                             added_by=item.added_by)
    return builder.elements()


def wanted_cases(elements: Elements) -> dict[str, tuple[dict, set]]:
    """Per case id, its node row and its ``HOLDS`` as ``(end node id, sorted properties)``."""
    wanted = {row["case_id"]: (row, set()) for row in elements.nodes.get("Case", ())}
    for link, rows in elements.relationships.items():
        for row in rows:
            wanted[row["start"]][1].add((node_id(link.end, row["end"]), _props(row, ("start", "end"))))
    return wanted


def _stale(store: GraphStore, case_id: str, wanted: tuple[dict, set]) -> bool:
    """Whether the stored case's properties or ``HOLDS`` differ from the ``wanted`` ones."""
    target = node_id("Case", case_id)
    found = store.neighbourhood("Case", case_id, hops=1, labels=HELD_LABELS)
    if target not in found:  # removed meanwhile: nothing stale to remove
        return False
    stored = {name: value for name, value in found.nodes[target].items() if name not in ANSWER_ATTRIBUTES}
    held = {(end, _props(data, ("type",))) for start, end, type_, data in found.edges(keys=True, data=True)
            if start == target and type_ == "HOLDS"}
    return (stored, held) != wanted


def _props(row: Mapping, leave_out: tuple[str, ...]) -> tuple:
    return tuple(sorted((name, value) for name, value in row.items() if name not in leave_out))

"""What an investigator typed, found in the graph: a trace code (as scanned too: GS1 brackets, spaces), an
institution's or product's code or name, a person's pseudonym (or, with the workspace, the person number
itself, turned into its pseudonym), any node's key, or ``Label:key``.

Keys are looked up in the store (``GraphStore.absent``, label by label); names in a ``NameIndex`` of the
workspace (its reference tables and the names its events carry), since a store is asked by key only.

>>> from workbench.graph.memory import MemoryStore
>>> find(MemoryStore(), "  ")
[]
>>> candidates("(01)06901234567892(21)SN001")
['(01)06901234567892(21)SN001', '010690123456789221SN001']
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import duckdb

from loaders.tracecode import parse_trace_code
from loaders.workspace import Workspace
from workbench.graph.schema import schema
from workbench.graph.store import GraphStore, node_id
from workbench.screens.privacy import pseudonym, short_pseudonym, workspace_key

#: Labels a typed key is tried against, in this order.
SEARCH_LABELS = ("Code", "Pack", "Institution", "Product", "Patient", "Lead", "Community", "Region", "Event")
MAX_MATCHES = 20


@dataclass(frozen=True)
class Match:
    """A node found: its label, key and (when found by name) the name."""

    label: str
    key: str
    name: str = ""

    @property
    def node(self) -> str:
        return node_id(self.label, self.key)

    def text(self) -> str:
        """How a chooser lists it: kind, key (a pseudonym shortened), name.

        >>> Match("Institution", "P1", "某药房").text()
        '机构 institution P1 某药房'
        """
        declared = schema().label(self.label)
        return " ".join(part for part in (declared.caption_zh, declared.caption_en, short_pseudonym(self.key),
                                          self.name) if part)


class NameIndex:
    """Institution and product names → keys (from ``names``, and from the workspace ``ws`` when first
    needed), and the workspace's pseudonym ``key`` for person numbers."""

    def __init__(self, names: Iterable[tuple[str, str, str]] = (), key: bytes | None = None,
                 ws: Workspace | None = None) -> None:
        self._given, self.key, self.ws = list(names), key, ws

    @classmethod
    def of_workspace(cls, ws: Workspace) -> NameIndex:
        return cls(key=workspace_key(ws.root), ws=ws)

    @cached_property
    def names(self) -> list[tuple[str, str, str]]:
        rows = self._given + (workspace_names(self.ws) if self.ws is not None else [])
        return sorted({(label, code, name) for label, code, name in rows if code and name})

    def named(self, text: str) -> list[tuple[str, str, str]]:
        """``(label, key, name)`` whose name holds ``text`` (case ignored).

        >>> NameIndex([("Institution", "P1", "江津大药房")]).named("大药房")
        [('Institution', 'P1', '江津大药房')]
        """
        wanted = text.casefold()
        return [row for row in self.names if wanted in row[2].casefold()]


def workspace_names(ws: Workspace) -> list[tuple[str, str, str]]:
    """``(label, key, name)`` of institutions and products: the reference tables', the events'."""
    from workbench.screens.reference import reference_tables

    tables = reference_tables(ws)
    rows = [("Institution", r["code"], r["name"]) for r in tables["institutions"].to_pylist()]
    rows += [("Product", r["med_list_codg"], r["name"]) for r in tables["products"].to_pylist()]
    files = ws.event_files()
    if files:
        sql = ("SELECT DISTINCT 'Institution', institution_code, institution_name FROM read_parquet($p) UNION "
               "SELECT DISTINCT 'Product', med_list_codg, product_name FROM read_parquet($p)")
        with duckdb.connect() as db:
            rows += db.execute(sql, {"p": files}).fetchall()
    return rows


def candidates(text: str, names: NameIndex | None = None) -> list[str]:
    """The keys ``text`` may stand for: itself, its canonical trace code, its pseudonym (with a key)."""
    found = [text]
    parsed = parse_trace_code(text)
    if parsed.code and parsed.scheme not in ("none", "invalid"):
        found.append(parsed.code)
    if names is not None and names.key is not None:
        found.append(pseudonym(text, names.key))
    return list(dict.fromkeys(found))


def find(store: GraphStore, text: str, names: NameIndex | None = None, limit: int = MAX_MATCHES) -> list[Match]:
    """The stored nodes ``text`` names: by key first (``Label:key`` tries that label only), else by name."""
    text = text.strip()
    if not text:
        return []
    label, _, key = text.partition(":")
    if key and label in {declared.name for declared in schema().labels}:
        return [Match(label, key)] if not store.absent(label, [key]) else []
    keys = candidates(text, names)
    found = [Match(label, key) for label in SEARCH_LABELS for key in sorted(set(keys) - store.absent(label, keys))]
    if found or names is None:
        return found[:limit]
    return by_name(store, names.named(text))[:limit]


def by_name(store: GraphStore, named: list[tuple[str, str, str]]) -> list[Match]:
    """The stored ones of ``(label, key, name)`` rows, each node once (its first name)."""
    stored = set()
    for label in {label for label, _, _ in named}:
        keys = {key for other, key, _ in named if other == label}
        stored |= {(label, key) for key in keys - store.absent(label, keys)}
    found: dict[tuple[str, str], Match] = {}
    for label, key, name in named:
        if (label, key) in stored:
            found.setdefault((label, key), Match(label, key, name))
    return list(found.values())

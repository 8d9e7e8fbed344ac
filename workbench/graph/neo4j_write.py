"""Writing one batch of elements to Neo4j in one transaction: every row checked against the schema first,
then a few ``UNWIND`` statements per label and per link. Labels, keys, property names and relationship
types in the text come only from the schema (checked to be identifiers); every value is a parameter, sent as
columns (``$cols.<property>``, one list per property: lists of plain values travel much faster than maps
through the driver; times travel as ISO text, read back with ``localdatetime``).

* nodes of every label: the batch's keys already stored are looked up (with their element ids), new nodes
  are ``CREATE``d, stored ones updated;
* relationships: both ends found by element id (cheaper than a second index seek); ``CREATE``d when an
  end is new in this batch (the relationship cannot exist yet), else ``MERGE``d.

A batch is a transaction, so a load stopped half way and run again ends in the graph of one clean load.
A value absent from a row (``None``) never erases a stored one (``coalesce``). A relationship whose end is
neither stored nor in the batch rolls the whole batch back (``SchemaError``).

>>> print(node_statement("Event", ["event_id", "event_time"], "create"))
UNWIND range(0, size($cols.event_id) - 1) AS i CREATE (n:Event {event_id: $cols.event_id[i]}) SET n.event_time = localdatetime($cols.event_time[i]) RETURN collect(elementId(n)) AS ids
>>> print(node_statement("Code", ["code", "scheme"], "update"))
UNWIND range(0, size($ids) - 1) AS i MATCH (n) WHERE elementId(n) = $ids[i] SET n.scheme = coalesce($cols.scheme[i], n.scheme)
>>> print(relationship_statement(Link("Lead", "FLAGS", "Code"), ["role"], create=False))
UNWIND range(0, size($starts) - 1) AS i MATCH (a) WHERE elementId(a) = $starts[i] MATCH (b) WHERE elementId(b) = $ends[i] MERGE (a)-[r:FLAGS]->(b) SET r.role = coalesce($cols.role[i], r.role)
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from workbench.graph.elements import Elements
from workbench.graph.schema import Link, Property, Schema, SchemaError, schema

#: Labels whose nodes are facts, one per event (the bulk import writes them as they come, other nodes once).
FACT_LABELS = frozenset({"Event"})
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*").fullmatch
_TYPES = {"string": str, "integer": int, "float": float, "boolean": bool, "datetime": datetime}


def identifier(name: str) -> str:
    """A schema name for Cypher text, refused unless it is a plain identifier.

    >>> identifier("Code")
    'Code'
    >>> identifier("Code`) DETACH DELETE n //")
    Traceback (most recent call last):
    ...
    workbench.graph.schema.SchemaError: 不是标识符 / not an identifier: 'Code`) DETACH DELETE n //'
    """
    if not isinstance(name, str) or not _IDENTIFIER(name):
        raise SchemaError(f"不是标识符 / not an identifier: {name!r}")
    return name


def node_statement(label: str, names: Iterable[str], mode: str) -> str:
    """Nodes of ``label`` from the columns ``names`` (the key among them): ``create`` (new nodes, their
    element ids returned in order) or ``update`` (the stored nodes ``$ids``; a missing value keeps the
    stored one)."""
    declared = schema().label(label)
    name, key = identifier(declared.name), identifier(declared.key)
    sets = [f"n.{identifier(p)} = {_value('n', declared.property(p), mode == 'update')}" for p in names if p != key]
    if mode == "create":
        head = f"UNWIND range(0, size($cols.{key}) - 1) AS i CREATE (n:{name} {{{key}: $cols.{key}[i]}})"
    else:
        head = "UNWIND range(0, size($ids) - 1) AS i MATCH (n) WHERE elementId(n) = $ids[i]"
    tail = " RETURN collect(elementId(n)) AS ids" if mode == "create" else ""
    return head + (f" SET {', '.join(sets)}" if sets else "") + tail


def lookup_statement(label: str) -> str:
    """The stored nodes of ``label`` among the keys ``$keys``: ``[key, element id, properties]``.

    >>> print(lookup_statement("Code"))
    UNWIND $keys AS k MATCH (n:Code {code: k}) RETURN collect([k, elementId(n), properties(n)]) AS found
    """
    declared = schema().label(label)
    return (f"UNWIND $keys AS k MATCH (n:{identifier(declared.name)} {{{identifier(declared.key)}: k}}) "
            "RETURN collect([k, elementId(n), properties(n)]) AS found")


def relationship_statement(link: Link, names: Iterable[str], create: bool) -> str:
    """``CREATE`` (an end is new) or ``MERGE`` one relationship per ``$starts``/``$ends`` pair of element
    ids, with the property columns ``names``."""
    declared = schema().relationship(link.type)
    sets = [f"r.{identifier(p)} = {_value('r', declared.property(p), not create)}" for p in names]
    return ("UNWIND range(0, size($starts) - 1) AS i MATCH (a) WHERE elementId(a) = $starts[i] "
            "MATCH (b) WHERE elementId(b) = $ends[i] "
            f"{'CREATE' if create else 'MERGE'} (a)-[r:{identifier(link.type)}]->(b)"
            + (f" SET {', '.join(sets)}" if sets else ""))


def _value(variable: str, declared: Property | None, keep: bool) -> str:
    """The Cypher for one column value: times read from ISO text; ``keep``: a missing value keeps the
    stored one."""
    if declared is None:
        raise SchemaError(f"未声明的属性 / undeclared property: {declared!r}")
    value = f"$cols.{identifier(declared.name)}[i]"
    if declared.type == "datetime":
        value = f"localdatetime({value})"
    return f"coalesce({value}, {variable}.{declared.name})" if keep else value


def columns(rows: list[dict], exclude: Iterable[str] = ()) -> dict[str, list]:
    """Rows as one list per property (``None`` where a row lacks it); times as ISO text.

    >>> columns([{"a": 1, "t": datetime(2025, 6, 1, 9)}, {"a": 2}])
    {'a': [1, 2], 't': ['2025-06-01T09:00:00', None]}
    """
    names = list(dict.fromkeys(name for row in rows for name in row if name not in exclude))
    cols = {name: [row.get(name) for row in rows] for name in names}
    for name, values in cols.items():
        if any(type(value) is datetime for value in values):
            cols[name] = [value.isoformat() if isinstance(value, datetime) else value for value in values]
    return cols


def write_batch(tx, elements: Elements) -> None:
    """The batch in transaction ``tx`` (a managed write transaction: retried whole on transient errors)."""
    ids = _Ids()
    for label, rows in elements.nodes.items():
        _write_nodes(tx, label, merged_nodes(rows, schema().label(label).key), ids)
    for link, rows in elements.relationships.items():
        rows = merged_relationships(rows)
        ids.find(tx, link.start, [row["start"] for row in rows])
        ids.find(tx, link.end, [row["end"] for row in rows])
        fresh = [ids.is_new(link.start, row["start"]) or ids.is_new(link.end, row["end"]) for row in rows]
        _write_relationships(tx, link, [row for row, new in zip(rows, fresh, strict=True) if new], ids, create=True)
        _write_relationships(tx, link, [row for row, new in zip(rows, fresh, strict=True) if not new], ids,
                             create=False)


class _Ids:
    """Element ids of the batch's nodes by (label, key), and which of them this batch created."""

    def __init__(self) -> None:
        self.of: dict[tuple[str, str], str] = {}
        self.new: set[tuple[str, str]] = set()
        self.stored: dict[tuple[str, str], dict] = {}  # what the lookup read

    def find(self, tx, label: str, keys: Iterable[str]) -> None:
        """Look up the stored nodes among ``keys`` whose ids are not known yet (ends outside the batch)."""
        missing = list(dict.fromkeys(key for key in keys if (label, key) not in self.of))
        if missing:
            found = tx.run(lookup_statement(label), keys=missing).single()["found"]
            for key, element, props in found:
                self.of[(label, key)], self.stored[(label, key)] = element, props

    def created(self, label: str, key: str, element: str) -> None:
        self.of[(label, key)] = element
        self.new.add((label, key))

    def is_new(self, label: str, key: str) -> bool:
        return (label, key) in self.new

    def changes(self, label: str, row: dict) -> bool:
        """Whether ``row`` (of a stored node) says something the stored node does not: unchanged nodes
        (the institutions and products of every batch, a whole workspace written again) are not written
        again, and take no write locks."""
        stored = self.stored.get((label, row[schema().label(label).key]), {})
        return any(value is not None and _native(stored.get(name)) != value for name, value in row.items())

    def get(self, label: str, key: str) -> str | None:
        return self.of.get((label, key))


def _write_nodes(tx, label: str, rows: list[dict], ids: _Ids) -> None:
    """Create the new nodes; update the stored ones whose values changed."""
    key = schema().label(label).key
    ids.find(tx, label, [row[key] for row in rows])
    new = [row for row in rows if ids.get(label, row[key]) is None]
    if new:
        cols = columns(new)
        created = tx.run(node_statement(label, cols, "create"), cols=cols).single()["ids"]
        for row, element in zip(new, created, strict=True):
            ids.created(label, row[key], element)
    stored = [row for row in rows if not ids.is_new(label, row[key]) and ids.changes(label, row)]
    if stored:
        cols = columns(stored)
        tx.run(node_statement(label, cols, "update"), ids=[ids.get(label, row[key]) for row in stored],
               cols=cols).consume()


def _write_relationships(tx, link: Link, rows: list[dict], ids: _Ids, create: bool) -> None:
    starts = [ids.get(link.start, row["start"]) for row in rows]
    ends = [ids.get(link.end, row["end"]) for row in rows]
    missing = sum(start is None or end is None for start, end in zip(starts, ends, strict=True))
    if missing:
        raise SchemaError(f"{missing} 条 {link.type} 关系的端点不存在 / {missing} {link.type} relationships have an "
                          f"end ({link.start} or {link.end}) neither stored nor in the batch")
    if rows:
        cols = columns(rows, exclude=("start", "end"))
        tx.run(relationship_statement(link, cols, create), starts=starts, ends=ends, cols=cols).consume()


def _native(value: object) -> object:
    """A value read from Neo4j as the builders give it (times as Python ``datetime``)."""
    return value.to_native() if hasattr(value, "to_native") else value


def merged_nodes(rows: list[dict], key: str) -> list[dict]:
    """Rows of one label, each key once (later values win, as a store merges them).

    >>> merged_nodes([{"code": "a", "x": 1}, {"code": "b"}, {"code": "a", "y": 2}], "code")
    [{'code': 'a', 'x': 1, 'y': 2}, {'code': 'b'}]
    """
    by_key: dict = {}
    for row in rows:
        if row[key] in by_key:
            by_key[row[key]] = {**by_key[row[key]], **row}
        else:
            by_key[row[key]] = row
    return list(by_key.values())


def merged_relationships(rows: list[dict]) -> list[dict]:
    """Relationship rows, each (start, end) once (later values win)."""
    by_ends: dict = {}
    for row in rows:
        ends = row["start"], row["end"]
        by_ends[ends] = {**by_ends[ends], **row} if ends in by_ends else row
    return list(by_ends.values())


def check_elements(elements: Elements, declared: Schema | None = None) -> None:
    """Raise ``SchemaError`` unless every row keeps the schema (``Schema.check_node`` and
    ``check_relationship``), before anything is written. Rows of exactly the declared types pass a fast
    test; any other row gets the full check, which names what is wrong."""
    declared = declared or schema()
    for label, rows in elements.nodes.items():
        node = declared.label(label)
        types = {p.name: _TYPES[p.type] for p in node.properties}
        for row in rows:
            key = row.get(node.key)
            if type(key) is not str or not key or not _typed(row.items(), types):
                declared.check_node(label, row)
    for link, rows in elements.relationships.items():
        types = {p.name: _TYPES[p.type] for p in declared.relationship(link.type).properties}
        for row in rows[:1]:
            declared.check_relationship(link, row)
        for row in rows:
            start, end = row.get("start"), row.get("end")
            props = ((name, value) for name, value in row.items() if name not in ("start", "end"))
            if type(start) is not str or type(end) is not str or not start or not end or not _typed(props, types):
                declared.check_relationship(link, row)


def _typed(items: Iterable[tuple[str, object]], types: dict[str, type]) -> bool:
    """Whether every value is exactly of its declared type (local times only)."""
    for name, value in items:
        kind = types.get(name)
        if type(value) is not kind or (kind is datetime and value.tzinfo is not None):
            return False
    return True

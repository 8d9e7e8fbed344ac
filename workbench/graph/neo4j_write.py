"""Writing one batch of elements to Neo4j in one transaction: every row checked against the schema first,
then one ``UNWIND`` statement per label and per link. Labels, keys, property names and relationship types
in the text come only from the schema (checked to be identifiers); every value is a parameter, sent as
columns (``$cols.<property>``, one list per property: lists of plain values travel much faster than maps
through the driver; times travel as ISO text, read back with ``localdatetime``).

* dimension nodes (codes, institutions, persons, products, regions, leads): ``MERGE`` by key;
* facts (``Event``): the batch's event ids already stored are looked up, new events are ``CREATE``d
  with their relationships, stored ones updated and their relationships ``MERGE``d. A batch is a
  transaction, so a load stopped half way and run again ends in the graph of one clean load.

A value absent from a row (``None``) never erases a stored one (``coalesce``). A relationship whose end is
neither stored nor in the batch rolls the whole batch back (``SchemaError``).

>>> print(node_statement("Event", ["event_id", "event_time"], "create"))
UNWIND range(0, size($cols.event_id) - 1) AS i CREATE (n:Event {event_id: $cols.event_id[i]}) SET n.event_time = localdatetime($cols.event_time[i])
>>> print(relationship_statement(Link("Lead", "FLAGS", "Code"), ["role"], create=False))
UNWIND range(0, size($starts) - 1) AS i MATCH (a:Lead {lead_id: $starts[i]}) MATCH (b:Code {code: $ends[i]}) MERGE (a)-[r:FLAGS]->(b) SET r.role = coalesce($cols.role[i], r.role) RETURN count(*) AS written
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from workbench.graph.elements import Elements
from workbench.graph.schema import Link, Property, Schema, SchemaError, schema

#: Labels whose nodes are facts written once (``CREATE`` when new) rather than merged dimensions.
FACT_LABELS = frozenset({"Event"})
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*").fullmatch
_TYPES = {"string": str, "integer": int, "float": float, "boolean": bool, "datetime": datetime}
_MATCH = {"merge": "MERGE", "create": "CREATE", "update": "MATCH"}


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
    """Nodes of ``label`` from the columns ``names`` (the key among them): ``merge`` (dimensions),
    ``create`` (new facts) or ``update`` (stored facts)."""
    declared = schema().label(label)
    name, key = identifier(declared.name), identifier(declared.key)
    sets = [f"n.{identifier(p)} = {_value('n', declared.property(p), mode != 'create')}" for p in names if p != key]
    return (f"UNWIND range(0, size($cols.{key}) - 1) AS i {_MATCH[mode]} (n:{name} {{{key}: $cols.{key}[i]}})"
            + (f" SET {', '.join(sets)}" if sets else ""))


def relationship_statement(link: Link, names: Iterable[str], create: bool) -> str:
    """``CREATE`` (the start is a new fact) or ``MERGE`` one relationship per ``$starts``/``$ends`` pair,
    with the property columns ``names``; returns how many pairs found both ends."""
    start, end, declared = schema().label(link.start), schema().label(link.end), schema().relationship(link.type)
    sets = [f"r.{identifier(p)} = {_value('r', declared.property(p), not create)}" for p in names]
    return (f"UNWIND range(0, size($starts) - 1) AS i MATCH (a:{identifier(start.name)} "
            f"{{{identifier(start.key)}: $starts[i]}}) MATCH (b:{identifier(end.name)} {{{identifier(end.key)}: $ends[i]}}) "
            f"{'CREATE' if create else 'MERGE'} (a)-[r:{identifier(link.type)}]->(b)"
            + (f" SET {', '.join(sets)}" if sets else "") + " RETURN count(*) AS written")


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
    new_facts: dict[str, set] = {}
    for label, rows in elements.nodes.items():
        rows = merged_nodes(rows, schema().label(label).key)
        if label in FACT_LABELS:
            new_facts[label] = _write_facts(tx, label, rows)
        elif rows:
            cols = columns(rows)
            tx.run(node_statement(label, cols, "merge"), cols=cols).consume()
    for link, rows in elements.relationships.items():
        fresh = new_facts.get(link.start, set())
        rows = merged_relationships(rows)
        _write_relationships(tx, link, [row for row in rows if row["start"] in fresh], create=True)
        _write_relationships(tx, link, [row for row in rows if row["start"] not in fresh], create=False)


def _write_facts(tx, label: str, rows: list[dict]) -> set:
    """Create the new facts, update the stored ones; return the keys created."""
    declared = schema().label(label)
    name, key = identifier(declared.name), identifier(declared.key)
    keys = [row[key] for row in rows]
    found = tx.run(f"UNWIND $keys AS k MATCH (n:{name} {{{key}: k}}) RETURN collect(k) AS found", keys=keys).single()
    stored = set(found["found"])
    new = [row for row in rows if row[key] not in stored]
    for mode, part in (("create", new), ("update", [row for row in rows if row[key] in stored])):
        if part:
            cols = columns(part)
            tx.run(node_statement(label, cols, mode), cols=cols).consume()
    return {row[key] for row in new}


def _write_relationships(tx, link: Link, rows: list[dict], create: bool) -> None:
    if not rows:
        return
    cols = columns(rows, exclude=("start", "end"))
    written = tx.run(relationship_statement(link, cols, create), starts=[row["start"] for row in rows],
                     ends=[row["end"] for row in rows], cols=cols).single()["written"]
    if written != len(rows):
        raise SchemaError(f"{len(rows) - written} 条 {link.type} 关系的端点不存在 / {len(rows) - written} {link.type} "
                          f"relationships have an end ({link.start} or {link.end}) neither stored nor in the batch")


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

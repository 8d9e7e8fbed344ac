"""The graph schema, declared once in ``schema.yaml`` and read into frozen dataclasses: node labels (key,
captions, typed properties, colour and shape), relationship types (captions, the labels they join).

Everything else derives from it: the Neo4j constraints and indexes, the stores' checks on what they are
asked to write, and ``docs/graph-schema.md`` (``python -m workbench.graph.schema > docs/graph-schema.md``).

>>> code = schema().label("Code")
>>> code.key, code.caption_zh, code.property("scheme").type
('code', '追溯码', 'string')
>>> schema().relationship("AT").ends
('Institution',)
>>> Link("Event", "OF_CODE", "Pack") in schema().links()
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache, cached_property
from importlib import resources
from typing import NamedTuple

import yaml

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*").fullmatch
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}").fullmatch
SHAPES = frozenset({"dot", "diamond", "square", "triangle", "triangleDown", "star", "hexagon", "ellipse", "box"})
#: Property types and the Python values a store accepts for them (``bool`` is no integer here).
PROPERTY_TYPES: dict[str, type] = {"string": str, "integer": int, "float": float, "boolean": bool,
                                   "datetime": datetime}
#: Names a node or relationship row uses for itself, so no property may take them.
RESERVED = frozenset({"label", "key", "caption", "start", "end"})


class SchemaError(ValueError):
    """The schema file is inconsistent, or a row breaks it (unknown label, property or type)."""


@dataclass(frozen=True)
class Property:
    """A typed property; ``column`` names the event or lead column it is read from, if any."""

    name: str
    type: str
    zh: str
    column: str | None = None

    def accepts(self, value: object) -> bool:
        """Whether ``value`` is of this property's type (local times only, no zone).

        >>> Property("n", "integer", "数").accepts(True), Property("n", "integer", "数").accepts(3)
        (False, True)
        """
        kind = PROPERTY_TYPES[self.type]
        if kind is int:
            return isinstance(value, int) and not isinstance(value, bool)
        if kind is datetime:
            return isinstance(value, datetime) and value.tzinfo is None
        return isinstance(value, kind)


@dataclass(frozen=True)
class Label:
    """A node label: its key property, captions, drawing and properties."""

    name: str
    key: str
    caption_zh: str
    caption_en: str
    colour: str
    shape: str
    note: str
    display: str | None
    indexes: tuple[str, ...]
    properties: tuple[Property, ...]

    @cached_property
    def _by_name(self) -> dict[str, Property]:
        return {p.name: p for p in self.properties}

    def property(self, name: str) -> Property | None:
        return self._by_name.get(name)


@dataclass(frozen=True)
class Relationship:
    """A relationship type: captions, the labels it may start and end at, its properties."""

    type: str
    caption_zh: str
    caption_en: str
    note: str
    starts: tuple[str, ...]
    ends: tuple[str, ...]
    properties: tuple[Property, ...]

    def property(self, name: str) -> Property | None:
        return next((p for p in self.properties if p.name == name), None)


class Link(NamedTuple):
    """One declared way two labels are joined: ``(start label, relationship type, end label)``."""

    start: str
    type: str
    end: str


@dataclass(frozen=True)
class Schema:
    labels: tuple[Label, ...]
    relationships: tuple[Relationship, ...]

    @cached_property
    def _labels(self) -> dict[str, Label]:
        return {label.name: label for label in self.labels}

    def label(self, name: str) -> Label:
        try:
            return self._labels[name]
        except (KeyError, TypeError):
            raise SchemaError(f"未声明的节点标签 {name!r} / undeclared node label {name!r}") from None

    def relationship(self, type_: str) -> Relationship:
        for relationship in self.relationships:
            if relationship.type == type_:
                return relationship
        raise SchemaError(f"未声明的关系类型 {type_!r} / undeclared relationship type {type_!r}")

    @cached_property
    def _links(self) -> frozenset[Link]:
        return frozenset(self.links())

    def links(self) -> tuple[Link, ...]:
        """Every declared (start, type, end), in declaration order."""
        return tuple(Link(s, r.type, e) for r in self.relationships for s in r.starts for e in r.ends)

    def check_node(self, label: str, row: dict) -> None:
        """Raise :class:`SchemaError` unless ``row`` is a node of ``label``: its key a non-empty string,
        every other value a declared property of the declared type (no ``None``: missing is absent)."""
        declared = self.label(label)
        key = row.get(declared.key)
        if not isinstance(key, str) or not key:
            raise SchemaError(f"{label} 节点缺少键 {declared.key} / {label} node without its key {declared.key}: "
                              f"{key!r}")
        for name, value in row.items():
            _check_value(label, declared.property(name), name, value)

    def check_relationship(self, link: Link, row: dict) -> None:
        """Raise :class:`SchemaError` unless ``link`` is declared and ``row`` is ``{start, end, **props}``
        with non-empty string keys and declared, typed properties."""
        if link not in self._links:
            raise SchemaError(f"未声明的关系 {link.start}-[:{link.type}]->{link.end} / undeclared relationship "
                              f"{link.start}-[:{link.type}]->{link.end}")
        declared = self.relationship(link.type)
        for end in ("start", "end"):
            if not isinstance(row.get(end), str) or not row[end]:
                raise SchemaError(f"{link.type} 关系缺少 {end} / {link.type} relationship without its {end}")
        for name, value in row.items():
            if name not in ("start", "end"):
                _check_value(link.type, declared.property(name), name, value)


def _check_value(owner: str, declared: Property | None, name: str, value: object) -> None:
    if declared is None:
        raise SchemaError(f"{owner} 没有声明属性 {name!r} / {owner} has no property {name!r}")
    if not declared.accepts(value):
        raise SchemaError(f"属性 {owner}.{name} 应为 {declared.type}，实为 {type(value).__name__} {value!r} / "
                          f"property {owner}.{name} must be {declared.type}, got {type(value).__name__}")


@cache
def schema() -> Schema:
    """The workbench's graph schema (read once)."""
    text = resources.files("workbench.graph").joinpath("schema.yaml").read_text(encoding="utf-8")
    return parse_schema(yaml.safe_load(text))


def parse_schema(data: dict) -> Schema:
    """Build and check a schema from its YAML form.

    >>> try:
    ...     parse_schema({"labels": {"Bad-Name": {}}, "relationships": {}})
    ... except SchemaError as error:
    ...     print(error)
    图模式: 名称 'Bad-Name' 不是标识符 / graph schema: name 'Bad-Name' is not an identifier
    """
    labels = tuple(_label(name, spec) for name, spec in (data.get("labels") or {}).items())
    names = {label.name for label in labels}
    relationships = tuple(_relationship(name, spec, names) for name, spec in (data.get("relationships") or {}).items())
    return Schema(labels, relationships)


def _fail(message_zh: str, message_en: str) -> SchemaError:
    return SchemaError(f"图模式: {message_zh} / graph schema: {message_en}")


def _identifier(name: object) -> str:
    if not isinstance(name, str) or not _IDENTIFIER(name):
        raise _fail(f"名称 {name!r} 不是标识符", f"name {name!r} is not an identifier")
    return name


def _fields(where: str, spec: dict, required: set[str], optional: set[str]) -> dict:
    unknown, missing = set(spec) - required - optional, required - set(spec)
    if unknown or missing:
        raise _fail(f"{where} 字段有误（未知 {sorted(unknown)}，缺少 {sorted(missing)}）",
                    f"{where} fields are wrong (unknown {sorted(unknown)}, missing {sorted(missing)})")
    return spec


def _properties(owner: str, specs: dict) -> tuple[Property, ...]:
    properties = []
    for name, spec in (specs or {}).items():
        spec = _fields(f"{owner}.{name}", spec, {"type", "zh"}, {"column"})
        if _identifier(name) in RESERVED or spec["type"] not in PROPERTY_TYPES:
            raise _fail(f"{owner}.{name} 名称保留或类型未知", f"{owner}.{name}: reserved name or unknown type")
        column = spec.get("column")
        properties.append(Property(name, spec["type"], spec["zh"], _identifier(column) if column else None))
    return tuple(properties)


def _label(name: str, spec: dict) -> Label:
    spec = _fields(_identifier(name), spec, {"key", "caption_zh", "caption_en", "colour", "shape", "properties"},
                   {"display", "indexes", "note"})
    properties = _properties(name, spec["properties"])
    types = {p.name: p.type for p in properties}
    indexes = tuple(spec.get("indexes") or ())
    if types.get(spec["key"]) != "string" or any(p not in types for p in (spec.get("display"), *indexes) if p):
        raise _fail(f"{name} 的键须为字符串属性，显示和索引须为已声明属性",
                    f"{name}: the key must be a string property, display and indexes declared properties")
    if not _COLOUR(str(spec["colour"])) or spec["shape"] not in SHAPES:
        raise _fail(f"{name} 的颜色或形状无效", f"{name}: colour must be #rrggbb, shape one of {sorted(SHAPES)}")
    return Label(name, spec["key"], spec["caption_zh"], spec["caption_en"], spec["colour"], spec["shape"],
                 spec.get("note", ""), spec.get("display"), indexes, properties)


def _relationship(type_: str, spec: dict, labels: set[str]) -> Relationship:
    spec = _fields(_identifier(type_), spec, {"caption_zh", "caption_en", "from", "to"}, {"properties", "note"})
    starts, ends = tuple(spec["from"]), tuple(spec["to"])
    if not starts or not ends or not set(starts + ends) <= labels:
        raise _fail(f"{type_} 的起止标签未声明", f"{type_}: from/to must name declared labels")
    properties = _properties(type_, spec.get("properties"))
    if any(p.name == "type" for p in properties):
        raise _fail(f"{type_} 的属性不能叫 type", f"{type_}: a relationship property may not be called type")
    return Relationship(type_, spec["caption_zh"], spec["caption_en"], spec.get("note", ""), starts, ends, properties)


def neo4j_constraints(declared: Schema | None = None) -> list[str]:
    """Cypher DDL, built only from declared identifiers: a range index on every declared index property
    (these fill in the background), then a uniqueness constraint on every label's key (which also
    indexes it; creating one waits until it is filled).

    >>> ddl = neo4j_constraints()
    >>> ddl[0]
    'CREATE INDEX Institution_type IF NOT EXISTS FOR (n:Institution) ON (n.type)'
    >>> 'CREATE CONSTRAINT Code_code_key IF NOT EXISTS FOR (n:Code) REQUIRE n.code IS UNIQUE' in ddl
    True
    """
    declared = declared or schema()
    statements = []
    for label in declared.labels:
        for prop in map(_identifier, label.indexes):
            statements.append(f"CREATE INDEX {label.name}_{prop} IF NOT EXISTS FOR (n:{label.name}) ON (n.{prop})")
    for label in declared.labels:
        name, key = _identifier(label.name), _identifier(label.key)
        statements.append(f"CREATE CONSTRAINT {name}_{key}_key IF NOT EXISTS FOR (n:{name}) REQUIRE n.{key} IS UNIQUE")
    return statements


def schema_markdown(declared: Schema | None = None) -> str:
    """The schema page (``docs/graph-schema.md``), generated.

    >>> schema_markdown().splitlines()[0]
    '# 图模式 Graph schema'
    """
    declared = declared or schema()
    lines = ["# 图模式 Graph schema", "",
             "<!-- generated from workbench/graph/schema.yaml by "
             "`python -m workbench.graph.schema > docs/graph-schema.md`; do not edit by hand -->", "",
             "The investigation graph as `workbench/graph/schema.yaml` declares it. Both graph stores (in memory "
             "and Neo4j) check writes against it; the Neo4j constraints below, the drawing colours and this page "
             "are derived from it.", "", "## 节点 Nodes", "",
             "| 标签 label | 名称 caption | 键 key | 颜色 colour | 形状 shape | 说明 note |", "|---|---|---|---|---|---|"]
    lines += [f"| `{n.name}` | {n.caption_zh} {n.caption_en} | `{n.key}` | `{n.colour}` | {n.shape} | {_cell(n.note)} |"
              for n in declared.labels]
    for label in declared.labels:
        lines += ["", f"### {label.name} — {label.caption_zh} {label.caption_en}", ""]
        lines += _property_table(label.properties, label.key, label.indexes)
    lines += ["", "## 关系 Relationships", "", "| 类型 type | 名称 caption | 从 from | 到 to | 属性 properties | 说明 note |",
              "|---|---|---|---|---|---|"]
    for r in declared.relationships:
        props = ", ".join(f"`{p.name}` ({p.type}, {p.zh})" for p in r.properties)
        lines.append(f"| `{r.type}` | {r.caption_zh} {r.caption_en} | {', '.join(r.starts)} | {', '.join(r.ends)} "
                     f"| {props} | {_cell(r.note)} |")
    lines += ["", "```mermaid", "graph LR"]
    lines += [f"  {link.start} -->|{link.type}| {link.end}" for link in declared.links()]
    lines += ["```", "", "## Neo4j 约束与索引 constraints and indexes", "", "```cypher"]
    lines += [f"{statement};" for statement in neo4j_constraints(declared)]
    return "\n".join([*lines, "```", ""])


def _property_table(properties: tuple[Property, ...], key: str, indexes: tuple[str, ...]) -> list[str]:
    rows = ["| 属性 property | 类型 type | 中文 | 来源列 column |", "|---|---|---|---|"]
    for p in properties:
        mark = " (键 key)" if p.name == key else " (索引 index)" if p.name in indexes else ""
        rows.append(f"| `{p.name}`{mark} | {p.type} | {p.zh} | {f'`{p.column}`' if p.column else ''} |")
    return rows


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


if __name__ == "__main__":
    print(schema_markdown(), end="")

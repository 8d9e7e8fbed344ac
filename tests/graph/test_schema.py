"""The graph schema is declared once: it is consistent with the canonical events and the leads it is
read from, it rejects what it does not declare, and the Neo4j DDL and the schema page derive from it."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from loaders.normalize import EVENT_TYPES
from workbench.analytics.run import Analysis, communities_table
from workbench.graph.schema import Link, SchemaError, neo4j_constraints, parse_schema, schema, schema_markdown
from workbench.screens.leads import SCHEMA as LEADS_SCHEMA

DOC = Path(__file__).resolve().parents[2] / "docs" / "graph-schema.md"
YAML = Path(__file__).resolve().parents[2] / "workbench" / "graph" / "schema.yaml"
#: Column types of the events (DuckDB) and leads (Arrow) as the schema's property types.
EVENT_TYPE_OF = {"VARCHAR": "string", "TIMESTAMP": "datetime", "DOUBLE": "float", "BOOLEAN": "boolean",
                 "BIGINT": "integer", "INTEGER": "integer"}
LEAD_TYPE_OF = {"string": "string", "timestamp[us]": "datetime", "double": "float", "int64": "integer"}


def _declared() -> dict:
    return yaml.safe_load(YAML.read_text(encoding="utf-8"))


def test_the_labels_and_relationships_investigators_walk_are_declared():
    declared = schema()
    assert [label.name for label in declared.labels] == ["Code", "Pack", "Product", "Institution", "Patient",
                                                         "Region", "Event", "Lead", "Community", "Case"]
    assert {label.name: label.caption_zh for label in declared.labels}["Patient"] == "参保人"
    for link in [("Event", "OF_CODE", "Code"), ("Event", "AT", "Institution"), ("Event", "TO_PATIENT", "Patient"),
                 ("Event", "FROM_SUPPLIER", "Institution"), ("Code", "OF_PRODUCT", "Product"),
                 ("Pack", "CONTAINS", "Code"), ("Institution", "IN_REGION", "Region"), ("Region", "PART_OF", "Region"),
                 ("Lead", "FLAGS", "Patient"), ("Institution", "MEMBER_OF", "Community"),
                 ("Patient", "MEMBER_OF", "Community"), ("Case", "HOLDS", "Lead"), ("Case", "HOLDS", "Pack"),
                 ("Case", "HOLDS", "Patient")]:
        assert Link(*link) in declared.links()
    assert Link("Event", "AT", "Code") not in declared.links()


def test_properties_read_from_events_leads_and_communities_name_real_columns_of_the_same_type():
    leads = {field.name: LEAD_TYPE_OF[str(field.type)] for field in LEADS_SCHEMA}
    rows = communities_table(Analysis([], [], [], None, None, {})).schema  # communities.csv (contract §6)
    sources = {"Lead": leads, "Community": {field.name: LEAD_TYPE_OF[str(field.type)] for field in rows}}
    for label in schema().labels:
        source = sources.get(label.name) or {name: EVENT_TYPE_OF[kind] for name, kind in EVENT_TYPES.items()}
        for prop in label.properties:
            if prop.column:
                assert source.get(prop.column) == prop.type, f"{label.name}.{prop.name} ← {prop.column}"


def test_the_committed_schema_page_is_the_generated_one():
    assert DOC.read_text(encoding="utf-8") == schema_markdown(), \
        "regenerate: python -m workbench.graph.schema > docs/graph-schema.md"


def test_neo4j_ddl_has_a_key_constraint_per_label_and_the_declared_indexes():
    ddl = neo4j_constraints()
    constraints = [s for s in ddl if s.startswith("CREATE CONSTRAINT")]
    assert len(constraints) == len(schema().labels)
    assert "CREATE CONSTRAINT Event_event_id_key IF NOT EXISTS FOR (n:Event) REQUIRE n.event_id IS UNIQUE" in ddl
    assert "CREATE INDEX Event_event_time IF NOT EXISTS FOR (n:Event) ON (n.event_time)" in ddl
    shape = re.compile(r"CREATE (CONSTRAINT \w+ IF NOT EXISTS FOR \(n:\w+\) REQUIRE n\.\w+ IS UNIQUE"
                       r"|INDEX \w+ IF NOT EXISTS FOR \(n:\w+\) ON \(n\.\w+\))")
    assert all(shape.fullmatch(statement) for statement in ddl)


@pytest.mark.parametrize("edit, complaint", [
    (lambda d: d["labels"].__setitem__("Code) DETACH DELETE n //", d["labels"]["Code"]), "不是标识符"),
    (lambda d: d["labels"]["Code"]["properties"].__setitem__("x`y", {"type": "string", "zh": "x"}), "不是标识符"),
    (lambda d: d["labels"]["Code"].__setitem__("colour_typo", "#000000"), "colour_typo"),
    (lambda d: d["labels"]["Code"].__setitem__("key", "scheme_missing"), "键须为字符串属性"),
    (lambda d: d["labels"]["Code"].__setitem__("shape", "blob"), "颜色或形状"),
    (lambda d: d["labels"]["Code"]["properties"].__setitem__("label", {"type": "string", "zh": "x"}), "保留"),
    (lambda d: d["labels"]["Code"]["properties"]["scheme"].__setitem__("type", "text"), "类型未知"),
    (lambda d: d["relationships"]["AT"].__setitem__("to", ["Hospital"]), "起止标签未声明"),
    (lambda d: d["relationships"]["AT"].__setitem__("properties", {"type": {"type": "string", "zh": "x"}}),
     "不能叫 type"),
], ids=["label", "property", "unknown-field", "key", "shape", "reserved", "type", "endpoint", "edge-type"])
def test_a_schema_file_that_breaks_the_rules_is_refused(edit, complaint):
    declared = _declared()
    edit(declared)
    with pytest.raises(SchemaError, match=complaint):
        parse_schema(declared)


def test_the_shipped_file_parses_to_the_cached_schema():
    assert parse_schema(_declared()) == schema()


@pytest.mark.parametrize("label, row, complaint", [
    ("Hospital", {"code": "H1"}, "undeclared node label"),
    ("Code", {"scheme": "nmpa20"}, "without its key"),
    ("Code", {"code": ""}, "without its key"),
    ("Code", {"code": "8", "colour": "red"}, "has no property 'colour'"),
    ("Event", {"event_id": "e", "quantity": 1}, "must be float"),
    ("Event", {"event_id": "e", "source_line": True}, "must be integer"),
    ("Event", {"event_id": "e", "event_time": "2025-06-01"}, "must be datetime"),
    ("Event", {"event_id": "e", "event_time": datetime(2025, 6, 1, tzinfo=timezone(timedelta(hours=8)))},
     "must be datetime"),
    ("Event", {"event_id": "e", "quantity": None}, "must be float"),
])
def test_a_node_row_that_breaks_the_schema_is_refused(label, row, complaint):
    with pytest.raises(SchemaError, match=complaint):
        schema().check_node(label, row)


def test_relationship_rows_are_checked_against_the_declared_links():
    schema().check_relationship(Link("Lead", "FLAGS", "Institution"), {"start": "L1", "end": "P1", "role": "main"})
    with pytest.raises(SchemaError, match="undeclared relationship Event-\\[:AT\\]->Code"):
        schema().check_relationship(Link("Event", "AT", "Code"), {"start": "e", "end": "8"})
    with pytest.raises(SchemaError, match="without its end"):
        schema().check_relationship(Link("Event", "AT", "Institution"), {"start": "e"})
    with pytest.raises(SchemaError, match="has no property 'weight'"):
        schema().check_relationship(Link("Event", "AT", "Institution"), {"start": "e", "end": "P", "weight": 1.0})

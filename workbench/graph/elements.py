"""Canonical events, pack relations and leads → graph elements: node rows per label and relationship rows
per declared link, the one batch format every store writes (the Neo4j writer sends each list as one
``UNWIND`` batch).

* ``Elements.nodes[label]``: dicts holding the label's key property and its other properties;
* ``Elements.relationships[Link(start, type, end)]``: dicts ``{"start": key, "end": key, **props}``.

Keys are business identifiers (design rule 2): the canonical trace code, the institution code, the 医保
drug code, the event id the loaders derive from the record's business key, the lead id. A person appears
only under the workspace's keyed pseudonym. Missing values (``None``, NaN, empty text) are left out of a
row, so writing a row never erases what an earlier row said; a batch holds each node and relationship once.

>>> context = Context(key=b"k" * 32)
>>> row = {"event_id": "3505|P1|B1#1", "event_type": "sale", "trace_code": "81234560000000000012",
...        "code_scheme": "nmpa20", "institution_code": "P50011600012", "region_code": "500116",
...        "psn_no": "50011600000000000000000123", "quantity": 1.0}
>>> elements = event_elements([row], context)
>>> elements.nodes["Patient"]
[{'pseudonym': 'PSN-d589210a8138'}]
>>> elements.relationships[Link("Event", "AT", "Institution")]
[{'start': '3505|P1|B1#1', 'end': 'P50011600012'}]
>>> [r["code"] for r in elements.nodes["Region"]]
['500116', '5001', '50']
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache

import pyarrow as pa

from loaders.tracecode import parse_trace_code
from workbench.graph.schema import Link, schema
from workbench.screens.privacy import pseudonym

#: Region levels by the length of a GB/T 2260 code as the graph keys them.
REGION_LEVELS = {6: "county", 4: "city", 2: "province"}
#: Key prefix of a supplier the institutions reference does not name.
SUPPLIER_PREFIX = "supplier:"
#: Lead columns (in ``details``) that name a person by pseudonym.
LEAD_PERSONS = ("patient", "buyer")


@dataclass(frozen=True)
class Context:
    """What turning events into elements needs besides the events: the workspace's pseudonym key, the
    aggregate codes (parents in the pack relations), the three-code mapping (``product_id`` → 医保 drug
    code), product names from the products reference and suppliers by name (→ an Institution row)."""

    key: bytes
    packs: frozenset[str] = frozenset()
    product_of_prefix: Mapping[str, str] = field(default_factory=dict)
    product_names: Mapping[str, str] = field(default_factory=dict)
    suppliers: Mapping[str, dict] = field(default_factory=dict)

    def code_label(self, code: str) -> str:
        return "Pack" if code in self.packs else "Code"


@dataclass(frozen=True)
class Elements:
    """Node rows per label and relationship rows per link (see the module docstring)."""

    nodes: dict[str, list[dict]]
    relationships: dict[Link, list[dict]]

    def size(self) -> int:
        """Rows in the batch, nodes and relationships."""
        return sum(map(len, self.nodes.values())) + sum(map(len, self.relationships.values()))


class ElementsBuilder:
    """Collects nodes and relationships, merging repeats by key (later non-missing values win)."""

    def __init__(self) -> None:
        self._nodes: dict[str, dict[str, dict]] = {}
        self._links: dict[Link, dict[tuple[str, str], dict]] = {}

    def node(self, label: str, key: str, props: Mapping | None = None) -> str:
        """Add (or complete) the node ``label`` ``key``; return the key."""
        declared = schema().label(label)
        row = self._nodes.setdefault(label, {}).setdefault(key, {declared.key: key})
        for name, value in (props or {}).items():
            if name != declared.key and present(value):
                row[name] = _as_declared(declared.property(name), value)
        return key

    def link(self, link: Link, start: str, end: str, **props) -> None:
        row = self._links.setdefault(link, {}).setdefault((start, end), {"start": start, "end": end})
        row.update({name: value for name, value in props.items() if present(value)})

    def elements(self) -> Elements:
        return Elements({label: list(rows.values()) for label, rows in self._nodes.items()},
                        {link: list(rows.values()) for link, rows in self._links.items()})


def _as_declared(declared, value: object) -> object:
    """Whole numbers given for a float property become floats (Arrow gives both stores the same)."""
    if declared is not None and declared.type == "float" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def present(value: object) -> bool:
    """Whether a value says something (``None``, NaN and empty text do not).

    >>> [present(v) for v in (None, float("nan"), "", " ", 0, False)]
    [False, False, False, True, True, True]
    """
    if value is None or value == "":
        return False
    return not (isinstance(value, float) and math.isnan(value))


def event_elements(events: pa.Table | pa.RecordBatch | Iterable[dict], context: Context) -> Elements:
    """The elements of canonical events (an Arrow table or batch, or rows as dicts)."""
    builder = ElementsBuilder()
    rows = events.to_pylist() if isinstance(events, pa.Table | pa.RecordBatch) else events
    for row in rows:
        add_event(builder, row, context)
    return builder.elements()


def add_event(builder: ElementsBuilder, row: Mapping, context: Context) -> None:
    """One event: its node, and the code, institution, person, product and supplier it names."""
    event = builder.node("Event", row["event_id"], columns("Event", row))
    code = row.get("trace_code")
    if present(code):
        add_code(builder, context.code_label(code), code, columns("Code", row), context)
        builder.link(Link("Event", "OF_CODE", context.code_label(code)), event, code)
    if present(row.get("institution_code")):
        builder.link(Link("Event", "AT", "Institution"), event, add_institution(builder, columns("Institution", row)))
    if present(row.get("psn_no")):
        patient = builder.node("Patient", pseudonym(row["psn_no"], context.key))
        builder.link(Link("Event", "TO_PATIENT", "Patient"), event, patient)
    product = row.get("med_list_codg")
    if present(product):
        name = context.product_names.get(product) or row.get("product_name")
        builder.link(Link("Event", "OF_PRODUCT", "Product"), event, builder.node("Product", product, {"name": name}))
    supplier = row.get("supplier")
    if present(supplier):
        known = context.suppliers.get(supplier) or {"code": SUPPLIER_PREFIX + supplier, "name": supplier,
                                                    "type": "supplier"}
        builder.link(Link("Event", "FROM_SUPPLIER", "Institution"), event, add_institution(builder, known))


def columns(label: str, row: Mapping) -> dict:
    """The label's properties read from the columns the schema names for them."""
    return {name: row.get(column) for name, column in _columns_of(label)}


@cache
def _columns_of(label: str) -> tuple[tuple[str, str], ...]:
    return tuple((p.name, p.column) for p in schema().label(label).properties if p.column)


def add_code(builder: ElementsBuilder, label: str, code: str, props: Mapping, context: Context) -> str:
    """A Code or Pack node and, through the three-code mapping, the product its prefix belongs to."""
    builder.node(label, code, props)
    product = context.product_of_prefix.get(props.get("product_id") or "")
    if product:
        builder.node("Product", product, {"name": context.product_names.get(product)})
        builder.link(Link(label, "OF_PRODUCT", "Product"), code, product)
    return code


def add_institution(builder: ElementsBuilder, props: Mapping) -> str:
    """An Institution node (``props`` as the schema names them), its region and the regions above."""
    key = builder.node("Institution", props["code"], props)
    chain = region_chain(props.get("region"))
    if chain:
        builder.link(Link("Institution", "IN_REGION", "Region"), key, chain[0])
    for region in chain:
        builder.node("Region", region, {"level": REGION_LEVELS[len(region)]})
    for child, parent in zip(chain, chain[1:], strict=False):
        builder.link(Link("Region", "PART_OF", "Region"), child, parent)
    return key


def region_chain(code: str | None) -> list[str]:
    """A GB/T 2260 code and the codes above it, as the graph keys them (a malformed code: none).

    >>> region_chain("500116"), region_chain("5001"), region_chain("5001x6"), region_chain(None)
    (['500116', '5001', '50'], ['5001', '50'], [], [])
    """
    if not isinstance(code, str) or len(code) not in REGION_LEVELS or not code.isascii() or not code.isdigit():
        return []
    return [code[:n] for n in sorted(REGION_LEVELS, reverse=True) if n <= len(code)]


def pack_elements(relations: pa.Table | Iterable[dict], context: Context) -> Elements:
    """Pack relations (``parent_code``, ``child_code``) → ``(Pack)-[:CONTAINS]->(Code|Pack)``."""
    builder = ElementsBuilder()
    rows = relations.to_pylist() if isinstance(relations, pa.Table) else relations
    for row in rows:
        parent, child = parse_trace_code(row.get("parent_code")), parse_trace_code(row.get("child_code"))
        if not parent.code or not child.code:
            continue
        for code in (parent, child):
            add_code(builder, context.code_label(code.code), code.code,
                     {"scheme": code.scheme, "product_id": code.product_id}, context)
        builder.link(Link("Pack", "CONTAINS", context.code_label(child.code)), parent.code, child.code)
    return builder.elements()


def pack_parents(relations: pa.Table | Iterable[dict]) -> frozenset[str]:
    """The aggregate codes: every parent in the pack relations, canonical.

    >>> sorted(pack_parents([{"parent_code": " 80000000000000000001", "child_code": "81234560000000000012"}]))
    ['80000000000000000001']
    """
    rows = relations.to_pylist() if isinstance(relations, pa.Table) else relations
    return frozenset(code for code in (parse_trace_code(row.get("parent_code")).code for row in rows) if code)


def lead_elements(leads: pa.Table | Iterable[dict], context: Context) -> Elements:
    """Leads (contract §3) → Lead nodes and ``FLAGS`` to the code, institutions, product and persons
    each names, with the ``role`` each plays (``code``, ``main``, ``involved``, ``product``, ``patient``)."""
    builder = ElementsBuilder()
    rows = leads.to_pylist() if isinstance(leads, pa.Table) else leads
    for row in rows:
        lead = builder.node("Lead", row["lead_id"], columns("Lead", row))
        for label, key, role in flagged(row, context):
            builder.link(Link("Lead", "FLAGS", label), lead, builder.node(label, key), role=role)
    return builder.elements()


def flagged(lead: Mapping, context: Context) -> list[tuple[str, str, str]]:
    """``(label, key, role)`` of every entity a lead names; the main institution is not also involved."""
    found = []
    if present(lead.get("trace_code")):
        found.append((context.code_label(lead["trace_code"]), lead["trace_code"], "code"))
    main = lead.get("institution_code")
    involved = [code for code in (lead.get("institutions") or "").split("|") if present(code) and code != main]
    found += [("Institution", code, "involved") for code in dict.fromkeys(involved)]
    if present(main):
        found.append(("Institution", main, "main"))
    if present(lead.get("med_list_codg")):
        found.append(("Product", lead["med_list_codg"], "product"))
    details = json.loads(lead.get("details") or "{}")
    persons = [details.get(name) for name in LEAD_PERSONS] if isinstance(details, dict) else []
    found += [("Patient", person, "patient") for person in persons if isinstance(person, str) and person]
    return found

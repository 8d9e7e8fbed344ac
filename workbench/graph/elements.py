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
[{'pseudonym': 'PSN-d589210a8138d289045c69d2e8498bfb'}]
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
    """The elements of canonical events (an Arrow table or batch, or rows as dicts), built column by
    column: each event, and the code, institution, person, product and supplier it names. Repeats merge
    as ``ElementsBuilder`` merges them (in row order, later non-missing values win)."""
    cols = _column_lists(events)
    nodes, links = _NodeRows(), _LinkRows()
    ids = cols["event_id"]
    nodes.add("Event", ids, {name: cols[column] for name, column in _columns_of("Event")})
    _add_codes(nodes, links, cols, context)
    _add_institutions(nodes, links, cols, context)
    psn = cols["psn_no"]
    persons = {value: pseudonym(value, context.key) for value in set(_keys(psn)) if value is not None}
    links.add(Link("Event", "TO_PATIENT", "Patient"), ids, nodes.add("Patient", [persons.get(p) for p in psn]))
    products = _keys(cols["med_list_codg"])
    names = [context.product_names.get(p) or name for p, name in zip(products, cols["product_name"], strict=True)]
    links.add(Link("Event", "OF_PRODUCT", "Product"), ids, nodes.add("Product", products, {"name": names}))
    return Elements(nodes.rows(), links.rows())


#: Event columns the builders read besides those the schema names.
BUILDER_EVENT_COLUMNS = ("event_id", "trace_code", "institution_code", "psn_no", "med_list_codg", "product_name",
                         "supplier", "code_product_id", "region_code")


def event_columns() -> list[str]:
    """Every event column ``event_elements`` reads."""
    named = [p.column for label in ("Event", "Code", "Institution", "Product") for p in schema().label(label).properties]
    return list(dict.fromkeys([*BUILDER_EVENT_COLUMNS, *named]))


def _column_lists(events: pa.Table | pa.RecordBatch | Iterable[dict]) -> dict[str, list]:
    """The columns the builder reads, as Python lists (an absent column: all ``None``)."""
    if isinstance(events, pa.Table | pa.RecordBatch):
        names, n = set(events.schema.names), events.num_rows
        return {c: events.column(c).to_pylist() if c in names else [None] * n for c in event_columns()}
    rows = list(events)
    return {c: [row.get(c) for row in rows] for c in event_columns()}


def _keys(values: list) -> list:
    """Key column values, ``None`` where missing (``present``, inlined: this runs on every row)."""
    return [v if v is not None and v == v and v != "" else None for v in values]


class _NodeRows:
    """Node rows per label, merged by key: values are added column by column, in row order."""

    def __init__(self) -> None:
        self._rows: dict[str, dict[object, dict]] = {}

    def add(self, label: str, keys: list, props: Mapping[str, list] | None = None) -> list:
        """Add the nodes ``keys`` (``None``: no node in that row) with ``props`` columns; return the keys."""
        declared = schema().label(label)
        rows = self._rows.setdefault(label, {})
        keys = _keys(keys)
        targets = [None if key is None else rows.get(key) or rows.setdefault(key, {declared.key: key}) for key in keys]
        for name, values in (props or {}).items():
            if name == declared.key:
                continue
            if declared.property(name) is not None and declared.property(name).type == "float":
                values = [float(v) if type(v) is int else v for v in values]
            for row, value in zip(targets, values, strict=True):
                if row is not None and value is not None and value == value and value != "":  # present()
                    row[name] = value
        return keys

    def rows(self) -> dict[str, list[dict]]:
        return {label: list(rows.values()) for label, rows in self._rows.items() if rows}


class _LinkRows:
    """Relationship rows per link, each (start, end) once."""

    def __init__(self) -> None:
        self._rows: dict[Link, dict[tuple, dict]] = {}

    def add(self, link: Link, starts: list, ends: list) -> None:
        rows = self._rows.setdefault(link, {})
        for start, end in zip(starts, ends, strict=True):
            if start is not None and end is not None and (start, end) not in rows:
                rows[(start, end)] = {"start": start, "end": end}

    def rows(self) -> dict[Link, list[dict]]:
        return {link: list(rows.values()) for link, rows in self._rows.items() if rows}


def _add_codes(nodes: _NodeRows, links: _LinkRows, cols: dict[str, list], context: Context) -> None:
    """Code and Pack nodes, and the products their prefixes belong to (three-code mapping)."""
    codes = _keys(cols["trace_code"])
    props = {name: cols[column] for name, column in _columns_of("Code")}
    label_of = [context.code_label(code) if code is not None else None for code in codes]
    for label in ("Code", "Pack"):
        keys = [code if of == label else None for code, of in zip(codes, label_of, strict=True)]
        links.add(Link("Event", "OF_CODE", label), cols["event_id"], nodes.add(label, keys, props))
        products = [context.product_of_prefix.get(prefix or "") or None if key is not None else None
                    for key, prefix in zip(keys, cols["code_product_id"], strict=True)]
        names = [context.product_names.get(product) if product else None for product in products]
        links.add(Link(label, "OF_PRODUCT", "Product"), keys, nodes.add("Product", products, {"name": names}))


def _add_institutions(nodes: _NodeRows, links: _LinkRows, cols: dict[str, list], context: Context) -> None:
    """Where each event happened and who supplied it, merged in row order (the institution, then the
    supplier), with their regions."""
    at = {name: cols[column] for name, column in _columns_of("Institution")}
    suppliers = [_supplier(name, context) for name in cols["supplier"]]
    props = {name: _interleave(at[name], [s.get(name) for s in suppliers]) for name in at}
    keys = nodes.add("Institution", props["code"], props)
    ids = cols["event_id"]
    links.add(Link("Event", "AT", "Institution"), ids, keys[0::2])
    links.add(Link("Event", "FROM_SUPPLIER", "Institution"), ids, keys[1::2])
    homes = dict.fromkeys((key, region) for key, region in zip(keys, props["region"], strict=True) if key is not None)
    chains = [(key, chain) for key, chain in ((key, region_chain(region)) for key, region in homes) if chain]
    links.add(Link("Institution", "IN_REGION", "Region"), [key for key, _ in chains], [chain[0] for _, chain in chains])
    regions = list(dict.fromkeys(code for _, chain in chains for code in chain))
    nodes.add("Region", regions, {"level": [REGION_LEVELS[len(code)] for code in regions]})
    steps = dict.fromkeys(step for _, chain in chains for step in zip(chain, chain[1:], strict=False))
    links.add(Link("Region", "PART_OF", "Region"), [child for child, _ in steps], [parent for _, parent in steps])


def _supplier(name: object, context: Context) -> Mapping:
    if not present(name):
        return {}
    return context.suppliers.get(name) or {"code": SUPPLIER_PREFIX + name, "name": name, "type": "supplier"}


def _interleave(first: list, second: list) -> list:
    """``[first[0], second[0], first[1], second[1], ...]``."""
    return [value for pair in zip(first, second, strict=True) for value in pair]


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


def community_elements(rows: Iterable[Mapping], members: Mapping[str, Iterable[tuple]]) -> Elements:
    """Communities (contract §6 rows) → Community nodes and ``MEMBER_OF`` from each member, given as
    ``members[community_id]``: ``(label, key, role)``. The members are not written here: they are the
    graph's institutions and persons already (a store refuses a relationship to a node it does not hold).

    >>> from datetime import datetime
    >>> row = {"community_id": "RING-1", "kind": "reflux_ring", "rank": 1, "amount": 90, "persons": "",
    ...        "first_time": datetime(2025, 6, 1)}
    >>> elements = community_elements([row], {"RING-1": [("Institution", "H1", "source")]})
    >>> elements.nodes["Community"]
    [{'community_id': 'RING-1', 'kind': 'reflux_ring', 'rank': 1, 'amount': 90.0, 'first_time': datetime.datetime(2025, 6, 1, 0, 0)}]
    >>> elements.relationships[Link("Institution", "MEMBER_OF", "Community")], "Institution" in elements.nodes
    ([{'start': 'H1', 'end': 'RING-1', 'role': 'source'}], False)
    """
    builder = ElementsBuilder()
    for row in rows:
        community = builder.node("Community", row["community_id"], columns("Community", row))
        for label, key, role in members.get(row["community_id"], ()):
            builder.link(Link(label, "MEMBER_OF", "Community"), key, community, role=role)
    return builder.elements()

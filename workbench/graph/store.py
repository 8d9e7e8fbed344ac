"""The ``GraphStore`` protocol: what every graph store answers, and the shapes of its answers.

Answers are plain Python data, so two stores can be compared for equality: lists of dicts whose times are
ISO strings (``2025-06-01T09:00:00``), node ids ``"Label:key"``, and networkx graphs built by the helpers
below from rows every store can produce. A store fetches rows its own way and hands them to these helpers;
it never shapes an answer itself.

>>> node_id("Institution", "P50011600012")
'Institution:P50011600012'
>>> entity("Code:}) DETACH DELETE n //")
('Code', '}) DETACH DELETE n //')
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Protocol

import networkx as nx

from loaders.errors import BadInput
from workbench.graph.elements import Elements
from workbench.graph.schema import schema

#: An entity as queries name it: ``(label, key)``.
Entity = tuple[str, str]
#: ``code_history`` rows, in this order.
HISTORY_FIELDS = ("event_id", "event_type", "event_time", "institution", "institution_type", "patient", "product",
                  "quantity", "split_flag", "amount")
#: ``reflux_chains`` rows, in this order.
CHAIN_FIELDS = ("code", "first_seller", "first_seller_type", "patient", "first_event", "first_time", "reseller",
                "reseller_type", "resale_event", "resale_time", "span_days")
#: ``flow_events`` rows, in this order: what graph analytics reduce (``workbench.analytics``).
FLOW_EVENT_FIELDS = ("trace_code", "event_id", "event_type", "event_time", "institution_code", "institution_type",
                     "region_code", "person", "med_list_codg", "amount")
#: The event types ``flow_events`` returns, and the code schemes it looks at (valid codes only).
FLOW_EVENT_TYPES = ("sale", "sale_return", "transfer_in", "transfer_out")
CODED_SCHEMES = ("nmpa20", "gs1")
#: Institution types that dispense to patients (the start of a reflux chain).
DISPENSERS = ("hospital", "clinic")
#: Nodes that stand on their own: every other node stays only while something points to it (or, a pack,
#: while it contains something); ``remove`` takes away the ones it leaves unreferenced. A community goes
#: only when the analysis no longer finds it (``workbench.graph.communities``), a case only when the
#: workspace's case store no longer has it (``workbench.graph.cases``).
STANDALONE = ("Event", "Lead", "Community", "Case")
#: Relationships that do not keep their end in the graph: a case holds only what the load put there, so a
#: code whose events were all withdrawn goes even when a case holds it, as a clean load would leave it out.
WEAK = ("HOLDS",)


class GraphStore(Protocol):
    """A graph store. ``MemoryStore`` (networkx) is the reference; every store gives equal answers.

    Semantics every store keeps:

    * ``write`` merges: a node by its label and key, a relationship by (start, type, end); properties in
      a row overwrite, properties absent from it stay. Writing the same elements twice changes nothing.
    * Times compare as local date-times; windows (``since``, ``until``) include both ends.
    * Relationships are walked in either direction by ``neighbourhood`` and ``paths``.
    """

    def write(self, elements: Elements) -> None:
        """Load one batch of elements; rows that break the schema raise ``SchemaError``."""

    def counts(self) -> dict[str, int]:
        """Nodes per label and relationships per type, every declared one (0 when absent)."""

    def clear(self) -> None:
        """Remove every node and relationship."""

    def keys(self, label: str) -> set[str]:
        """The keys of every stored node of ``label``."""

    def absent(self, label: str, keys: Iterable[str]) -> set[str]:
        """The keys among ``keys`` of which no node of ``label`` is stored."""

    def remove(self, label: str, keys: Iterable[str]) -> int:
        """Remove the nodes of ``label`` with these keys and their relationships, then every node this
        leaves unreferenced (not ``STANDALONE``, nothing but ``WEAK`` relationships points to it and it
        contains nothing: a code only removed events scanned, then its product, an institution's region…):
        the graph a clean load of what remains would give. How many of ``keys`` were stored."""

    def close(self) -> None:
        """Release what the store holds (connections)."""

    def code_history(self, code: str) -> list[dict]:
        """The code's events (``Code`` or ``Pack``) as ``HISTORY_FIELDS`` rows, by time then event id
        (events without a time last): institution code and type, patient pseudonym, settled product."""

    def neighbourhood(self, label: str, key: str, hops: int = 2, since: datetime | str | None = None,
                      until: datetime | str | None = None, labels: Iterable[str] | None = None) -> nx.MultiDiGraph:
        """The nodes within ``hops`` relationships of the entity, walking only through allowed nodes, and
        every relationship among them (``subgraph``). Allowed: the entity itself; any other node whose
        label is in ``labels`` (all when ``None``) and, if it is an Event, whose time is in the window
        (an Event without a time is outside any window). Empty when the entity is not in the store."""

    def reflux_chains(self, code: str | None = None, min_span_days: float = 7) -> list[dict]:
        """Time-respecting chains of one code (or every code): a sale at a hospital or clinic
        (``DISPENSERS``) to a patient (or none recorded), then a sale of the same code at another
        institution more than ``min_span_days`` later, with no return of the code to the dispensing
        institution and no transfer of it into the reseller in between (strictly between the two times).
        One ``CHAIN_FIELDS`` row per (dispensing, resale) pair, ordered by ``chain_order``."""

    def paths(self, a: Entity, b: Entity, max_hops: int = 6, time_respecting: bool = False,
              labels: Iterable[str] | None = None) -> list[list[str]]:
        """Paths between two entities as lists of node ids, of at most ``max_hops`` relationships,
        passing only through nodes whose label is in ``labels`` (all when ``None``; the ends always).
        Plain: every shortest path. Time-respecting: the shortest simple paths along which the Events
        met have non-decreasing times (from ``a`` to ``b``). Sorted, each path once; ``[]`` when none."""

    def leads_of(self, label: str, key: str) -> list[dict]:
        """Leads that flag the entity (``lead_row``: every Lead property and the ``role``), by score
        (highest first) then lead id."""

    def flow_events(self) -> list[dict]:
        """The flows graph analytics start from: every ``FLOW_EVENT_TYPES`` event at an institution, with a
        time, of every valid code (``CODED_SCHEMES``) sold two or more times, as ``FLOW_EVENT_FIELDS`` rows
        (institution code, type and region; the patient's pseudonym as ``person``; the settled product),
        ordered by ``flow_order``."""

    def dispensed_codes(self, kind: str, keys: Iterable[str]) -> dict[str, int]:
        """How many distinct valid codes were sold at hospitals and clinics (``DISPENSERS``) to each of these
        patients (``kind`` ``person``: pseudonyms) or by each of these institutions (``institution``);
        keys with none are left out."""



def node_id(label: str, key: str) -> str:
    """The id of a node in every graph an answer holds (labels are identifiers, so no ``:`` in them)."""
    return f"{label}:{key}"


def entity(node: str) -> Entity:
    label, key = node.split(":", 1)
    return label, key


def plain(value: object) -> object:
    """A property value as answers give it: times as ISO text (a Neo4j store converts its temporal
    values with ``to_native()`` first), NaN as ``None``.

    >>> plain(datetime(2025, 6, 1, 9, 0)), plain(float("nan")), plain(2.5)
    ('2025-06-01T09:00:00', None, 2.5)
    """
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def as_time(value: datetime | str | None) -> datetime | None:
    """A window end given as a datetime or ISO text.

    >>> as_time("2025-06-01"), as_time(None)
    (datetime.datetime(2025, 6, 1, 0, 0), None)
    """
    if value is None or isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise BadInput(f"无法识别的时间 {value!r} / not a time: {value!r}", hint="use ISO form, e.g. 2025-06-01 "
                       "or 2025-06-01T09:00:00") from None


def allowed_labels(labels: Iterable[str] | None) -> frozenset[str] | None:
    """Check query labels against the schema (``SchemaError`` for an undeclared one)."""
    return None if labels is None else frozenset(schema().label(name).name for name in labels)


def history_row(values: Mapping) -> dict:
    return {name: plain(values.get(name)) for name in HISTORY_FIELDS}


def chain_row(values: Mapping) -> dict:
    return {name: plain(values.get(name)) for name in CHAIN_FIELDS}


def chain_order(row: Mapping) -> tuple:
    return row["code"], row["first_time"] or "", row["resale_time"] or "", row["first_event"], row["resale_event"]


def flow_row(values: Mapping) -> dict:
    """A ``flow_events`` row: times stay datetimes (the analytics reduce them in columns)."""
    return {name: values.get(name) for name in FLOW_EVENT_FIELDS}


def flow_order(row: Mapping) -> tuple:
    return row["trace_code"], row["event_time"], row["event_id"]


def span_days(first: datetime, second: datetime) -> int:
    """Whole days from one time to a later one (as the reflux rule counts them).

    >>> span_days(datetime(2025, 6, 1, 10), datetime(2025, 6, 9, 9))
    7
    """
    return math.floor((second - first).total_seconds() / 86400)


def lead_row(props: Mapping, role: str | None) -> dict:
    """A ``leads_of`` row: every declared Lead property (``None`` when absent) and the role."""
    return {p.name: plain(props.get(p.name)) for p in schema().label("Lead").properties} | {"role": role}


def lead_order(row: Mapping) -> tuple:
    return -(row["score"] or 0.0), row["lead_id"]


def subgraph(nodes: Iterable[tuple[str, str, Mapping]],
             relationships: Iterable[tuple[str, str, str, Mapping]]) -> nx.MultiDiGraph:
    """An answer graph from ``(label, key, props)`` node rows and ``(start id, end id, type, props)``
    relationship rows: node attributes ``label``, ``key``, ``caption`` (the label's display property, else
    the key) and the properties; edges keyed by type with attribute ``type`` and the properties."""
    graph = nx.MultiDiGraph()
    for label, key, props in nodes:
        display = schema().label(label).display
        caption = props.get(display) if display else None
        graph.add_node(node_id(label, key), **{k: plain(v) for k, v in props.items()}, label=label, key=key,
                       caption=str(caption) if caption not in (None, "") else key)
    for start, end, type_, props in relationships:
        graph.add_edge(start, end, key=type_, **{k: plain(v) for k, v in props.items()}, type=type_)
    return graph


def sorted_paths(paths: Iterable[Iterable[str]]) -> list[list[str]]:
    return [list(path) for path in sorted({tuple(path) for path in paths})]


def count_table(nodes: Counter, relationships: Counter) -> dict[str, int]:
    """``counts()`` in schema order, zeros included."""
    declared = schema()
    return ({label.name: nodes.get(label.name, 0) for label in declared.labels}
            | {r.type: relationships.get(r.type, 0) for r in declared.relationships})

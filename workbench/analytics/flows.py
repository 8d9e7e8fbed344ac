"""Step one of the analytics (design rule 11): reduce the events to the flows behind repeated codes, in
columns. Two sources give the same table ``flow_events`` (``FLOW_EVENT_FIELDS``, the person already a
pseudonym): the workspace's canonical events (DuckDB over the Parquet files, so millions of events never
become Python objects) or a graph store (``GraphStore.flow_events``). From that table on, one code:
``reflux_routes`` (each refluxed box's way, step by step) and ``copy_sales`` (copies of one code sold in
several regions within days), both declared in ``analyses.yaml``.

>>> FLOW_SCHEMA.field("event_time").type
TimestampType(timestamp[us])
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from loaders.errors import BadInput
from loaders.recovery import settle
from loaders.workspace import Workspace
from workbench.analytics.declared import SQL, bound
from workbench.graph.store import FLOW_EVENT_FIELDS, GraphStore
from workbench.params import Value
from workbench.screens.privacy import pseudonym, workspace_key

_TYPES = {"event_time": pa.timestamp("us"), "amount": pa.float64()}
#: ``flow_events`` as a table: ``FLOW_EVENT_FIELDS``, text but for the time and the amount.
FLOW_SCHEMA = pa.schema([(name, _TYPES.get(name, pa.string())) for name in FLOW_EVENT_FIELDS])
MEMORY_LIMIT = os.environ.get("TCW_ANALYSE_MEMORY_LIMIT", "3GB")


@dataclass(frozen=True)
class Flows:
    """What the graph step reads: the refluxed boxes' routes, the copy sales, and for shares the codes
    dispensed to each route's person and by each route's dispensing institution."""

    routes: pa.Table
    copies: pa.Table
    dispensed_to: dict[str, int]
    dispensed_by: dict[str, int]
    flow_events: int

    @property
    def empty(self) -> bool:
        return self.routes.num_rows == 0 and self.copies.num_rows == 0


class WorkspaceFlows:
    """Flow events from a workspace's canonical events (persons pseudonymised with its key)."""

    def __init__(self, ws: Workspace) -> None:
        settle(ws)
        files = ws.event_files()
        if not files:
            raise BadInput("工作区没有事件 / the workspace has no events", path=str(ws.root),
                           hint="run tcw ingest first")
        self.key = workspace_key(ws.root)
        self.con = duckdb.connect(config={"memory_limit": MEMORY_LIMIT})
        self.con.read_parquet(files).create_view("events")
        self.raw: dict[str, str] = {}  # pseudonym → person number, for the persons the flows name

    def flow_events(self) -> pa.Table:
        table = self.con.sql(SQL["flow_events_from_events"]).to_arrow_table()
        persons = table.column("person").to_pylist()
        named = {raw: pseudonym(raw, self.key) for raw in set(persons) if raw is not None}
        self.raw = {value: raw for raw, value in named.items()}
        column = pa.array([named.get(raw) for raw in persons], pa.string())
        return table.set_column(table.schema.get_field_index("person"), "person", column).cast(FLOW_SCHEMA)

    def dispensed_codes(self, kind: str, keys: Iterable[str]) -> dict[str, int]:
        if kind == "person":
            wanted = pa.table({"person": [self.raw[key] for key in keys if key in self.raw]})
            sql, back = SQL["dispensed_to_persons"], lambda raw: pseudonym(raw, self.key)
        else:
            wanted, sql, back = pa.table({"institution": pa.array(list(keys), pa.string())}), \
                SQL["dispensed_by_institutions"], str
        self.con.register("wanted", wanted)
        rows = self.con.sql(sql).fetchall()
        self.con.unregister("wanted")
        return {back(key): int(codes) for key, codes in rows if key is not None}

    def close(self) -> None:
        self.con.close()


class StoreFlows:
    """Flow events from a graph store (the graph ``tcw graph`` wrote, or a ``MemoryStore``)."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store

    def flow_events(self) -> pa.Table:
        rows = self.store.flow_events()
        return pa.Table.from_pylist(rows, schema=FLOW_SCHEMA)

    def dispensed_codes(self, kind: str, keys: Iterable[str]) -> dict[str, int]:
        return self.store.dispensed_codes(kind, keys)

    def close(self) -> None:
        """The store stays open: its owner closes it."""


def reduce_flows(source: WorkspaceFlows | StoreFlows, params: Mapping[str, Value]) -> Flows:
    """The routes and copy sales of a source's flow events, with the shares' denominators."""
    events = source.flow_events()
    con = duckdb.connect(config={"memory_limit": MEMORY_LIMIT})
    try:
        con.register("flow_events", events)
        routes = _run(con, "reflux_routes", params)
        copies = _run(con, "copy_sales", params)
    finally:
        con.close()
    starts = routes.filter(pc.equal(routes.column("step"), 0))
    persons = sorted({p for p in starts.column("person").to_pylist() if p is not None})
    sources = sorted(set(starts.column("institution_code").to_pylist()))
    return Flows(routes, copies, source.dispensed_codes("person", persons) if persons else {},
                 source.dispensed_codes("institution", sources) if sources else {}, events.num_rows)


def _run(con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Value]) -> pa.Table:
    sql = SQL[name]
    return con.sql(sql, params=bound(sql, params)).to_arrow_table()

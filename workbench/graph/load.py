"""Load a workspace into a graph store: the pack relations, every canonical event (read from the
workspace's Parquet files in batches) and, when given, the leads, through the element builders.

>>> import tempfile
>>> from pathlib import Path
>>> from loaders.workspace import Workspace
>>> from workbench.graph.memory import MemoryStore
>>> load_workspace(MemoryStore(), Workspace(Path(tempfile.mkdtemp())))
{'events': 0, 'leads': 0, 'pack_relations': 0, 'removed_events': 0, 'removed_leads': 0}
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.parquet as pq

from loaders.workspace import Workspace
from workbench.graph.elements import (
    Context,
    event_columns,
    event_elements,
    lead_elements,
    pack_elements,
    pack_parents,
)
from workbench.graph.store import GraphStore
from workbench.screens.privacy import workspace_key
from workbench.screens.reference import reference_tables

BATCH_SIZE = 20_000
@dataclass(frozen=True)
class Progress:
    """Where a load is: ``done`` of ``total`` events written."""

    done: int
    total: int


def load_workspace(store: GraphStore, ws: Workspace, leads: pa.Table | None = None, batch_size: int = BATCH_SIZE,
                   progress: Callable[[Progress], None] | None = None) -> dict[str, int]:
    """Write the workspace's pack relations, events and ``leads`` (optional) into ``store``; return what
    was read and what was removed (``retain_current``). ``progress`` is called after every batch. Loading
    again changes nothing."""
    context = graph_context(ws)
    relations = _reference(ws, "pack_relations")
    if relations is not None:
        store.write(pack_elements(relations, context))
    files = [pq.ParquetFile(path) for path in ws.event_files()]
    total, done = sum(f.metadata.num_rows for f in files), 0
    for events in files:
        names = [name for name in event_columns() if name in events.schema_arrow.names]
        for batch in events.iter_batches(batch_size=batch_size, columns=names):
            store.write(event_elements(batch, context))
            done += batch.num_rows
            if progress:
                progress(Progress(done, total))
    if leads is not None:
        for start in range(0, leads.num_rows, batch_size):
            store.write(lead_elements(leads.slice(start, batch_size), context))
    return {"events": done, "leads": 0 if leads is None else leads.num_rows,
            "pack_relations": 0 if relations is None else relations.num_rows, **retain_current(store, ws, leads)}


def retain_current(store: GraphStore, ws: Workspace, leads: pa.Table | None) -> dict[str, int]:
    """Remove the stored events the workspace no longer holds (a 3507 delete withdrew their record) and,
    when ``leads`` are given, the stored leads the screens no longer find; how many of each."""
    kept = set()
    for path in ws.event_files():
        kept.update(pq.read_table(path, columns=["event_id"]).column("event_id").to_pylist())
    removed = {"removed_events": store.remove("Event", store.keys("Event") - kept), "removed_leads": 0}
    if leads is not None:
        removed["removed_leads"] = store.remove("Lead", store.keys("Lead") - set(leads.column("lead_id").to_pylist()))
    return removed


def graph_context(ws: Workspace) -> Context:
    """The workspace's pseudonym key and the reference data the builders need."""
    tables = reference_tables(ws)
    prefixes = tables["product_prefixes"].to_pylist()
    product_of_prefix: dict[str, str] = {}
    for row in prefixes:  # sorted by prefix, then product: the first product of a prefix wins
        product_of_prefix.setdefault(row["prefix"], row["med_list_codg"])
    names = {row["med_list_codg"]: row["name"] for row in tables["products"].to_pylist()
             if row["med_list_codg"] and row["name"]}
    suppliers = {row["name"]: {"code": row["code"], "name": row["name"], "type": row["type"], "region": row["region"],
                               "chain": row["chain"]}
                 for row in tables["institutions"].to_pylist() if row["type"] == "supplier" and row["name"] and row["code"]}
    relations = _reference(ws, "pack_relations")
    return Context(key=workspace_key(ws.root), packs=pack_parents(relations) if relations is not None else frozenset(),
                   product_of_prefix=product_of_prefix, product_names=names, suppliers=suppliers)


def _reference(ws: Workspace, kind: str) -> pa.Table | None:
    path = ws.root / "reference" / f"{kind}.parquet"
    return pq.read_table(path) if path.exists() else None


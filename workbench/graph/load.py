"""Load a workspace into a graph store: the pack relations, every canonical event (read from the
workspace's Parquet files in batches) and, when given, the leads, through the element builders.

>>> import tempfile
>>> from pathlib import Path
>>> from loaders.workspace import Workspace
>>> from workbench.graph.memory import MemoryStore
>>> load_workspace(MemoryStore(), Workspace(Path(tempfile.mkdtemp())))
{'events': 0, 'leads': 0, 'pack_relations': 0, 'removed_events': 0, 'removed_leads': 0, 'removed_patients': 0}
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from loaders.workspace import Workspace
from workbench.graph.elements import (
    Context,
    Elements,
    event_columns,
    event_elements,
    lead_elements,
    pack_elements,
    pack_parents,
)
from workbench.graph.schema import schema
from workbench.graph.store import GraphStore
from workbench.screens.privacy import workspace_key
from workbench.screens.reference import reference_tables

BATCH_SIZE = 20_000
#: Labels a load writes every current node of (from the events and leads): a stored node of these that
#: the load did not write is stale, e.g. a person under an older pseudonym form or another key.
REWRITTEN_LABELS = ("Patient",)


@dataclass(frozen=True)
class Progress:
    """Where a load is: ``done`` of ``total`` events written."""

    done: int
    total: int


@dataclass(frozen=True)
class SourceBatch:
    """A slice of what the graph is built from: ``kind`` is ``packs`` (the pack relations), ``events``
    (canonical events, only the columns the builders use) or ``leads``."""

    kind: str
    table: pa.Table | pa.RecordBatch

    def event_ids(self) -> list[str]:
        """The ids of the events it holds (none for packs and leads)."""
        return self.table.column("event_id").to_pylist() if self.kind == "events" else []


BUILDERS = {"packs": pack_elements, "events": event_elements, "leads": lead_elements}


def batch_elements(batch: SourceBatch, context: Context) -> Elements:
    """The elements of one source batch."""
    return BUILDERS[batch.kind](batch.table, context)


def workspace_batches(ws: Workspace, leads: pa.Table | None = None,
                      batch_size: int = BATCH_SIZE) -> Iterator[SourceBatch]:
    """The workspace's sources in write order, a batch at a time: the pack relations, the events (read
    from the Parquet files), then the ``leads``."""
    relations = _reference(ws, "pack_relations")
    if relations is not None:
        yield SourceBatch("packs", relations)
    for events in (pq.ParquetFile(path) for path in ws.event_files()):
        names = [name for name in event_columns() if name in events.schema_arrow.names]
        for batch in events.iter_batches(batch_size=batch_size, columns=names):
            yield SourceBatch("events", batch)
    for start in range(0, 0 if leads is None else leads.num_rows, batch_size):
        yield SourceBatch("leads", leads.slice(start, batch_size))


def workspace_elements(ws: Workspace, context: Context, leads: pa.Table | None = None,
                       batch_size: int = BATCH_SIZE) -> Iterator[tuple[Elements, list[str]]]:
    """The elements of ``workspace_batches``, with the ids of the events each batch holds."""
    for batch in workspace_batches(ws, leads, batch_size):
        yield batch_elements(batch, context), batch.event_ids()


def load_workspace(store: GraphStore, ws: Workspace, leads: pa.Table | None = None, batch_size: int = BATCH_SIZE,
                   progress: Callable[[Progress], None] | None = None) -> dict[str, int]:
    """Write the workspace's pack relations, events and ``leads`` (optional) into ``store``; return what
    was read and what was removed (``retain_current``). ``progress`` is called after every batch of
    events. Loading again changes nothing."""
    total, done, loaded = event_total(ws), 0, set()
    written: dict[str, set[str]] = {label: set() for label in REWRITTEN_LABELS}
    for elements, event_ids in workspace_elements(ws, graph_context(ws), leads, batch_size):
        store.write(elements)
        _note_written(written, elements)
        if event_ids:
            done += len(event_ids)
            loaded.update(event_ids)
            if progress:
                progress(Progress(done, total))
    relations = _reference_file(ws, "pack_relations")
    return {"events": done, "leads": 0 if leads is None else leads.num_rows,
            "pack_relations": pq.ParquetFile(relations).metadata.num_rows if relations.exists() else 0,
            **retain_current(store, loaded, leads, written)}


def _note_written(written: dict[str, set[str]], elements: Elements) -> None:
    """Add the keys of the batch's nodes of the labels ``written`` tracks."""
    for label, keys in written.items():
        key = schema().label(label).key
        keys.update(row[key] for row in elements.nodes.get(label, ()))


def event_total(ws: Workspace) -> int:
    """Events in the workspace (from the Parquet footers)."""
    return sum(pq.ParquetFile(path).metadata.num_rows for path in ws.event_files())


def retain_current(store: GraphStore, events: set[str], leads: pa.Table | None,
                   written: dict[str, set[str]] | None = None) -> dict[str, int]:
    """Remove the stored events not among ``events`` (the workspace's: a 3507 delete withdrew the others),
    when ``leads`` are given the stored leads the screens no longer find, and the stored nodes of each
    label in ``written`` that the load did not write (``REWRITTEN_LABELS``); how many of each."""
    removed = {"removed_events": store.remove("Event", store.keys("Event") - events), "removed_leads": 0}
    if leads is not None:
        removed["removed_leads"] = store.remove("Lead", store.keys("Lead") - set(leads.column("lead_id").to_pylist()))
    for label, keys in (written or {}).items():
        removed[f"removed_{label.lower()}s"] = store.remove(label, store.keys(label) - keys)
    return removed


def graph_context(ws: Workspace) -> Context:
    """The workspace's pseudonym key and the reference data the builders need (the pack relations'
    parents are the aggregate codes)."""
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


def _reference_file(ws: Workspace, kind: str) -> Path:
    """Where a reference table is (``Workspace.reference_path`` would create the folder)."""
    return ws.root / "reference" / f"{kind}.parquet"


def _reference(ws: Workspace, kind: str) -> pa.Table | None:
    path = _reference_file(ws, kind)
    return pq.read_table(path) if path.exists() else None


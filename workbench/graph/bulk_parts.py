"""The bulk path's parallel half: each source batch turned into its elements (the builders every store
uses) and the events among them into import text, in worker processes, handed back in order.

An event's relationships name their start by its position in the batch (the events are numbered only
when the batch is written) and their far end by key (dimensions are numbered when first seen, in order).

>>> from workbench.graph.elements import Context
>>> from workbench.graph.load import SourceBatch
>>> events = pa.table({"event_id": ["3505|P1|B1#1"], "event_type": ["sale"], "trace_code": ["81234560000000000012"],
...                    "institution_code": ["P50011600012"]})
>>> part = import_part(SourceBatch("events", events), Context(key=b"k" * 32))
>>> part.facts["Event"].keys, part.facts["Event"].columns[1].to_pylist()
(['3505|P1|B1#1'], ['sale'])
>>> link = part.links[Link("Event", "OF_CODE", "Code")]
>>> link.starts.to_pylist(), link.ends
([0], ['81234560000000000012'])
>>> sorted(part.dimensions.nodes)
['Code', 'Institution']
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context

import pyarrow as pa

from loaders.pool import watch_parent
from workbench.graph.elements import Context, Elements
from workbench.graph.import_csv import key_first, property_columns
from workbench.graph.load import SourceBatch, batch_elements
from workbench.graph.neo4j_write import FACT_LABELS
from workbench.graph.schema import Link, schema


@dataclass(frozen=True)
class FactPart:
    """A batch's facts of one label: their keys, and their key and properties as import text."""

    keys: list[str]
    columns: list[pa.Array]


@dataclass(frozen=True)
class LinkPart:
    """A batch's relationships of one link from a fact: start positions, far-end keys, properties."""

    starts: pa.Array
    ends: list[str]
    properties: list[pa.Array]


@dataclass(frozen=True)
class ImportPart:
    """One source batch ready for the import files; ``dimensions``: every other node and relationship."""

    facts: dict[str, FactPart]
    links: dict[Link, LinkPart]
    dimensions: Elements


def link_properties(link: Link, rows: list[dict]) -> list[pa.Array]:
    return property_columns(schema().relationship(link.type).properties, rows)


def import_part(batch: SourceBatch, context: Context) -> ImportPart:
    """The batch's elements, its facts as import text."""
    elements = batch_elements(batch, context)
    facts, positions = {}, {}
    for label in FACT_LABELS & elements.nodes.keys():
        rows, declared = elements.nodes[label], schema().label(label)
        keys = [row[declared.key] for row in rows]
        facts[label] = FactPart(keys, property_columns(key_first(declared), rows))
        positions[label] = {key: position for position, key in enumerate(keys)}
    links = {link: LinkPart(pa.array([positions[link.start][row["start"]] for row in rows], type=pa.int64()),
                            [row["end"] for row in rows], link_properties(link, rows))
             for link, rows in elements.relationships.items() if link.start in FACT_LABELS}
    dimensions = Elements({label: rows for label, rows in elements.nodes.items() if label not in FACT_LABELS},
                          {link: rows for link, rows in elements.relationships.items() if link.start not in FACT_LABELS})
    return ImportPart(facts, links, dimensions)


#: The context of a worker process, given once when it starts.
_WORKER_CONTEXT: list[Context] = []


def _start_worker(context: Context, parent: int) -> None:
    watch_parent(parent)
    _WORKER_CONTEXT.append(context)


def _worker_part(batch: SourceBatch) -> ImportPart:
    return import_part(batch, _WORKER_CONTEXT[0])


def import_parts(batches: Iterable[SourceBatch], context: Context, workers: int = 1) -> Iterator[ImportPart]:
    """``import_part`` of every batch, in order: here when ``workers`` is 1, else in that many worker
    processes, at most two batches a worker in flight (memory stays bounded)."""
    if workers <= 1:
        yield from (import_part(batch, context) for batch in batches)
        return
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_start_worker,
                             initargs=(context, os.getpid())) as pool:
        pending = deque()
        for batch in batches:
            pending.append(pool.submit(_worker_part, batch))
            if len(pending) > 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()

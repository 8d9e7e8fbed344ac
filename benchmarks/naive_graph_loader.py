"""The baseline the graph writer is measured against: the first ``--events`` events of a workspace written
the naive way, one event per transaction, every node and relationship its own ``MERGE`` with map
parameters (same elements, same graph as ``tcw graph`` without the leads).

    python benchmarks/naive_graph_loader.py WORKSPACE --uri bolt://127.0.0.1:7688 [--events 20000]

Login from ``NEO4J_USER`` / ``NEO4J_PASSWORD``. Prints ``events seconds events/s``.
"""

from __future__ import annotations

import argparse
import itertools
import os
import time
from pathlib import Path

import pyarrow.parquet as pq
from neo4j import GraphDatabase

from loaders.workspace import Workspace
from workbench.graph.elements import Elements, event_columns, event_elements
from workbench.graph.load import graph_context
from workbench.graph.neo4j_write import identifier
from workbench.graph.schema import neo4j_constraints, schema


def write_one(tx, elements: Elements) -> None:
    """One event's elements: a ``MERGE`` per node and per relationship."""
    for label, rows in elements.nodes.items():
        key = identifier(schema().label(label).key)
        for row in rows:
            tx.run(f"MERGE (n:{identifier(label)} {{{key}: $key}}) SET n += $props", key=row[key], props=row).consume()
    for link, rows in elements.relationships.items():
        start, end = schema().label(link.start), schema().label(link.end)
        query = (f"MATCH (a:{identifier(start.name)} {{{identifier(start.key)}: $start}}) "
                 f"MATCH (b:{identifier(end.name)} {{{identifier(end.key)}: $end}}) "
                 f"MERGE (a)-[r:{identifier(link.type)}]->(b) SET r += $props")
        for row in rows:
            props = {name: value for name, value in row.items() if name not in ("start", "end")}
            tx.run(query, start=row["start"], end=row["end"], props=props).consume()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--uri", required=True)
    parser.add_argument("--events", type=int, default=20_000)
    args = parser.parse_args()
    ws = Workspace(args.workspace)
    context = graph_context(ws)
    files = [pq.ParquetFile(path) for path in ws.event_files()]
    columns = [name for name in event_columns() if name in files[0].schema_arrow.names]
    batches = itertools.chain.from_iterable(f.iter_batches(batch_size=1000, columns=columns) for f in files)
    rows = list(itertools.islice((row for batch in batches for row in batch.to_pylist()), args.events))
    auth = (os.environ.get("NEO4J_USER", "neo4j"), os.environ["NEO4J_PASSWORD"])
    with GraphDatabase.driver(args.uri, auth=auth, notifications_min_severity="OFF") as driver:
        for statement in neo4j_constraints():
            driver.execute_query(statement)
        began = time.perf_counter()
        with driver.session() as session:
            for row in rows:
                session.execute_write(write_one, event_elements([row], context))
        seconds = time.perf_counter() - began
    print(f"{len(rows)} {seconds:.2f} {len(rows) / seconds:.1f}")


if __name__ == "__main__":
    main()

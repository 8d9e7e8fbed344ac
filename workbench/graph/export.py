"""A subgraph out of the workbench: GraphML (Gephi, yEd, Cytoscape, Neo4j's APOC) and two CSV files
(nodes, edges) for spreadsheets, each written atomically. Graphs here hold pseudonyms, never person
numbers or names (the stores and the analysis only know pseudonyms); CSV cells that a spreadsheet would run
as a formula are quoted.

>>> import tempfile, networkx as nx
>>> graph = nx.MultiDiGraph()
>>> graph.add_node("Institution:H1", label="Institution", key="H1", caption="=HYPERLINK()")
>>> graph.add_node("Patient:PSN-1", label="Patient", key="PSN-1")
>>> _ = graph.add_edge("Institution:H1", "Patient:PSN-1", key="FLOW", codes=3, trace_codes=["C1", "C2"])
>>> files = export_subgraph(graph, Path(tempfile.mkdtemp()), "ring")
>>> sorted(path.name for path in files)
['ring-edges.csv', 'ring-nodes.csv', 'ring.graphml']
>>> "'=HYPERLINK()" in files[1].read_text(encoding="utf-8-sig")
True
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

import networkx as nx

from loaders.atomic import write_atomic
from workbench.screens.leads import spreadsheet_safe


def export_subgraph(graph: nx.Graph, folder: Path, stem: str) -> list[Path]:
    """``<stem>.graphml``, ``<stem>-nodes.csv`` and ``<stem>-edges.csv`` in ``folder``; the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    flat = _flat(graph)
    text = "\n".join(nx.generate_graphml(flat, encoding="utf-8", prettyprint=True))
    paths = [folder / f"{stem}.graphml", folder / f"{stem}-nodes.csv", folder / f"{stem}-edges.csv"]
    write_atomic(paths[0], text.encode("utf-8"))
    node_rows = [{"id": node, **data} for node, data in flat.nodes(data=True)]
    edge_rows = [{"source": start, "target": end, **data} for start, end, data in flat.edges(data=True)]
    write_atomic(paths[1], _csv(node_rows))
    write_atomic(paths[2], _csv(edge_rows))
    return paths


def _flat(graph: nx.Graph) -> nx.Graph:
    """A copy whose attribute values GraphML can hold: text, numbers, booleans (lists joined with ``|``,
    times as ISO text, dicts and None left out)."""
    flat = graph.__class__()
    for node, data in graph.nodes(data=True):
        flat.add_node(node, **_plain(data))
    if graph.is_multigraph():
        for start, end, key, data in graph.edges(keys=True, data=True):
            flat.add_edge(start, end, key=key, **_plain({"type": key, **data}))
    else:
        for start, end, data in graph.edges(data=True):
            flat.add_edge(start, end, **_plain(data))
    return flat


def _plain(data: dict) -> dict:
    plain = {}
    for name, value in data.items():
        if isinstance(value, list | tuple | set):
            value = "|".join(str(v) for v in (sorted(value) if isinstance(value, set) else value))
        elif isinstance(value, datetime):
            value = value.isoformat(sep=" ")
        if isinstance(value, str | int | float | bool):
            plain[name] = value
    return plain


def _csv(rows: list[dict]) -> bytes:
    """UTF-8 with BOM, every column any row has, formula-like text quoted with ``'``."""
    columns = list(dict.fromkeys(name for row in rows for name in row))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: spreadsheet_safe(v) for k, v in row.items()})
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")

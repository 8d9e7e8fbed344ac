"""A case package's graph files: ``<stem>.graphml`` (Gephi, yEd, Cytoscape), ``<stem>.gexf`` (Gephi, with the
events on its timeline), ``nodes.csv`` and ``edges.csv`` (UTF-8 with BOM for Excel, formula-like cells
quoted with ``'``), each written atomically from one flat copy of the graph (``workbench.graph.export``):
Chinese text kept, times as ISO text, characters XML cannot hold replaced.

>>> import tempfile, networkx as nx
>>> graph = nx.MultiDiGraph(case_id="CASE-1")
>>> graph.add_node("Institution:H1", type="Institution", key="H1", label="=医院", in_case=True)
>>> graph.add_node("Code:C1", type="Code", key="C1", label="C1", in_case=False)
>>> _ = graph.add_edge("Institution:H1", "Code:C1", key="e1", type="sale", time="2025-06-01T09:30:00", count=1)
>>> paths = write_graph_files(graph, Path(tempfile.mkdtemp()))
>>> [path.name for path in paths]
['case.graphml', 'case.gexf', 'nodes.csv', 'edges.csv']
>>> nx.read_gexf(paths[1]).nodes["Institution:H1"]["label"], paths[2].read_text(encoding="utf-8-sig").split()[1]
('=医院', "Institution:H1,Institution,H1,'=医院,True")
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx

from loaders.atomic import write_atomic
from workbench.graph.export import csv_bytes, flat_graph, gexf_bytes, graphml_bytes

#: The first columns of the CSV files (the attributes follow).
NODE_COLUMNS = ("id", "type", "key", "label")
EDGE_COLUMNS = ("source", "target", "key", "type")


def write_graph_files(graph: nx.MultiDiGraph, folder: Path, stem: str = "case") -> list[Path]:
    """Write the four files into ``folder`` (made when missing); their paths, in the order above."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    flat = flat_graph(graph)
    paths = [folder / f"{stem}.graphml", folder / f"{stem}.gexf", folder / "nodes.csv", folder / "edges.csv"]
    write_atomic(paths[0], graphml_bytes(flat))
    write_atomic(paths[1], gexf_bytes(flat))
    write_atomic(paths[2], csv_bytes(node_rows(flat)))
    write_atomic(paths[3], csv_bytes(edge_rows(flat)))
    return paths


def node_rows(flat: nx.MultiDiGraph) -> list[dict]:
    """One row per node: ``NODE_COLUMNS`` first, then every attribute."""
    rows = [{"id": node, **data} for node, data in flat.nodes(data=True)]
    return [{**dict.fromkeys(NODE_COLUMNS, ""), **row} for row in rows]


def edge_rows(flat: nx.MultiDiGraph) -> list[dict]:
    """One row per edge: ``EDGE_COLUMNS`` first (``key``: the event id of an event's edge), then every
    attribute."""
    rows = [{"source": start, "target": end, "key": key, **data}
            for start, end, key, data in flat.edges(keys=True, data=True)]
    return [{**dict.fromkeys(EDGE_COLUMNS, ""), **row} for row in rows]

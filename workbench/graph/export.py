"""A subgraph out of the workbench: GraphML (Gephi, yEd, Cytoscape, Neo4j's APOC), GEXF (Gephi, with its
timeline) and two CSV files (nodes, edges) for spreadsheets, each written atomically. Graphs here hold
pseudonyms, never person numbers or names (the stores and the analysis only know pseudonyms); CSV cells
that a spreadsheet would run as a formula are quoted.

Every writer gets the same flat copy (``flat_graph``): values GraphML and GEXF can hold (text, numbers,
booleans; times as ISO text, lists joined with ``|``), one type per attribute name, and no character XML 1.0
cannot hold (replaced by ``\\ufffd``).

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
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

import networkx as nx

from loaders.atomic import write_atomic
from workbench.screens.leads import spreadsheet_safe

#: Characters XML 1.0 cannot hold (controls but tab, LF and CR; surrogates; U+FFFE, U+FFFF).
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: Attribute names GEXF (or networkx's GEXF writer) gives a meaning of its own, on nodes and on edges;
#: a graph's attributes of these names are written with a trailing ``_``.
GEXF_NODE_RESERVED = frozenset({"id", "pid", "start", "end", "viz", "parents", "spells", "slices", "key",
                                "networkx_key"})
GEXF_EDGE_RESERVED = frozenset({"id", "start", "end", "viz", "spells", "slices", "key", "networkx_key", "weight",
                                "type"})


def export_subgraph(graph: nx.Graph, folder: Path, stem: str) -> list[Path]:
    """``<stem>.graphml``, ``<stem>-nodes.csv`` and ``<stem>-edges.csv`` in ``folder``; the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    flat = flat_graph(graph)
    paths = [folder / f"{stem}.graphml", folder / f"{stem}-nodes.csv", folder / f"{stem}-edges.csv"]
    write_atomic(paths[0], graphml_bytes(flat))
    node_rows = [{"id": node, **data} for node, data in flat.nodes(data=True)]
    edge_rows = [{"source": start, "target": end, **data} for start, end, data in flat.edges(data=True)]
    write_atomic(paths[1], csv_bytes(node_rows))
    write_atomic(paths[2], csv_bytes(edge_rows))
    return paths


def xml_safe(text: str) -> str:
    """``text`` with every character XML 1.0 cannot hold replaced by ``\\ufffd``.

    >>> xml_safe("a\\x00b\\tc\\x1f")
    'a\\ufffdb\\tc\\ufffd'
    """
    return XML_ILLEGAL.sub("\ufffd", text)


def flat_graph(graph: nx.Graph) -> nx.Graph:
    """A copy whose ids and attribute values GraphML and GEXF can hold: text, numbers, booleans (lists
    joined with ``|``, times as ISO text, dicts and None left out; text XML-safe); an attribute holding
    integers and floats becomes float, one holding text and anything else becomes text (a reader declares
    one type per name). Edges of a multigraph keep their keys and carry ``type`` (the key when unset).

    >>> g = nx.MultiDiGraph(name="x")
    >>> g.add_node("a\\x01", n=1); g.add_node("b", n=2.5, when=datetime(2025, 6, 1, 9, 30))
    >>> flat = flat_graph(g)
    >>> dict(flat.nodes(data=True)), flat.graph
    ({'a\ufffd': {'n': 1.0}, 'b': {'n': 2.5, 'when': '2025-06-01T09:30:00'}}, {'name': 'x'})
    """
    flat = graph.__class__(**_plain(graph.graph))
    ids = {node: _plain_id(node) for node in graph}
    for node, data in graph.nodes(data=True):
        flat.add_node(ids[node], **_plain(data))
    if graph.is_multigraph():
        for start, end, key, data in graph.edges(keys=True, data=True):
            flat.add_edge(ids[start], ids[end], key=_plain_id(key), **_plain({"type": key, **data}))
    else:
        for start, end, data in graph.edges(data=True):
            flat.add_edge(ids[start], ids[end], **_plain(data))
    _uniform(data for _, data in flat.nodes(data=True))
    _uniform(data for *_, data in flat.edges(data=True))
    return flat


def graphml_bytes(flat: nx.Graph) -> bytes:
    """GraphML of a ``flat_graph`` (UTF-8)."""
    return "\n".join(nx.generate_graphml(flat, encoding="utf-8", prettyprint=True)).encode("utf-8")


def gexf_bytes(flat: nx.Graph) -> bytes:
    """GEXF 1.2 of a ``flat_graph`` (UTF-8), for Gephi: a node's ``label`` (else its id) is its GEXF label;
    an edge's ``type`` becomes its label (GEXF's own ``type`` means directed or not), its ``count`` its
    weight, and its ``time`` (else ``first_time``) its start, so the timeline plays the edges in time
    order (the graph is then dynamic, times as ISO text). Attributes of a name GEXF reserves keep their
    value under the name with a trailing ``_`` (an edge's ``type_``, a node's ``key_``). The graph's
    ``name`` and ``description`` go to the file's header.

    >>> g = nx.MultiDiGraph()
    >>> _ = g.add_edge("H1", "C1", key="e1", type="sale", time="2025-06-01T09:30:00", count=1)
    >>> text = gexf_bytes(flat_graph(g)).decode()
    >>> 'label="sale"' in text and 'start="2025-06-01T09:30:00"' in text and 'mode="dynamic"' in text
    True
    """
    ready = flat.__class__(**{k: v for k, v in flat.graph.items() if k == "name"})
    for node, data in flat.nodes(data=True):
        ready.add_node(node, **_unreserved(data, GEXF_NODE_RESERVED))
    keyed = flat.is_multigraph()
    for edge in flat.edges(keys=True, data=True) if keyed else flat.edges(data=True):
        data = edge[-1]
        extra = {"label": str(data["type"])} if "type" in data and "label" not in data else {}
        if isinstance(data.get("count"), int | float) and not isinstance(data.get("count"), bool):
            extra["weight"] = data["count"]
        moment = data.get("time") or data.get("first_time")
        if isinstance(moment, str) and moment:
            extra["start"] = moment
        plain = {**_unreserved(data, GEXF_EDGE_RESERVED), **extra}
        if keyed:
            ready.add_edge(edge[0], edge[1], key=edge[2], **plain)
        else:
            ready.add_edge(edge[0], edge[1], **plain)
    text = "\n".join(nx.generate_gexf(ready, encoding="utf-8", prettyprint=True))
    description = flat.graph.get("description")
    if description:
        text = text.replace("</creator>", f"</creator>\n    <description>{xml_escape(str(description))}</description>", 1)
    return text.encode("utf-8")


def csv_bytes(rows: list[dict]) -> bytes:
    """UTF-8 with BOM, every column any row has, formula-like text quoted with ``'``."""
    columns = list(dict.fromkeys(name for row in rows for name in row))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: spreadsheet_safe(v) for k, v in row.items()})
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def _plain(data: Mapping) -> dict:
    plain = {}
    for name, value in data.items():
        if isinstance(value, list | tuple | set):
            value = "|".join(str(v) for v in (sorted(value) if isinstance(value, set) else value))
        elif isinstance(value, datetime):
            value = value.isoformat(timespec="seconds")
        elif isinstance(value, date):
            value = value.isoformat()
        if isinstance(value, str):
            plain[xml_safe(str(name))] = xml_safe(value)
        elif isinstance(value, int | float | bool):
            plain[xml_safe(str(name))] = value
    return plain


def _plain_id(value: object) -> object:
    return xml_safe(value) if isinstance(value, str) else value


def _uniform(rows: Iterable[dict]) -> None:
    """Give each attribute name one type across ``rows`` (in place): ints with floats → float; text with
    anything else → text."""
    rows = list(rows)
    kinds: dict[str, set[type]] = {}
    for row in rows:
        for name, value in row.items():
            kinds.setdefault(name, set()).add(type(value))
    for name, found in kinds.items():
        if len(found) < 2:
            continue
        convert = float if found <= {int, float} else str
        for row in rows:
            if name in row:
                row[name] = convert(row[name])


def _unreserved(data: Mapping, reserved: frozenset[str]) -> dict:
    return {(f"{name}_" if name in reserved else name): value for name, value in data.items()}

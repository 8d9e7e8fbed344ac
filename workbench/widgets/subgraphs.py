"""The graphs the apps draw, asked of a ``GraphStore`` (the shape ``neighbourhood`` returns: node attributes
``label``, ``key``, ``caption``; edges keyed by type): a lead with its codes' histories, the union of paths,
the events two entities share.

>>> from workbench.graph.store import subgraph
>>> a = subgraph([("Code", "C1", {}), ("Event", "e1", {})], [("Event:e1", "Code:C1", "OF_CODE", {})])
>>> b = subgraph([("Event", "e1", {}), ("Institution", "P1", {})], [("Event:e1", "Institution:P1", "AT", {})])
>>> sorted(union([a, b]).edges(keys=True))
[('Event:e1', 'Code:C1', 'OF_CODE'), ('Event:e1', 'Institution:P1', 'AT')]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import networkx as nx

from workbench.graph.store import GraphStore, entity, node_id

#: Code labels (a lead's code may be an aggregate ``Pack``).
CODE_LABELS = ("Code", "Pack")
#: Labels whose nodes have few relationships, best first: the end a path's step is fetched from.
NARROW = ("Event", "Lead", "Code", "Pack", "Community", "Patient", "Region", "Product", "Institution")


def union(graphs: Iterable[nx.MultiDiGraph]) -> nx.MultiDiGraph:
    """Every node and relationship of the graphs, attributes merged."""
    merged = nx.MultiDiGraph()
    for graph in graphs:
        for node, data in graph.nodes(data=True):
            merged.add_node(node, **data)
        for start, end, key, data in graph.edges(keys=True, data=True):
            merged.add_edge(start, end, key=key, **data)
    return merged


def code_graph(store: GraphStore, code: str, label: str = "Code") -> nx.MultiDiGraph:
    """A code's history as a graph: the code, its product and the leads flagging it, its events, and each
    event's institution, person and settled product (not the product's other events)."""
    around = store.neighbourhood(label, code, hops=1)
    events = [data["key"] for _, data in around.nodes(data=True) if data.get("label") == "Event"]
    return union([around, *(store.neighbourhood("Event", event, hops=1) for event in events)])


def with_regions(store: GraphStore, graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """The graph and the region of each institution in it."""
    places = [data["key"] for _, data in graph.nodes(data=True) if data.get("label") == "Institution"]
    return union([graph, *(store.neighbourhood("Institution", place, hops=1, labels=["Region"]) for place in places)])


def lead_graph(store: GraphStore, lead: Mapping) -> nx.MultiDiGraph:
    """A lead, what it flags, and each flagged code's history (``code_graph``); a lead without a code but
    with an institution and a product (空刷) the institution's events of that product."""
    lead_node = store.neighbourhood("Lead", lead["lead_id"], hops=1)
    codes = [(data["label"], data["key"]) for _, data in lead_node.nodes(data=True) if data.get("label") in CODE_LABELS]
    parts = [lead_node, *(code_graph(store, key, label) for label, key in codes)]
    if not codes and lead.get("institution_code") and lead.get("med_list_codg"):
        parts.append(shared_events(store, ("Institution", lead["institution_code"]), ("Product", lead["med_list_codg"])))
    return union(parts)


def path_graph(store: GraphStore, paths: Iterable[list[str]]) -> nx.MultiDiGraph:
    """The union of paths (lists of node ids) with their nodes' attributes and the relationships between
    consecutive nodes, each step fetched from its narrower end (an event rather than its institution)."""
    steps = {tuple(sorted(pair)) for path in paths for pair in zip(path, path[1:], strict=False)}
    wanted = {node for step in steps for node in step}
    parts = []
    for a, b in sorted(steps):
        near, far = sorted((a, b), key=_narrowness)
        label, key = entity(near)
        around = store.neighbourhood(label, key, hops=1, labels=[entity(far)[0]])
        parts.append(around.subgraph([near, far]))
    graph = union(parts)
    return graph.subgraph(node for node in graph if node in wanted).copy()


def _narrowness(node: str) -> tuple[int, str]:
    label = entity(node)[0]
    return (NARROW.index(label) if label in NARROW else len(NARROW)), node


def shared_events(store: GraphStore, a: tuple[str, str], b: tuple[str, str]) -> nx.MultiDiGraph:
    """Two entities and the events tied to both (e.g. an institution's events of one product)."""
    first = store.neighbourhood(*a, hops=1, labels=["Event"])
    second = store.neighbourhood(*b, hops=1, labels=["Event"])
    both = {node for node in first if node in second} | {node_id(*a), node_id(*b)}
    return union([first, second]).subgraph(both).copy()



def institution_nodes(store: GraphStore, keys: Iterable[str]) -> dict[str, dict]:
    """What the graph holds of these institutions (name, type, region…), by code; those it lacks left out."""
    found = {}
    for key in sorted(set(keys)):
        around = store.neighbourhood("Institution", key, hops=0)
        if len(around):
            found[key] = dict(around.nodes[node_id("Institution", key)])
    return found

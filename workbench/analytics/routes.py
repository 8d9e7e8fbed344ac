"""Refluxed boxes' routes and the flow graph they make (hospital → person → reseller → onward).

A ``Route`` is one box: dispensed at a hospital or clinic to a person (or none recorded), then each other
institution it reached, in order (``Place``; ``via``: ``reflux`` for the first reappearance, ``transfer``
for a 3502 move, ``resale`` for a second sale elsewhere). ``flow_graph`` aggregates routes into a directed
graph whose edges carry the codes that took them.

>>> from datetime import datetime
>>> day = lambda d: datetime(2025, 6, d)
>>> route = Route("C1", "H1", "PSN-1", day(1), "X01", 10.0, (Place("P1", "pharmacy", "500116", day(20),
...               day(20), "reflux", 1, 12.0),))
>>> route_edges(route)
[('Institution:H1', 'Patient:PSN-1', 'dispensed'), ('Patient:PSN-1', 'Institution:P1', 'reflux')]
>>> sorted(flow_graph([route]).edges(data="codes"))
[('Institution:H1', 'Patient:PSN-1', 1), ('Patient:PSN-1', 'Institution:P1', 1)]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import networkx as nx
import pyarrow as pa

from workbench.graph.store import node_id


@dataclass(frozen=True)
class Place:
    """An institution a refluxed box reached after its dispensing."""

    institution: str
    type: str | None
    region: str | None
    arrived_at: datetime
    left_at: datetime
    via: str
    sales: int
    amount: float


@dataclass(frozen=True)
class Route:
    """One refluxed box, from its dispensing to the last place it reached."""

    code: str
    source: str
    person: str | None
    dispensed_at: datetime
    product: str | None
    dispensed_amount: float
    places: tuple[Place, ...]

    @property
    def institutions(self) -> list[str]:
        return [self.source, *(place.institution for place in self.places)]

    @property
    def last_time(self) -> datetime:
        return max(place.left_at for place in self.places)

    @property
    def amount(self) -> float:
        return self.dispensed_amount + sum(place.amount for place in self.places)

    @property
    def events(self) -> int:
        return 1 + sum(max(place.sales, 1) for place in self.places)

    @property
    def reseller(self) -> str:
        return self.places[0].institution


def routes_of(table: pa.Table) -> list[Route]:
    """Routes from ``reflux_routes`` rows (step 0 the dispensing, then the places in order), by code."""
    steps: dict[str, list[dict]] = defaultdict(list)
    for row in table.to_pylist():
        steps[row["trace_code"]].append(row)
    routes = []
    for code, rows in sorted(steps.items()):
        rows.sort(key=lambda row: row["step"])
        start, later = rows[0], rows[1:]
        if start["step"] != 0 or not later:
            continue
        places = tuple(Place(r["institution_code"], r["institution_type"], r["region_code"], r["arrived_at"],
                             r["left_at"], r["via"], int(r["sales"]), float(r["amount"] or 0)) for r in later)
        routes.append(Route(code, start["institution_code"], start["person"], start["arrived_at"],
                            start["med_list_codg"], float(start["amount"] or 0), places))
    return routes


def route_edges(route: Route) -> list[tuple[str, str, str]]:
    """The route as ``(from node, to node, via)`` steps: the dispensing (to the person, when recorded),
    the reflux into the first place, then each onward hop."""
    source = node_id("Institution", route.source)
    edges = []
    holder = source
    if route.person:
        holder = node_id("Patient", route.person)
        edges.append((source, holder, "dispensed"))
    for place in route.places:
        here = node_id("Institution", place.institution)
        edges.append((holder, here, place.via))
        holder = here
    return edges


def route_nodes(route: Route) -> list[str]:
    """Every node a route passes, in order."""
    edges = route_edges(route)
    return [edges[0][0], *(end for _, end, _ in edges)]


def flow_graph(routes: Iterable[Route]) -> nx.DiGraph:
    """The routes aggregated: nodes (``label``, ``key``), edges with ``codes`` (how many boxes took them),
    ``trace_codes`` (sorted), ``amount`` (settled at the edge's end) and ``via`` (the kinds of hop)."""
    taken: dict[tuple[str, str], dict] = defaultdict(lambda: {"codes": set(), "amount": 0.0, "via": set()})
    for route in routes:
        amounts = [route.dispensed_amount] * bool(route.person) + [place.amount for place in route.places]
        for (start, end, via), amount in zip(route_edges(route), amounts, strict=True):
            edge = taken[(start, end)]
            edge["codes"].add(route.code)
            edge["amount"] += amount
            edge["via"].add(via)
    graph = nx.DiGraph()
    for (start, end), edge in sorted(taken.items()):
        for node in (start, end):
            label, key = node.split(":", 1)
            graph.add_node(node, label=label, key=key)
        graph.add_edge(start, end, codes=len(edge["codes"]), trace_codes=sorted(edge["codes"]),
                       amount=round(edge["amount"], 2), via="|".join(sorted(edge["via"])))
    return graph

"""Reflux rings: communities of the flow graph's outflow.

The boxes' routes are grouped (``grouping``: whole networks, communities inside the big ones) on their
outflow edges (person → first reseller, and each onward hop: 3502 transfers, second resales), weighted by
the number of codes that took them. The dispensing edges (hospital → person) are left out: a hospital dispenses to thousands of people, so it
would glue unrelated rings together; a ring's hospitals are the ones its boxes came from, and how much
of a hospital's dispensing reappears is ranked separately (broker role ``source_institution``). Each box
belongs to the community that holds most of its route (ties: its first reseller's). A community is a
ring when its boxes are ``min_codes`` or more and its routes touch ``min_institutions`` or more
institutions; smaller ones (a single box, one person's one or two boxes) stay leads.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping

from workbench.analytics.community import Community, listed, saturating
from workbench.analytics.grouping import grouped
from workbench.analytics.routes import Route, route_edges, route_nodes
from workbench.graph.store import node_id
from workbench.params import Value


def find_rings(routes: list[Route], params: Mapping[str, Value]) -> list[Community]:
    """The rings among the routes (unordered)."""
    groups: dict[int, list[Route]] = defaultdict(list)
    for route, community in zip(routes, ring_of_each(routes, params), strict=True):
        groups[community].append(route)
    rings = [ring(members) for _, members in sorted(groups.items())]
    return [r for r in rings if len(r.trace_codes) >= params["min_codes"]
            and len(r.institutions) >= params["min_institutions"]]


def ring_of_each(routes: list[Route], params: Mapping[str, Value]) -> list[int]:
    """The community of each route: the one holding most of its nodes, ties to its first reseller's."""
    outflow = [(start, end) for route in routes for start, end, via in route_edges(route) if via != "dispensed"]
    communities = grouped([s for s, _ in outflow], [e for _, e in outflow], [1.0] * len(outflow), params)
    chosen = []
    for route in routes:
        held = Counter(communities[node] for node in route_nodes(route) if node in communities)
        first = communities[node_id("Institution", route.reseller)]
        chosen.append(min(held, key=lambda c: (-held[c], c != first, c)))
    return chosen


def ring(routes: list[Route]) -> Community:
    """A candidate ring from its routes: members, evidence and score."""
    sources = sorted({route.source for route in routes})
    resellers = sorted({place.institution for route in routes for place in route.places})
    persons = tuple(sorted({route.person for route in routes if route.person}))
    hops = sum(len(route.places) - 1 for route in routes)
    facts = {"sources": listed(sources), "sources_n": len(sources), "resellers": listed(resellers),
             "resellers_n": len(resellers), "hops": hops,
             "hops_zh": f"；其中 {hops} 次继续调拨或再次转售" if hops else "",
             "hops_en": f"; {hops} onward moves (3502 transfers or second resales)" if hops else ""}
    codes = tuple(sorted(route.code for route in routes))
    institutions = tuple(sorted(set(sources) | set(resellers)))
    score = 0.5 + 0.5 * (0.5 * saturating(len(codes), 30) + 0.25 * saturating(len(persons), 8)
                         + 0.25 * saturating(len(institutions), 6))
    return Community("reflux_ring", institutions, persons, codes, sum(route.events for route in routes),
                     round(sum(route.amount for route in routes), 2), min(route.dispensed_at for route in routes),
                     max(route.last_time for route in routes), round(score, 4), facts)

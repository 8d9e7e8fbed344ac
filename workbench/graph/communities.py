"""``Community`` nodes: the reflux rings and counterfeit clusters ``analyse`` found (contract §6 rows), written
into a graph store with ``MEMBER_OF`` from their institutions and persons, and the ones no longer found
removed. ``tcw graph`` writes the workspace's (default parameters) after the events and leads; ``tcw
analyse --from neo4j`` writes the ones it found. The graph holds the communities of the last analysis
written to it.

A community's id hashes its kind, institutions and codes; its persons follow from the codes, under the
workspace's pseudonyms. A stored community whose ``MEMBER_OF`` name other members than the analysis (persons
under an older pseudonym key, an edit by hand) is removed and written afresh, so no stale ``MEMBER_OF``
survives. Members are never created here: a member the graph does not hold stops the write before anything
changes.

>>> from datetime import datetime
>>> from types import SimpleNamespace
>>> from workbench.analytics.community import Community
>>> from workbench.graph.memory import MemoryStore
>>> ring = Community("reflux_ring", ("H1", "P1"), ("PSN-a",), ("C1", "C2", "C3"), 6, 90.0,
...                  datetime(2025, 6, 1), datetime(2025, 7, 1), 0.7, {})
>>> member_roles(ring, [])[-1]
('Patient', 'PSN-a', 'person')
>>> write_communities(MemoryStore(), None)
{'communities': 0, 'removed_communities': 0}
>>> write_communities(MemoryStore(), SimpleNamespace(communities=[ring], routes=[]))
Traceback (most recent call last):
...
loaders.errors.BadInput: 3 名团伙成员不在图中 / 3 community members are not in the graph: Institution H1, Institution P1, Patient PSN-a (run tcw graph again: it writes the workspace's events before its communities)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Protocol

from loaders.errors import BadInput
from loaders.faults import checkpoint
from loaders.workspace import Workspace
from workbench.analytics.community import Community
from workbench.analytics.routes import Route
from workbench.graph.elements import community_elements
from workbench.graph.store import GraphStore, entity, node_id

#: ``MEMBER_OF.role``: a ring's dispensing institutions (``source``), the ones its boxes reached
#: (``reseller``; ``source_reseller`` when both), its persons (``person``); a cluster's ``outlet``s.
MEMBER_ROLES = ("source", "reseller", "source_reseller", "person", "outlet")
#: An institution's role from what it did for the ring's boxes.
ROLE_OF = {frozenset({"source"}): "source", frozenset({"reseller"}): "reseller",
           frozenset({"source", "reseller"}): "source_reseller"}
#: Members named in the error when some are not in the graph.
SHOWN_MISSING = 5


class Found(Protocol):
    """What ``write_communities`` reads of an ``Analysis``."""

    communities: list[Community]
    routes: list[Route]

    def community_rows(self) -> list[dict]: ...


def write_communities(store: GraphStore, analysis: Found | None) -> dict[str, int]:
    """Write every community of ``analysis`` (``None``: nothing to analyse, so none) with its
    ``MEMBER_OF``, then remove the stored communities it did not find; how many were written and removed.
    Writing the same analysis again changes nothing."""
    communities = analysis.communities if analysis is not None else []
    members = community_members(communities, analysis.routes if analysis is not None else [])
    _check_members(store, members)
    stored = store.keys("Community")
    store.remove("Community", [cid for cid in sorted(stored & set(members)) if _stale(store, cid, members[cid])])
    if communities:
        store.write(community_elements(analysis.community_rows(), members))
    checkpoint("graph communities")
    removed = store.remove("Community", stored - set(members))
    return {"communities": len(communities), "removed_communities": removed}


def workspace_analysis(ws: Workspace) -> Found | None:
    """The workspace's rings and clusters with the default parameters; ``None`` when no code was sold
    twice (no flows: ``analyse`` says so with ``BadInput``)."""
    from workbench.analytics.run import analyse_workspace

    try:
        return analyse_workspace(ws)
    except BadInput:
        return None


def community_members(communities: Iterable[Community], routes: Iterable[Route]) -> dict[str, list[tuple]]:
    """Each community's ``member_roles``, by id (``routes``: the analysis', every ring's among them)."""
    by_code: dict[str, list[Route]] = defaultdict(list)
    for route in routes:
        by_code[route.code].append(route)
    return {c.community_id: member_roles(c, [r for code in c.trace_codes for r in by_code.get(code, ())])
            for c in communities}


def member_roles(community: Community, routes: Iterable[Route]) -> list[tuple[str, str, str | None]]:
    """``(label, key, role)`` of every member (``MEMBER_ROLES``), institutions first; ``routes`` are
    the ring's boxes' (an institution none of them names has no role)."""
    if community.kind == "counterfeit_cluster":
        return [("Institution", code, "outlet") for code in community.institutions]
    codes, roles = set(community.trace_codes), defaultdict(set)
    for route in (route for route in routes if route.code in codes):
        roles[route.source].add("source")
        for place in route.places:
            roles[place.institution].add("reseller")
    return ([("Institution", code, ROLE_OF.get(frozenset(roles[code]))) for code in community.institutions]
            + [("Patient", person, "person") for person in community.persons])


def _check_members(store: GraphStore, members: dict[str, list[tuple]]) -> None:
    """``BadInput`` naming the members the graph does not hold, before anything is written."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for label, key, _ in (member for found in members.values() for member in found):
        wanted[label].add(key)
    missing = sorted(node_id(label, key) for label, keys in wanted.items() for key in store.absent(label, keys))
    if missing:
        shown = ", ".join(" ".join(entity(node)) for node in missing[:SHOWN_MISSING])
        more = f" +{len(missing) - SHOWN_MISSING}" if len(missing) > SHOWN_MISSING else ""
        raise BadInput(f"{len(missing)} 名团伙成员不在图中 / {len(missing)} community members are not in the graph: "
                       f"{shown}{more}", hint="run tcw graph again: it writes the workspace's events before its "
                       "communities")


def _stale(store: GraphStore, community_id: str, members: list[tuple]) -> bool:
    """Whether the stored community's members (its ``MEMBER_OF``) differ from ``members``."""
    found = store.neighbourhood("Community", community_id, hops=1, labels=("Institution", "Patient"))
    target = node_id("Community", community_id)
    stored = {start for start, end, type_ in found.edges(keys=True) if end == target and type_ == "MEMBER_OF"}
    return stored != {node_id(label, key) for label, key, _ in members}


"""Brokers: the persons and institutions that carry refluxed boxes, ranked by their part in the flows.

Three roles, each from the routes (a person or institution needs ``broker_min_codes`` boxes to be ranked):

- ``source_patient``: a person whose dispensed boxes reappear elsewhere. Evidence: how many, the share of
  what they were dispensed (an honest heavy buyer's boxes never reappear, so they are no broker at all),
  at how many resellers, how fast (median days), and betweenness in the flow graph.
- ``reseller``: an institution that sold boxes first dispensed elsewhere: how many, from how many persons
  and hospitals, and betweenness (a reseller that passes boxes on sits between two parts of the flow).
- ``source_institution``: a hospital or clinic whose dispensed boxes reappear: how many, the share of its
  coded dispensing, at how many resellers.

Betweenness is computed on the undirected flow graph, per connected part (exact up to 2,000 nodes,
sampled from 500 seeded sources above), normalised to 0–1.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field

import networkx as nx

from workbench.analytics.community import listed, saturating
from workbench.analytics.declared import EXPLANATIONS
from workbench.analytics.routes import Route
from workbench.graph.store import node_id
from workbench.params import Value
from workbench.screens.privacy import short_pseudonym

EXACT_LIMIT, SAMPLES = 2_000, 500


@dataclass
class Carrier:
    """What one person or institution carried in one role."""

    role: str
    entity: str
    codes: set[str] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)
    resellers: set[str] = field(default_factory=set)
    persons: set[str] = field(default_factory=set)
    days: list[float] = field(default_factory=list)

    @property
    def entity_kind(self) -> str:
        return "person" if self.role == "source_patient" else "institution"

    @property
    def node(self) -> str:
        return node_id("Patient" if self.entity_kind == "person" else "Institution", self.entity)


def carriers(routes: list[Route]) -> list[Carrier]:
    """Every person and institution with its evidence per role."""
    found: dict[tuple[str, str], Carrier] = {}

    def carrier(role: str, entity: str) -> Carrier:
        return found.setdefault((role, entity), Carrier(role, entity))

    for route in routes:
        later = {place.institution for place in route.places}
        roles = [carrier("source_institution", route.source)] + [carrier("reseller", x) for x in sorted(later)]
        if route.person:
            roles.append(carrier("source_patient", route.person))
            carrier("source_patient", route.person).days.append(
                (route.places[0].arrived_at - route.dispensed_at).total_seconds() / 86400)
        for each in roles:
            each.codes.add(route.code)
            each.sources.add(route.source)
            each.resellers.update(later)
            each.persons.update([route.person] if route.person else [])
    return [found[key] for key in sorted(found)]


def betweenness(graph: nx.DiGraph, seed: int) -> dict[str, float]:
    """Normalised betweenness of every node, per connected part of the undirected flow graph."""
    plain = nx.Graph(graph.to_undirected(as_view=True))
    found: dict[str, float] = {}
    for part in sorted(nx.connected_components(plain), key=min):
        sub = plain.subgraph(sorted(part))
        k = SAMPLES if len(part) > EXACT_LIMIT else None
        found.update(nx.betweenness_centrality(sub, k=k, normalized=True, seed=seed if k else None))
    return found


def rank_brokers(routes: list[Route], graph: nx.DiGraph, shares: Mapping[str, Mapping[str, int]],
                 ring_of: Mapping[str, str], params: Mapping[str, Value]) -> list[dict]:
    """Brokers as ``brokers.csv`` rows (without ``rank``), strongest first. ``shares``: codes dispensed
    per person (``person``) and per institution (``institution``); ``ring_of``: node → community id."""
    between = betweenness(graph, int(params["seed"]))
    rows = []
    for each in carriers(routes):
        if len(each.codes) < params["broker_min_codes"]:
            continue
        dispensed = shares["institution" if each.role == "source_institution" else "person"].get(each.entity, 0)
        share = min(1.0, len(each.codes) / dispensed) if dispensed else 0.0
        rows.append(broker_row(each, share, between.get(each.node, 0.0), ring_of.get(each.node, "")))
    return sorted(rows, key=lambda r: (-r["score"], -r["code_count"], r["entity"], r["role"]))


def broker_row(each: Carrier, share: float, between: float, ring: str) -> dict:
    """One ``brokers.csv`` row: evidence, score (0–1) and explanation."""
    codes = len(each.codes)
    median = statistics.median(each.days) if each.days else 0.0
    if each.role == "source_patient":
        score = (0.35 * saturating(codes, 8) + 0.25 * share + 0.2 * saturating(len(each.resellers), 3)
                 + 0.1 * (1 - saturating(median, 180)) + 0.1 * between)
    elif each.role == "reseller":
        score = (0.4 * saturating(codes, 10) + 0.25 * saturating(len(each.persons), 5)
                 + 0.15 * saturating(len(each.sources), 3) + 0.2 * between)
    else:
        score = 0.4 * saturating(share, 0.2) + 0.3 * saturating(codes, 10) + 0.3 * saturating(len(each.resellers), 3)
    resellers = sorted(each.resellers - {each.entity})
    values = {"entity": each.entity, "entity_short": short_pseudonym(each.entity) if each.entity_kind == "person"
              else each.entity, "code_count": codes, "share": share, "median_days": median,
              "sources_n": len(each.sources), "sources": listed(sorted(each.sources)), "resellers_n": len(resellers),
              "resellers": listed(resellers), "persons_n": len(each.persons), "betweenness": between}
    template = EXPLANATIONS[each.role]
    return {"score": round(min(1.0, score), 4), "entity_kind": each.entity_kind, "entity": each.entity,
            "role": each.role, "trace_codes": "|".join(sorted(each.codes)), "code_count": codes,
            "source_institutions": "|".join(sorted(each.sources)), "resale_institutions": "|".join(resellers),
            "community_id": ring, "explanation_zh": template["zh"].format(**values),
            "explanation_en": template["en"].format(**values)}

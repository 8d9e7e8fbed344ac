"""``analyse``: rings, brokers and clusters from a workspace or a graph store, as contract §6 rows.

One function for every app: ``tcw analyse`` (either source), ``tcw graph`` (the ``Community`` nodes),
the report and the notebooks call it. The source only decides where ``flow_events`` come from; from
there every step is the same code, so the answers are equal.

>>> COMMUNITY_COLUMNS[:4], BROKER_COLUMNS[:4]
(('community_id', 'kind', 'rank', 'score'), ('rank', 'score', 'entity_kind', 'entity'))
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import networkx as nx
import pyarrow as pa

from loaders.errors import BadInput
from loaders.workspace import Workspace
from workbench.analytics.brokers import rank_brokers
from workbench.analytics.clusters import find_clusters
from workbench.analytics.community import Community, ordered
from workbench.analytics.declared import resolved
from workbench.analytics.flows import Flows, StoreFlows, WorkspaceFlows, reduce_flows
from workbench.analytics.rings import find_rings
from workbench.analytics.routes import Route, flow_graph, routes_of
from workbench.graph.store import GraphStore, node_id

COMMUNITY_COLUMNS = ("community_id", "kind", "rank", "score", "institutions", "persons", "trace_codes", "code_count",
                     "event_count", "amount", "first_time", "last_time", "algorithm", "params", "explanation_zh",
                     "explanation_en")
BROKER_COLUMNS = ("rank", "score", "entity_kind", "entity", "role", "trace_codes", "code_count",
                  "source_institutions", "resale_institutions", "community_id", "explanation_zh", "explanation_en")
#: The parameters that shape the communities, written in each row's ``params``.
PARTITION_PARAMS = ("split_above", "objective", "resolution", "seed", "min_codes", "min_institutions")


@dataclass(frozen=True)
class Analysis:
    """What ``analyse`` found: the communities (strongest first), the broker rows, and what they came
    from (routes, copy sales, the flow graph) for drawing and drilling down."""

    communities: list[Community]
    brokers: list[dict]
    routes: list[Route]
    flows: Flows
    graph: nx.DiGraph
    params: dict

    def community_rows(self) -> list[dict]:
        """``communities.csv`` rows, ranked."""
        return [community_row(c, rank, self.params) for rank, c in enumerate(self.communities, start=1)]

    def ring_flow(self, community_id: str) -> nx.DiGraph:
        """A ring's boxes' routes, aggregated (hospitals → persons → resellers → onward)."""
        codes = set(self.community(community_id).trace_codes)
        return flow_graph(route for route in self.routes if route.code in codes)

    def cluster_graph(self, community_id: str) -> nx.Graph:
        """A cluster's copy sales: outlets (``region`` attribute) joined to the codes they sold copies of
        (``sales``, ``first_time``, ``last_time`` on each edge)."""
        found = self.community(community_id)
        codes, outlets = set(found.trace_codes), set(found.institutions)
        graph = nx.Graph()
        for row in self.flows.copies.to_pylist():
            if row["trace_code"] not in codes or row["institution_code"] not in outlets:
                continue
            outlet, code = node_id("Institution", row["institution_code"]), node_id("Code", row["trace_code"])
            graph.add_node(outlet, label="Institution", key=row["institution_code"], region=row["region_code"])
            graph.add_node(code, label="Code", key=row["trace_code"], product=row["med_list_codg"])
            edge = graph.get_edge_data(outlet, code) or {"sales": 0, "first_time": row["event_time"]}
            graph.add_edge(outlet, code, sales=edge["sales"] + 1, first_time=edge["first_time"],
                           last_time=row["event_time"])
        return graph

    def community(self, community_id: str) -> Community:
        """The community of that id; ``KeyError`` when there is none."""
        for found in self.communities:
            if found.community_id == community_id:
                return found
        raise KeyError(community_id)


def analyse(source: WorkspaceFlows | StoreFlows, overrides: Mapping[str, object] | None = None) -> Analysis:
    """Rings, clusters and brokers of a flow source (parameters checked before any work)."""
    params = resolved(overrides or {})
    flows = reduce_flows(source, params)
    if flows.flow_events == 0:
        raise BadInput("没有售出两次以上的有效追溯码，无可分析的流向 / no valid trace code was sold twice: there are "
                       "no flows to analyse", hint="ingest the uploads that hold the sales (3505) first")
    routes = routes_of(flows.routes)
    communities = ordered(find_rings(routes, params) + find_clusters(flows.copies, params))
    # a member of several rings is named with the strongest: weaker ones first, stronger ones overwrite
    ring_of = {node_id(label, key): c.community_id for c in reversed(communities)
               if c.kind == "reflux_ring" for label, key in c.members}
    graph = flow_graph(routes)
    brokers = rank_brokers(routes, graph, {"person": flows.dispensed_to, "institution": flows.dispensed_by},
                           ring_of, params)
    return Analysis(communities, [{"rank": k, **row} for k, row in enumerate(brokers, start=1)], routes, flows,
                    graph, params)


def analyse_workspace(ws: Workspace, overrides: Mapping[str, object] | None = None) -> Analysis:
    """``analyse`` from a workspace's canonical events (reduced in columns)."""
    resolved(overrides or {})
    source = WorkspaceFlows(ws)
    try:
        return analyse(source, overrides)
    finally:
        source.close()


def analyse_store(store: GraphStore, overrides: Mapping[str, object] | None = None) -> Analysis:
    """``analyse`` from a graph store (the graph ``tcw graph`` wrote, or a ``MemoryStore``)."""
    return analyse(StoreFlows(store), overrides)


def community_row(community: Community, rank: int, params: Mapping) -> dict:
    """One ``communities.csv`` row."""
    zh, en = community.explanation()
    used = {name: params[name] for name in PARTITION_PARAMS}
    if community.kind == "counterfeit_cluster":
        used |= {name: params[name] for name in ("window_days", "min_regions", "min_shared_codes")}
    else:
        used |= {"min_span_days": params["min_span_days"], "max_span_days": params["max_span_days"]}
    return {"community_id": community.community_id, "kind": community.kind, "rank": rank, "score": community.score,
            "institutions": "|".join(community.institutions), "persons": "|".join(community.persons),
            "trace_codes": "|".join(community.trace_codes), "code_count": len(community.trace_codes),
            "event_count": community.event_count, "amount": community.amount, "first_time": community.first_time,
            "last_time": community.last_time, "algorithm": params["method"],
            "params": json.dumps(used, sort_keys=True), "explanation_zh": zh, "explanation_en": en}


def communities_table(analysis: Analysis) -> pa.Table:
    """``communities.csv`` as a table (the contract's columns, in order)."""
    return _table(analysis.community_rows(), COMMUNITY_COLUMNS, {"rank": pa.int64(), "score": pa.float64(),
                  "code_count": pa.int64(), "event_count": pa.int64(), "amount": pa.float64(),
                  "first_time": pa.timestamp("us"), "last_time": pa.timestamp("us")})


def brokers_table(analysis: Analysis) -> pa.Table:
    """``brokers.csv`` as a table (the contract's columns, in order)."""
    return _table(analysis.brokers, BROKER_COLUMNS, {"rank": pa.int64(), "score": pa.float64(),
                                                     "code_count": pa.int64()})


def _table(rows: list[dict], columns: tuple[str, ...], types: Mapping[str, pa.DataType]) -> pa.Table:
    schema = pa.schema([(name, types.get(name, pa.string())) for name in columns])
    return pa.Table.from_pylist([{name: row[name] for name in columns} for row in rows], schema=schema)

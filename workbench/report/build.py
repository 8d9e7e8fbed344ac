"""Build the report: the workspace's events and leads into a graph store, the top leads of each scenario,
their subgraphs, and (given an ``Analysis``) its rings, clusters and brokers, one offline HTML page written
atomically.

>>> top_leads([{"scenario": "reflux", "lead_id": "a"}, {"scenario": "reflux", "lead_id": "b"},
...            {"scenario": "counterfeit", "lead_id": "c"}], per_scenario=1)
[{'scenario': 'reflux', 'lead_id': 'a'}, {'scenario': 'counterfeit', 'lead_id': 'c'}]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from loaders.atomic import write_atomic
from loaders.workspace import Workspace
from workbench.graph.store import GraphStore
from workbench.report.subgraph import MAX_NODES, lead_graph

if TYPE_CHECKING:
    from workbench.analytics.run import Analysis

#: Leads of each scenario the report draws, strongest first.
PER_SCENARIO = 3


def write_report(ws: Workspace, leads: pa.Table, path: Path, per_scenario: int = PER_SCENARIO,
                 max_nodes: int = MAX_NODES, progress: Callable[[int], None] | None = None,
                 analysis: Analysis | None = None, more_in: str = "communities.csv") -> Path:
    """Load the workspace's events and ``leads`` into an in-memory graph and write the report to ``path``;
    ``progress(n)`` is told of every ``n`` events loaded. With an ``analysis``, the page draws its rings
    and clusters too (``more_in``: where the ones not drawn are listed)."""
    from workbench.graph.load import load_workspace
    from workbench.graph.memory import MemoryStore

    store, loaded = MemoryStore(), [0]

    def advance(where) -> None:
        if progress:
            progress(where.done - loaded[0])
        loaded[0] = where.done

    load_workspace(store, ws, leads, progress=advance)
    return report_from_store(store, leads.to_pylist(), path, per_scenario, max_nodes, analysis, more_in)


def report_from_store(store: GraphStore, leads: list[Mapping], path: Path, per_scenario: int = PER_SCENARIO,
                      max_nodes: int = MAX_NODES, analysis: Analysis | None = None,
                      more_in: str = "communities.csv") -> Path:
    """Write the report of ``leads`` (strongest first, as screening orders them) from a store holding them,
    and of the analysis's rings and clusters when one is given (institution names from the store)."""
    from workbench.report.html import render_page
    from workbench.report.networks import network_part

    graphs = [lead_graph(store, lead, max_nodes) for lead in top_leads(leads, per_scenario)]
    networks = None
    if analysis is not None:
        networks = network_part(analysis, institution_names(store, _institutions(analysis)), more_in)
    page = render_page(graphs, Counter(lead["scenario"] for lead in leads), max_nodes, networks)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, page.encode("utf-8"))
    return path


def institution_names(store: GraphStore, codes: Iterable[str]) -> dict[str, str]:
    """The names the store holds for these institution codes (codes without one left out)."""
    names = {}
    for code in sorted(set(codes)):
        found = store.neighbourhood("Institution", code, hops=0)
        caption = next((data.get("name") for _, data in found.nodes(data=True)), None)
        if caption:
            names[code] = str(caption)
    return names


def _institutions(analysis: Analysis) -> set[str]:
    """Every institution the report may name: the communities' members and the brokers."""
    members = {code for community in analysis.communities for code in community.institutions}
    return members | {row["entity"] for row in analysis.brokers if row["entity_kind"] == "institution"}


def top_leads(leads: Iterable[Mapping], per_scenario: int) -> list[Mapping]:
    """The first ``per_scenario`` leads of each scenario, in the order given."""
    taken: Counter = Counter()
    chosen = []
    for lead in leads:
        if taken[lead["scenario"]] < per_scenario:
            taken[lead["scenario"]] += 1
            chosen.append(lead)
    return chosen

"""Build the report: the workspace's events and leads into a graph store, the top leads of each scenario,
their subgraphs, one offline HTML page.

>>> top_leads([{"scenario": "reflux", "lead_id": "a"}, {"scenario": "reflux", "lead_id": "b"},
...            {"scenario": "counterfeit", "lead_id": "c"}], per_scenario=1)
[{'scenario': 'reflux', 'lead_id': 'a'}, {'scenario': 'counterfeit', 'lead_id': 'c'}]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import pyarrow as pa

from loaders.workspace import Workspace
from workbench.graph.store import GraphStore
from workbench.report.subgraph import MAX_NODES, lead_graph

#: Leads of each scenario the report draws, strongest first.
PER_SCENARIO = 3


def write_report(ws: Workspace, leads: pa.Table, path: Path, per_scenario: int = PER_SCENARIO,
                 max_nodes: int = MAX_NODES, progress: Callable[[int], None] | None = None) -> Path:
    """Load the workspace's events and ``leads`` into an in-memory graph and write the report to ``path``;
    ``progress(n)`` is told of every ``n`` events loaded."""
    from workbench.graph.load import load_workspace
    from workbench.graph.memory import MemoryStore

    store, loaded = MemoryStore(), [0]

    def advance(where) -> None:
        if progress:
            progress(where.done - loaded[0])
        loaded[0] = where.done

    load_workspace(store, ws, leads, progress=advance)
    return report_from_store(store, leads.to_pylist(), path, per_scenario, max_nodes)


def report_from_store(store: GraphStore, leads: list[Mapping], path: Path, per_scenario: int = PER_SCENARIO,
                      max_nodes: int = MAX_NODES) -> Path:
    """Write the report of ``leads`` (strongest first, as screening orders them) from a store holding them."""
    from workbench.report.html import render_page

    graphs = [lead_graph(store, lead, max_nodes) for lead in top_leads(leads, per_scenario)]
    page = render_page(graphs, Counter(lead["scenario"] for lead in leads), max_nodes)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


def top_leads(leads: Iterable[Mapping], per_scenario: int) -> list[Mapping]:
    """The first ``per_scenario`` leads of each scenario, in the order given."""
    taken: Counter = Counter()
    chosen = []
    for lead in leads:
        if taken[lead["scenario"]] < per_scenario:
            taken[lead["scenario"]] += 1
            chosen.append(lead)
    return chosen

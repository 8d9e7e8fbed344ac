"""Notebook widgets: the graph view (vis-network inside the package, no CDN) with its time bar, and the
investigation apps built from it. Apps are views over the library: every action calls the same functions
as the CLI. Names load on first use, so ``import workbench.widgets`` stays cheap.

>>> sorted(APPS)[:4]
['CaseBoard', 'CasePanel', 'CommunityView', 'Explorer']
"""

from __future__ import annotations

import importlib

#: Public name → the module that defines it.
APPS = {
    "GraphView": "graph_view", "LeadBoard": "leadboard", "Explorer": "explorer", "PathFinder": "pathfinder",
    "CommunityView": "community_view", "ScenarioTrainer": "trainer", "CaseBoard": "case_board",
    "CasePanel": "case_panel", "open_store": "session",
    "default_workspace": "session", "bar_chart": "charts",
}
__all__ = sorted(APPS)


def __getattr__(name: str):
    if name not in APPS:
        raise AttributeError(f"module 'workbench.widgets' has no attribute {name!r}")
    return getattr(importlib.import_module(f"workbench.widgets.{APPS[name]}"), name)

"""``screen``: run the chosen rules on a workspace's events with one engine and collect the leads.

Same data and parameters give the same leads with the same ids, in the same order.
"""

from __future__ import annotations

import os

import pyarrow as pa

from loaders.workspace import Workspace
from workbench.screens.engines import engine
from workbench.screens.leads import leads_of, leads_table
from workbench.screens.privacy import workspace_key
from workbench.screens.rules import chosen, needed_views


def screen(ws: Workspace, rule_ids: list[str] | None = None, overrides: dict[str, str] | None = None,
           engine_name: str | None = None) -> pa.Table:
    """Leads of the rules (all when none are named), parameters overridden by name; ``engine_name``
    ``duckdb`` (default, or ``$TCW_SCREEN_ENGINE``) or ``spark``."""
    overrides = overrides or {}
    engine_name = engine_name or os.environ.get("TCW_SCREEN_ENGINE", "duckdb")
    rules = [(rule, rule.resolve(overrides)) for rule in chosen(rule_ids, overrides)]  # bad values: before any work
    runner = engine(engine_name, ws)
    key = workspace_key(ws.root)
    try:
        for view in needed_views([rule for rule, _ in rules]):
            runner.materialize(view.name, view.sql)
        leads = []
        for rule, params in rules:
            found = runner.run(rule.sql, {name: params[name] for name in rule.placeholders()})
            leads.extend(leads_of(rule, params, found, key))
    finally:
        runner.close()
    return leads_table(leads)

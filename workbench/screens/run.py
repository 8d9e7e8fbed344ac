"""``screen``: run the chosen rules on a workspace's events with one engine and collect the leads; with
the ``repeat`` rule (a full screen runs it), also the repeat ledger (``workbench.screens.ledger``).

Same data and parameters give the same leads with the same ids, in the same order.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pyarrow as pa

from loaders.workspace import Workspace
from workbench.screens.engines import engine
from workbench.screens.leads import leads_of, leads_table
from workbench.screens.ledger import lead_codes, repeat_ledger
from workbench.screens.privacy import workspace_key
from workbench.screens.rules import chosen, needed_views, with_dependencies


@dataclass(frozen=True)
class Screening:
    """A run's leads, and its repeat ledger when the run included the ``repeat`` rule (else None)."""

    leads: pa.Table
    ledger: pa.Table | None


def screen(ws: Workspace, rule_ids: list[str] | None = None, overrides: dict[str, str] | None = None,
           engine_name: str | None = None) -> pa.Table:
    """Leads of the rules (all when none are named), parameters overridden by name; ``engine_name``
    ``duckdb`` (default, or ``$TCW_SCREEN_ENGINE``) or ``spark``."""
    return screening(ws, rule_ids, overrides, engine_name).leads


def screening(ws: Workspace, rule_ids: list[str] | None = None, overrides: dict[str, str] | None = None,
              engine_name: str | None = None) -> Screening:
    """:func:`screen`, with the repeat ledger. A rule that reads other rules' leads runs after them (they
    run too, even when not chosen; only the chosen rules' leads are returned)."""
    overrides = overrides or {}
    engine_name = engine_name or os.environ.get("TCW_SCREEN_ENGINE", "duckdb")
    picked = chosen(rule_ids, overrides)
    plan = [(rule, rule.resolve(overrides)) for rule in with_dependencies(picked)]  # bad values: before any work
    runner = engine(engine_name, ws)
    key = workspace_key(ws.root)
    found: dict[str, list[dict]] = {}
    try:
        for view in needed_views([rule for rule, _ in plan]):
            runner.materialize(view.name, view.sql)
        for rule, params in plan:
            if rule.after:
                runner.register("lead_codes", lead_codes([lead for name in rule.after for lead in found[name]]))
            found[rule.id] = leads_of(rule, params, runner.run(rule.sql, {n: params[n] for n in rule.placeholders()}), key)
        ledger = _ledger(runner, plan, found)
    finally:
        runner.close()
    return Screening(leads_table([lead for rule in picked for lead in found[rule.id]]), ledger)


def _ledger(runner, plan: list, found: dict[str, list[dict]]) -> pa.Table | None:
    """The repeat ledger over the leads of the ``repeat`` rule and of the rules it reads, when it ran."""
    readers = [rule for rule, _ in plan if rule.scenario == "repeat"]
    if not readers:
        return None
    names = {name for rule in readers for name in (rule.id, *rule.after)}
    return repeat_ledger(runner, [lead for name in names for lead in found[name]])

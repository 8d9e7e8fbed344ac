"""The institution self-inspection (自查自纠) report's content: one institution, its leads by scenario
(every lead of a full screen with the default parameters whose main institution it is or that involves it),
its collection rate (采集率) by month, and the codes it must explain, each with what happened and what to
check. Nothing about another institution's persons: persons appear only as counts of the institution's own
buyers; other institutions only where a lead needs them (``texts.yaml`` says which).

>>> item = Item("SUB-1", "substitution", "substitution", 0.9, "main", "81000000000000000001", "X1",
...             None, None, 5, 100.0, "…", "…")
>>> SelfInspection(Profile("P1", "某药房", "pharmacy", "500116"), (item,), ()).codes == (item,)
True
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from loaders.workspace import Workspace
from workbench.cases.findings import workspace_leads
from workbench.report.html import scenario_order
from workbench.screens.engines import engine
from workbench.selfcheck.facts import MonthRate, Profile, code_sellers, month_rates, profile, sold_before
from workbench.selfcheck.texts import happened, lead_facts, to_check


@dataclass(frozen=True)
class Item:
    """One lead as the institution sees it. ``role``: ``main`` (the lead's institution) or ``involved``;
    times, events and amount are the institution's own (its sales of the code) for a lead with a code,
    the lead's for the others (which concern it alone)."""

    lead_id: str
    scenario: str
    rule_id: str
    score: float
    role: str
    trace_code: str | None
    med_list_codg: str | None
    first_time: datetime | None
    last_time: datetime | None
    event_count: int
    amount: float
    happened: str
    check: str


@dataclass(frozen=True)
class SelfInspection:
    """The report: the institution (``profile``: code, name, type, region), its leads (strongest first),
    its collection rate by month."""

    profile: Profile
    leads: tuple[Item, ...]
    months: tuple[MonthRate, ...]
    created: datetime = field(default_factory=lambda: datetime.now().replace(microsecond=0))

    @property
    def by_scenario(self) -> dict[str, list[Item]]:
        """The leads per scenario, in the usual order of scenarios."""
        order = scenario_order(list(dict.fromkeys(item.scenario for item in self.leads)))
        return {scenario: [item for item in self.leads if item.scenario == scenario] for scenario in order}

    @property
    def codes(self) -> tuple[Item, ...]:
        """The leads with a trace code: the codes the institution must explain."""
        return tuple(item for item in self.leads if item.trace_code)

    @property
    def overall_rate(self) -> float | None:
        """The collection rate over all months (None without insured sales)."""
        sales = sum(month.insured_sales for month in self.months)
        return sum(month.coded_sales for month in self.months) / sales if sales else None


def self_inspection(ws: Workspace, institution: str) -> SelfInspection:
    """The self-inspection report of ``institution`` (a 定点医药机构编码); ``BadInput`` when the workspace
    has no events of it."""
    institution = institution.strip()
    runner = engine("duckdb", ws)
    try:
        found = profile(runner, institution)
        leads = [lead for lead in workspace_leads(ws) if involves(lead, institution)]
        months = month_rates(runner, institution)
        sellers = code_sellers(runner, [lead["trace_code"] for lead in leads if lead.get("trace_code")])
    finally:
        runner.close()
    items = tuple(_item(lead, institution, sellers.get(lead.get("trace_code") or "", {})) for lead in leads)
    return SelfInspection(found, items, tuple(months))


def involves(lead: dict, institution: str) -> bool:
    """Whether the lead is about ``institution``: its main institution, or one of those it involves.

    >>> involves({"institution_code": "P2", "institutions": "H1|P2"}, "H1")
    True
    """
    named = str(lead.get("institutions") or "").split("|")
    return lead.get("institution_code") == institution or institution in named


def _item(lead: dict, institution: str, sellers: dict[str, dict]) -> Item:
    role = "main" if lead.get("institution_code") == institution else "involved"
    details = json.loads(lead.get("details") or "{}")
    mine = sellers.get(institution)
    own = _own_facts(mine, {code: row for code, row in sellers.items() if code != institution})
    facts = lead_facts(lead, details, own)
    coded = bool(lead.get("trace_code")) and mine is not None
    return Item(
        lead["lead_id"], lead["scenario"], lead["rule_id"], float(lead.get("score") or 0), role,
        lead.get("trace_code") or None, lead.get("med_list_codg") or None,
        mine["first_sale"] if coded else lead.get("first_time"), mine["last_sale"] if coded else lead.get("last_time"),
        int(mine["sales"] if coded else lead.get("event_count") or 0),
        round(float((mine["amount"] if coded else lead.get("amount")) or 0), 2),
        happened(lead, facts, role), to_check(lead["scenario"], role))


def _own_facts(mine: dict | None, others: dict[str, dict]) -> dict:
    """This institution's sales of a code and where else it was sold (earlier ones named, later counted)."""
    if mine is None:
        return {"others_n": sum(1 for row in others.values() if row["sales"])}
    first = mine.get("first_sale")
    later = [row for row in others.values() if first is not None and row.get("first_sale") and row["first_sale"] > first]
    return {"own_sales": mine["sales"], "own_returns": mine["returns"], "own_first": first,
            "own_last": mine.get("last_sale"), "own_amount": round(float(mine.get("amount") or 0), 2),
            "earlier": sold_before(others, first), "later_n": len(later),
            "others_n": sum(1 for row in others.values() if row["sales"])}

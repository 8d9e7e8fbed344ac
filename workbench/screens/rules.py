"""Screening rules as data: ``rules.yaml`` declares each rule's scenario, titles, parameters (with
documented defaults and ranges, ``workbench.params``), SQL and explanation templates; ``views.yaml`` the
shared tables the rules read. Nothing about a rule lives in code.

>>> rule = rules()["substitution"]
>>> rule.scenario, rule.params["min_sales"].default
('substitution', 3)
>>> rule.resolve({"min_sales": "5"})
{'min_sales': 5}
>>> rule.params["min_sales"].allowed()
'2 – 1000'
>>> [view.name for view in needed_views([rule])]
['repeated_codes', 'repeat_sales']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import yaml

from loaders.errors import BadInput
from workbench.params import Param, declared_params, resolve

SCENARIOS = ("substitution", "reflux", "phantom_sale", "counterfeit", "collection_gap", "repeat")
_PLACEHOLDER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class Rule:
    """One screening rule."""

    id: str
    scenario: str
    title_zh: str
    title_en: str
    params: dict[str, Param]
    sql: str
    explanation_zh: str
    explanation_en: str
    fragments: dict[str, dict[str, str]] = field(default_factory=dict)
    after: tuple[str, ...] = ()  # rules whose leads this one reads (table ``lead_codes``), run before it

    def resolve(self, overrides: dict[str, object]) -> dict[str, int | float | str]:
        """The rule's parameters: defaults, overridden where ``overrides`` names one of them (checked
        against its declared range: bad input otherwise)."""
        return resolve(self.params, overrides, self.id)

    def placeholders(self) -> set[str]:
        """The ``$name`` parameters its SQL uses."""
        return set(_PLACEHOLDER.findall(self.sql))


@dataclass(frozen=True)
class View:
    """A shared table of the rules (``views.yaml``): computed once per run, before the rules that read it."""

    name: str
    doc: str
    sql: str

    def read_by(self, sql: str) -> bool:
        """Whether ``sql`` reads this view."""
        return re.search(rf"\b{self.name}\b", sql) is not None


def _declared(file: str) -> dict:
    return yaml.safe_load(resources.files("workbench.screens").joinpath(file).read_text("utf-8"))


@cache
def views() -> dict[str, View]:
    """Every shared view by name, in declaration order (a view may read the ones before it); none takes
    parameters."""
    found = {name: View(name, spec["doc"], spec["sql"]) for name, spec in _declared("views.yaml").items()}
    if any(_PLACEHOLDER.search(view.sql) for view in found.values()):
        raise ValueError("views.yaml: a shared view takes no parameters")
    return found


def needed_views(picked: list[Rule]) -> list[View]:
    """The views the rules read, with the views those read, in declaration order."""
    texts = [rule.sql for rule in picked]
    needed = []
    for view in reversed(views().values()):
        if any(view.read_by(text) for text in texts):
            needed.insert(0, view)
            texts.append(view.sql)
    return needed


@cache
def rules() -> dict[str, Rule]:
    """Every declared rule by id, checked: known scenario, every SQL parameter declared with a range."""
    found = {}
    for rule_id, spec in _declared("rules.yaml").items():
        try:
            params = declared_params(spec.get("params"))
        except ValueError as error:
            raise ValueError(f"rules.yaml: {rule_id}: {error}") from None
        rule = Rule(rule_id, spec["scenario"], spec["title_zh"], spec["title_en"], params, spec["sql"],
                    spec["explanation_zh"], spec["explanation_en"], spec.get("fragments") or {},
                    tuple(spec.get("after") or ()))
        if rule.scenario not in SCENARIOS or rule.placeholders() - set(params):
            raise ValueError(f"rules.yaml: {rule_id}: unknown scenario or undeclared parameter")
        if set(rule.after) - set(found):
            raise ValueError(f"rules.yaml: {rule_id}: `after` names a rule not declared before it")
        found[rule_id] = rule
    return found


def with_dependencies(picked: list[Rule]) -> list[Rule]:
    """The rules to run for ``picked``: those and the rules whose leads they read, in declaration order.

    >>> [rule.id for rule in with_dependencies([rules()["repeat"]])]
    ['substitution', 'counterfeit', 'reflux', 'repeat']
    """
    needed = {rule.id for rule in picked} | {name for rule in picked for name in rule.after}
    return [rule for rule in rules().values() if rule.id in needed]


def chosen(rule_ids: list[str] | None, overrides: dict[str, str]) -> list[Rule]:
    """The rules to run (all when none are named); a name or parameter nobody declares is bad input."""
    known = rules()
    unknown = [r for r in rule_ids or [] if r not in known]
    if unknown:
        raise BadInput(f"未知规则 / unknown rule {unknown[0]!r}", hint=f"rules: {', '.join(known)}")
    picked = [known[r] for r in rule_ids] if rule_ids else list(known.values())
    declared = {name for rule in with_dependencies(picked) for name in rule.params}
    stray = [name for name in overrides if name not in declared]
    if stray:
        raise BadInput(f"未知参数 / unknown parameter {stray[0]!r}", hint=f"parameters: {', '.join(sorted(declared))}")
    return picked

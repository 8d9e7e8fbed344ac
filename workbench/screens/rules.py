"""Screening rules as data: ``rules.yaml`` declares each rule's scenario, titles, parameters (with
documented defaults), SQL and explanation templates; nothing about a rule lives in code.

>>> rule = rules()["substitution"]
>>> rule.scenario, rule.params["min_sales"].default
('substitution', 3)
>>> rule.resolve({"min_sales": "5"})
{'min_sales': 5}
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import yaml

from loaders.errors import BadInput

SCENARIOS = ("substitution", "reflux", "phantom_sale", "counterfeit", "collection_gap")
_PLACEHOLDER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class Param:
    """A named threshold: its default (whose type every override must have) and what it means."""

    name: str
    default: int | float | str
    doc: str

    def parse(self, text: object) -> int | float | str:
        """An override as the default's type; a value that is not one is bad input."""
        kind = type(self.default)
        try:
            return kind(float(text)) if kind is int and float(text).is_integer() else kind(text)
        except (TypeError, ValueError):
            raise BadInput(f"参数 {self.name} 应为 {kind.__name__} / parameter {self.name} must be a {kind.__name__}, "
                           f"got {text!r}", hint=f"default {self.default}: {self.doc}") from None


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

    def resolve(self, overrides: dict[str, object]) -> dict[str, int | float | str]:
        """The rule's parameters: defaults, overridden where ``overrides`` names one of them."""
        return {name: param.parse(overrides[name]) if name in overrides else param.default
                for name, param in self.params.items()}

    def placeholders(self) -> set[str]:
        """The ``$name`` parameters its SQL uses."""
        return set(_PLACEHOLDER.findall(self.sql))


@cache
def rules() -> dict[str, Rule]:
    """Every declared rule by id, checked: known scenario, every SQL parameter declared."""
    declared = yaml.safe_load(resources.files("workbench.screens").joinpath("rules.yaml").read_text("utf-8"))
    found = {}
    for rule_id, spec in declared.items():
        params = {name: Param(name, p["default"], p["doc"]) for name, p in (spec.get("params") or {}).items()}
        rule = Rule(rule_id, spec["scenario"], spec["title_zh"], spec["title_en"], params, spec["sql"],
                    spec["explanation_zh"], spec["explanation_en"], spec.get("fragments") or {})
        if rule.scenario not in SCENARIOS or rule.placeholders() - set(params):
            raise ValueError(f"rules.yaml: {rule_id}: unknown scenario or undeclared parameter")
        found[rule_id] = rule
    return found


def chosen(rule_ids: list[str] | None, overrides: dict[str, str]) -> list[Rule]:
    """The rules to run (all when none are named); a name or parameter nobody declares is bad input."""
    known = rules()
    unknown = [r for r in rule_ids or [] if r not in known]
    if unknown:
        raise BadInput(f"未知规则 / unknown rule {unknown[0]!r}", hint=f"rules: {', '.join(known)}")
    picked = [known[r] for r in rule_ids] if rule_ids else list(known.values())
    declared = {name for rule in picked for name in rule.params}
    stray = [name for name in overrides if name not in declared]
    if stray:
        raise BadInput(f"未知参数 / unknown parameter {stray[0]!r}", hint=f"parameters: {', '.join(sorted(declared))}")
    return picked

"""The report's sentences, declared in ``texts.yaml``: for each lead what happened and what the institution
should check, filled from the lead's facts. Persons never reach a sentence: the facts hold no person column
(``workbench.screens.privacy.PERSONAL``), and any pseudonym that slipped into a value is masked.

>>> lead = {"rule_id": "substitution", "scenario": "substitution", "trace_code": "81000000000000000001",
...         "med_list_codg": "X1", "first_time": datetime(2025, 6, 1, 9), "last_time": datetime(2025, 6, 9, 18),
...         "event_count": 5, "amount": 100.0}
>>> details = {"sales": 5, "returns": 0, "net_boxes": 5.0, "persons": 4, "code_belongs_to": "X2"}
>>> print(happened(lead, lead_facts(lead, details), "main"))
同一追溯码在本机构医保结算 5 次（退货 0 次，净 5 盒，涉及本机构参保人 4 人），2025-06-01 至 2025-06-09，金额 100.00 元；该码属于药品 X2，却按 X1 结算
>>> reflux = {"rule_id": "reflux", "scenario": "reflux", "trace_code": "81000000000000000001",
...           "first_time": datetime(2025, 5, 1), "last_time": datetime(2025, 6, 9)}
>>> details = {"first_seller": "H1", "patient": "PSN-d589210a8138d289045c69d2e8498bfb", "span_days": 39,
...            "ring_codes": 4}
>>> print(happened(reflux, lead_facts(reflux, details), "involved"))
追溯码 81000000000000000001 于 2025-05-01 在本机构发给参保人，39 天后（2025-06-09）又在另一家机构再次销售
>>> to_check("reflux", "main")[:9]
'说明该盒药从何而来'
>>> masked("参保人 PSN-d589210a8138d289045c69d2e8498bfb 购买")
'参保人 （参保人已隐去） 购买'
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from importlib import resources

import yaml

from workbench.screens.privacy import KEY_HEX, PERSONAL, PREFIX

_ANY_PSEUDONYM = re.compile(rf"{PREFIX}[0-9a-f]{{8,{KEY_HEX}}}…?")
#: The lead columns a sentence may use besides the rule's own details.
LEAD_COLUMNS = ("trace_code", "med_list_codg", "event_count", "amount", "scenario")
MINUTE = "%Y-%m-%d %H:%M"


@cache
def texts() -> dict:
    """``texts.yaml``: institution types, scenario names, what happened per rule, checks per scenario."""
    return yaml.safe_load(resources.files("workbench.selfcheck").joinpath("texts.yaml").read_text("utf-8"))


def scenario_name(scenario: str) -> str:
    """The scenario's Chinese name (the id itself when unknown).

    >>> scenario_name("reflux"), scenario_name("new_rule")
    ('回流', 'new_rule')
    """
    return texts()["scenarios"].get(scenario, scenario)


def institution_type(kind: str) -> str:
    """An institution type in Chinese.

    >>> institution_type("pharmacy")
    '零售药店'
    """
    return texts()["institution_types"].get(kind, kind)


def lead_facts(lead: dict, details: dict, own: dict | None = None) -> dict:
    """What a sentence may say about a lead: its columns, its rule's details and this institution's own
    facts (``own``), without any person column; dates as text."""
    facts = {k: v for k, v in details.items() if k not in PERSONAL}
    facts.update({k: lead.get(k) for k in LEAD_COLUMNS})
    first, last = lead.get("first_time"), lead.get("last_time")
    facts.update(first_date=_date(first), last_date=_date(last), first_at=_date(first, MINUTE),
                 last_at=_date(last, MINUTE), first_month=_date(first, "%Y-%m"),
                 scenario_name=scenario_name(str(lead.get("scenario") or "")))
    for key, value in (own or {}).items():
        facts[key] = _date(value) if isinstance(value, datetime) else value
    return facts


def happened(lead: dict, facts: dict, role: str) -> str:
    """What the data shows, in Chinese, for the institution in ``role`` (``main`` or ``involved``)."""
    spec = texts()["happened"].get(lead.get("rule_id")) or texts()["happened"]["default"]
    values = {k: (0 if v is None and k in ("amount", "event_count") else v) for k, v in facts.items()}
    try:
        text = _pick(spec, role).format(**values)
    except (KeyError, ValueError, TypeError):  # a fact the rule did not give: the span alone
        text = texts()["happened"]["default"]["any"].format(**values)
    for name, fragment in spec.get("fragments", {}).items():
        fragment = fragment if isinstance(fragment, str) else fragment.get(role) or fragment.get("any")
        if fragment and values.get(name) not in (None, "", 0):
            text += fragment.format(**values)
    return masked(text)


def to_check(scenario: str, role: str) -> str:
    """What the institution should check for a lead of ``scenario``, in Chinese."""
    return _pick(texts()["check"].get(scenario) or texts()["check"]["default"], role)


def masked(text: str) -> str:
    """``text`` with any pseudonym (full or shortened) replaced by a mask."""
    return _ANY_PSEUDONYM.sub("（参保人已隐去）", text)


def _pick(spec: dict, role: str) -> str:
    return spec.get(role) or spec["any"]


def _date(value, form: str = "%Y-%m-%d") -> str:
    return value.strftime(form) if isinstance(value, datetime) else ("" if value is None else str(value)[:10])

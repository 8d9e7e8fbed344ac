"""The analyses' declarations (``analyses.yaml``): parameters with ranges, the reductions' SQL and the
explanation templates, read once. Nothing about a threshold or a query lives in code.

>>> PARAMS["min_codes"].default, PARAMS["min_codes"].allowed()
(3, '2 – 10000')
>>> resolved({"resolution": "0.5"})["resolution"]
0.5
>>> sorted(placeholders(SQL["copy_sales"]))
['min_institutions', 'min_regions', 'window_days']
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib import resources

import yaml

from loaders.errors import BadInput
from workbench.params import Param, Value, declared_params, resolve

_PLACEHOLDER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def _declared() -> dict:
    text = resources.files("workbench.analytics").joinpath("analyses.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


_DECLARED = _declared()
#: Every analysis parameter by name.
PARAMS: dict[str, Param] = declared_params(_DECLARED["params"])
#: The reductions' SQL by name (DuckDB dialect, ``$name`` parameters).
SQL: dict[str, str] = dict(_DECLARED["sql"])
#: Explanation templates: ``{kind or role: {"zh": ..., "en": ...}}``.
EXPLANATIONS: dict[str, dict[str, str]] = dict(_DECLARED["explanations"])


def resolved(overrides: Mapping[str, object]) -> dict[str, Value]:
    """Every parameter's value (defaults, overridden and range-checked); an unknown name is bad input."""
    unknown = sorted(set(overrides) - set(PARAMS))
    if unknown:
        raise BadInput(f"analyse: 未知参数 / unknown parameter {unknown[0]!r}",
                       hint=f"parameters: {', '.join(sorted(PARAMS))}")
    values = resolve(PARAMS, overrides, "analyse")
    if values["method"] != "leiden" and values["objective"] != "modularity":
        raise BadInput(f"analyse: {values['method']} 只能按模块度划分 / {values['method']} optimises modularity only",
                       hint="add --param objective=modularity (and a resolution such as 1)")
    return values


def placeholders(sql: str) -> set[str]:
    """The ``$name`` parameters a statement uses."""
    return set(_PLACEHOLDER.findall(sql))


def bound(sql: str, params: Mapping[str, Value]) -> dict[str, Value]:
    """The parameters ``sql`` uses, with their values (DuckDB wants exactly those)."""
    return {name: params[name] for name in placeholders(sql)}

"""Named parameters with a declared range, as every threshold of the workbench has one (design rule 5):
a default, what it means, and the values it may take (``min`` and ``max`` for a number, ``choices`` for
text). Declarations (``workbench/screens/rules.yaml``, graph analytics) are checked when read; a value
given on the command line is checked before any work starts, and a bad one is bad input (exit 2) that
names the allowed values and the default.

>>> span = Param.declared("max_span_days", {"default": 365, "min": 1, "max": 3650, "doc": "days, at most"})
>>> span.parse("30"), span.allowed()
(30, '1 – 3650')
>>> span.parse("0")
Traceback (most recent call last):
...
loaders.errors.BadInput: 参数 max_span_days 应在 1 – 3650 之间 / parameter max_span_days must be within 1 – 3650, got '0' (默认 default 365: days, at most)
>>> Param.declared("prefix", {"default": "T", "choices": ["T", "Z"], "doc": "exempt"}).parse("Z")
'Z'
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from loaders.errors import BadInput

Value = int | float | str
#: What a declaration may say about a parameter.
DECLARATION_FIELDS = frozenset({"default", "doc", "min", "max", "choices", "below"})


@dataclass(frozen=True)
class Param:
    """A named threshold: its default (whose type every value must have), what it means, and its range:
    ``minimum``–``maximum`` (inclusive) for a number, ``choices`` for text; ``below``: another parameter
    of the same declaration that this one must stay below."""

    name: str
    default: Value
    doc: str
    minimum: int | float | None = None
    maximum: int | float | None = None
    choices: tuple[str, ...] = ()
    below: str | None = None

    @classmethod
    def declared(cls, name: str, spec: Mapping) -> Param:
        """A parameter from its declaration; ``ValueError`` unless the range is complete and holds the default."""
        unknown = set(spec) - DECLARATION_FIELDS
        if unknown:
            raise ValueError(f"parameter {name}: unknown fields {sorted(unknown)}")
        param = cls(name, spec["default"], spec.get("doc", ""), spec.get("min"), spec.get("max"),
                    tuple(spec.get("choices") or ()), spec.get("below"))
        param.check_declaration()
        return param

    @property
    def numeric(self) -> bool:
        return isinstance(self.default, int | float) and not isinstance(self.default, bool)

    def check_declaration(self) -> None:
        """``ValueError`` unless a number has a minimum and a maximum of its kind, text has choices, and
        the default is allowed."""
        if self.numeric:
            bounds = (self.minimum, self.maximum)
            if self.choices or not all(isinstance(b, int | float) and not isinstance(b, bool) for b in bounds):
                raise ValueError(f"parameter {self.name}: a number needs min and max (and no choices)")
            if not self.minimum <= self.default <= self.maximum:
                raise ValueError(f"parameter {self.name}: default {self.default} outside {self.allowed()}")
        elif isinstance(self.default, str):
            if not self.choices or self.minimum is not None or self.maximum is not None or self.below:
                raise ValueError(f"parameter {self.name}: text needs choices (and no min, max or below)")
            if self.default not in self.choices:
                raise ValueError(f"parameter {self.name}: default {self.default!r} not among {self.choices}")
        else:
            raise ValueError(f"parameter {self.name}: the default must be a number or text")

    def allowed(self) -> str:
        """The allowed values, as the error messages and docs show them."""
        if self.numeric:
            return f"{self.minimum} – {self.maximum}"
        return ", ".join(self.choices)

    def parse(self, text: object, owner: str = "") -> Value:
        """A value as the default's type, within the range; anything else is bad input (``owner``: the
        rule or analysis it belongs to, named in the message)."""
        value = self._typed(text, owner)
        if self.numeric and not self.minimum <= value <= self.maximum:
            raise self.refusal(f"应在 {self.allowed()} 之间 / parameter {self.name} must be within {self.allowed()}",
                               text, owner)
        if not self.numeric and value not in self.choices:
            raise self.refusal(f"应为 {self.allowed()} 之一 / parameter {self.name} must be one of {self.allowed()}",
                               text, owner)
        return value

    def _typed(self, text: object, owner: str) -> Value:
        kind = type(self.default)
        try:
            if kind is int:
                number = float(text)
                value = int(number) if number.is_integer() else int(str(text))
            else:
                value = kind(text)
        except (TypeError, ValueError, OverflowError):
            value = None
        if value is None or (kind is float and not math.isfinite(value)):
            raise self.refusal(f"应为{_KIND_ZH[kind]} / parameter {self.name} must be {_KIND_EN[kind]}", text, owner)
        return value

    def refusal(self, says: str, text: object, owner: str) -> BadInput:
        """Bad input about this parameter: what it must be, what was given, the default and meaning."""
        where = f"{owner}: " if owner else ""
        return BadInput(f"{where}参数 {self.name} {says}, got {text!r}", hint=f"默认 default {self.default}: {self.doc}")


_KIND_ZH = {int: "整数", float: "有限的数", str: "文本"}
_KIND_EN = {int: "a whole number", float: "a finite number", str: "text"}


def declared_params(specs: Mapping[str, Mapping] | None) -> dict[str, Param]:
    """Parameters by name from a declaration's ``params`` mapping; ``below`` must name another number.

    >>> sorted(declared_params({"a": {"default": 1, "min": 0, "max": 9, "below": "b"},
    ...                         "b": {"default": 5, "min": 1, "max": 9}}))
    ['a', 'b']
    """
    params = {name: Param.declared(name, spec) for name, spec in (specs or {}).items()}
    for param in params.values():
        if param.below is not None and (param.below not in params or not params[param.below].numeric):
            raise ValueError(f"parameter {param.name}: below {param.below!r} names no numeric parameter")
    return params


def resolve(params: Mapping[str, Param], overrides: Mapping[str, object], owner: str = "") -> dict[str, Value]:
    """Every parameter's value: the default, or the override of that name checked against its range;
    a parameter that must stay below another and does not is bad input.

    >>> spans = declared_params({"min_days": {"default": 7, "min": 0, "max": 90, "below": "max_days"},
    ...                          "max_days": {"default": 365, "min": 1, "max": 3650}})
    >>> resolve(spans, {"max_days": "30"})
    {'min_days': 7, 'max_days': 30}
    >>> resolve(spans, {"max_days": "5"}, "reflux")
    Traceback (most recent call last):
    ...
    loaders.errors.BadInput: reflux: 参数 min_days 须小于 max_days (5) / parameter min_days must be below max_days (5), got 7 (默认 default 7: )
    """
    values = {name: param.parse(overrides[name], owner) if name in overrides else param.default
              for name, param in params.items()}
    for param in params.values():
        if param.below is not None and not values[param.name] < values[param.below]:
            limit = f"{param.below} ({values[param.below]})"
            raise param.refusal(f"须小于 {limit} / parameter {param.name} must be below {limit}",
                                values[param.name], owner)
    return values

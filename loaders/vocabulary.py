"""The 进销存 vocabulary: field names, header aliases and interfaces, read once from ``fields.yaml``.

Everything that knows a field's name, a Chinese header or what an interface means asks this module;
nothing else spells those out.

>>> v = vocabulary()
>>> v.field_for_header("销售/退货时间"), v.field_for_header(" 追溯码 ")
('sel_retn_time', 'drug_trac_codg')
>>> v.family("3505A"), v.family("商品销售"), v.family("9999")
('3505', '3505', None)
>>> v.interfaces["3502"].time
'inv_chg_time'
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

_HEADER_NOISE = re.compile(r"[\s_\-（）()\[\]【】:：*]+")


@dataclass(frozen=True)
class Interface:
    """One interface family (3501–3507) and how its records are read."""

    family: str
    name_zh: str
    names: tuple[str, ...]
    nodes: tuple[str, ...]
    time: str | None
    quantity: str | None
    price: str | None
    event_type: str


@dataclass(frozen=True)
class TimeRange:
    """Plausible business times: from ``earliest`` to ``days_after_upload`` days after the upload (or the
    day of the run, when the upload time is absent or later).

    >>> r = vocabulary().business_time
    >>> r.latest(dt.datetime(2025, 6, 2, 1, 10), dt.date(2025, 12, 1))
    datetime.datetime(2026, 6, 3, 1, 10)
    >>> r.latest(None, dt.date(2025, 12, 1)) == r.latest(dt.datetime(9999, 1, 1), dt.date(2025, 12, 1))
    True
    """

    earliest: dt.datetime
    days_after_upload: int

    def run_latest(self, run_day: dt.date) -> dt.datetime:
        """The latest business time any record of a run on ``run_day`` may carry."""
        return dt.datetime.combine(run_day, dt.time()) + dt.timedelta(days=self.days_after_upload)

    def latest(self, upload_time: dt.datetime | None, run_day: dt.date) -> dt.datetime:
        """The latest business time of a record uploaded at ``upload_time``."""
        run = dt.datetime.combine(run_day, dt.time())
        return min(upload_time or run, run) + dt.timedelta(days=self.days_after_upload)


@dataclass(frozen=True)
class Vocabulary:
    """Field and interface declarations with the look-ups the readers need."""

    envelope_fields: tuple[str, ...]
    record_fields: tuple[str, ...]
    interfaces: dict[str, Interface]
    change_types: dict[str, str]
    delete_targets: dict[str, tuple[str, ...]]
    institution_letters: dict[str, str]
    event_types: tuple[str, ...]
    headers: dict[str, str]
    interface_names: dict[str, str]
    time_formats: tuple[str, ...]
    split_true: tuple[str, ...]
    business_time: TimeRange

    def field_for_header(self, header: object) -> str | None:
        """The NHSA field a table header names, or None when it names none."""
        return self.headers.get(normalize_header(header))

    def family(self, infno: object) -> str | None:
        """The interface family of an ``infno`` value (``3505A`` → ``3505``; Chinese names too)."""
        text = str(infno or "").strip()
        if text[:4] in self.interfaces and (len(text) == 4 or text[4:].isalpha()):
            return text[:4]
        return self.interface_names.get(normalize_header(text))

    @property
    def node_names(self) -> tuple[str, ...]:
        """Every record node name of format A, in declaration order."""
        seen: dict[str, None] = {}
        for interface in self.interfaces.values():
            seen.update(dict.fromkeys(interface.nodes))
        return tuple(seen)


@cache
def normalize_header(header: object) -> str:
    """Fold a header for matching: case, blanks, brackets and separators do not matter.

    >>> normalize_header(" Sel_Retn_Cnt "), normalize_header("销售/退货（数量）")
    ('selretncnt', '销售/退货数量')
    """
    return _HEADER_NOISE.sub("", str(header or "")).lower()


@cache
def declarations() -> dict:
    """``loaders/fields.yaml`` as parsed YAML (once per process)."""
    return yaml.safe_load(resources.files("loaders").joinpath("fields.yaml").read_text("utf-8"))


def event_column_specs() -> dict[str, list[str]]:
    """Canonical event columns: name → [DuckDB type, meaning], in order."""
    return declarations()["event_columns"]


@cache
def vocabulary() -> Vocabulary:
    """The vocabulary declared in ``loaders/fields.yaml``."""
    data = declarations()
    interfaces = {
        str(family): Interface(
            family=str(family),
            name_zh=spec["name_zh"],
            names=tuple(spec["names"]),
            nodes=tuple(spec["nodes"]),
            time=spec["time"],
            quantity=spec["quantity"],
            price=spec["price"],
            event_type=spec["event_type"],
        )
        for family, spec in data["interfaces"].items()
    }
    return Vocabulary(
        envelope_fields=tuple(data["envelope"]),
        record_fields=tuple(data["fields"]),
        interfaces=interfaces,
        change_types={str(k): v for k, v in data["change_types"].items()},
        delete_targets={str(k): tuple(v) for k, v in data["delete_targets"].items()},
        institution_letters=dict(data["institution_letters"]),
        event_types=tuple(data["event_types"]),
        headers=_header_index(data["envelope"] | data["fields"]),
        interface_names=_interface_name_index(interfaces),
        time_formats=tuple(data["time_formats"]),
        split_true=tuple(data["split_true"]),
        business_time=TimeRange(dt.datetime.fromisoformat(data["business_time"]["earliest"]),
                                int(data["business_time"]["days_after_upload"])),
    )


def _header_index(aliases: dict[str, list[str]]) -> dict[str, str]:
    """Map every folded alias (and the field code itself) to its field."""
    index: dict[str, str] = {}
    for field, names in aliases.items():
        for name in [field, *names]:
            index.setdefault(normalize_header(name), field)
    return index


def _interface_name_index(interfaces: dict[str, Interface]) -> dict[str, str]:
    index: dict[str, str] = {}
    for family, interface in interfaces.items():
        for name in [interface.name_zh, *interface.names]:
            index[normalize_header(name)] = family
    return index

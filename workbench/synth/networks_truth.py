"""``networks.csv``: the planted reflux rings, counterfeit clusters and brokers (expect=1: must be reported)
and their look-alikes (expect=0: must not be reported as a ring, cluster or broker), one row each.

>>> r = row("RING-01-SP", "broker", role="source_patient", entity_kind="person", entity="5001",
...         institutions=["P2", "H1", "P2"], persons=["5001"], codes=["8b", "8a"], zh="收药人", en="collector")
>>> r["expect"], r["institutions"], r["trace_codes"]
(1, 'H1|P2', '8a|8b')
>>> row("HEAVY-01", "lookalike", role="heavy_buyer")["expect"]
0
"""
from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

COLUMNS = ["network_id", "kind", "expect", "role", "entity_kind", "entity", "institutions", "persons",
           "trace_codes", "note_zh", "note_en"]
ROLES = {
    "reflux_ring": ("",), "counterfeit_cluster": ("",),
    "broker": ("source_patient", "reseller", "source_institution"),
    "lookalike": ("heavy_buyer", "chain_transfer_network", "single_reflux", "single_counterfeit"),
}


def _join(values: Iterable[str]) -> str:
    return "|".join(sorted(set(values)))


def row(network_id: str, kind: str, *, role: str = "", entity_kind: str = "", entity: str = "",
        institutions: Iterable[str] = (), persons: Iterable[str] = (), codes: Iterable[str] = (),
        zh: str = "", en: str = "") -> dict:
    """One row; look-alikes are expect=0, everything else expect=1; lists are sorted and ``|``-joined."""
    assert role in ROLES[kind], (kind, role)
    return {
        "network_id": network_id, "kind": kind, "expect": 0 if kind == "lookalike" else 1, "role": role,
        "entity_kind": entity_kind, "entity": entity, "institutions": _join(institutions),
        "persons": _join(persons), "trace_codes": _join(codes), "note_zh": zh, "note_en": en,
    }


def write(path: Path, rows: list[dict]) -> None:
    """UTF-8 CSV with a header row, rows in order of ``network_id``."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(sorted(rows, key=lambda r: r["network_id"]))


def read(path: Path) -> list[dict]:
    """The rows of a networks.csv (all values as strings)."""
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def counts(rows: list[dict]) -> dict[str, int]:
    """Rows per kind (for the summary).

    >>> counts([{"kind": "broker"}, {"kind": "broker"}, {"kind": "lookalike"}])
    {'broker': 2, 'lookalike': 1}
    """
    out: dict[str, int] = {}
    for r in rows:
        out[r["kind"]] = out.get(r["kind"], 0) + 1
    return dict(sorted(out.items()))

"""``truth.csv``: every planted case (expect_lead=1) and legitimate-repeat trap (expect_lead=0), one row per
code for code-level cases. A ring's boxes that go further than one resale have kinds of their own
(``NETWORK``): ``reflux_resold`` (sold again at a second pharmacy: both resales are reflux leads) and
``reflux_transfer`` (moved on by a 3502 transfer, then sold: the transfer in hides it from the code-level
screens, expect_lead=0; only the ring analysis ties it to its ring, see ``networks.csv``).

>>> r = row("SUB-01", "substitution", 1, trace_code="86000010000000000001", first=0, last=86400, count=4)
>>> r["first_time"], r["last_time"], r["scenario"]
('2025-01-01 00:00:00', '2025-01-02 00:00:00', 'substitution')
"""
from __future__ import annotations

import csv
from pathlib import Path

from . import clock

COLUMNS = ["case_id", "kind", "expect_lead", "scenario", "trace_code", "institution_code", "institutions",
           "med_list_codg", "psn_no", "first_time", "last_time", "event_count", "note_zh", "note_en"]
SCENARIOS = ("substitution", "reflux", "phantom_sale", "counterfeit", "collection_gap", "repeat")
TRAPS = {
    "split_sale": "substitution", "return_resale": "substitution", "chain_transfer": "counterfeit",
    "double_upload": "substitution", "settlement_reversal": "substitution", "case_unit": "substitution",
    "delete_3507": "substitution", "exempt_item": "collection_gap",
    "return_transfer": "repeat", "return_resale_elsewhere": "repeat",
}
NETWORK = {"reflux_resold": "reflux", "reflux_transfer": "reflux"}


def row(case_id: str, kind: str, expect: int, *, scenario: str = "", trace_code: str = "", inst: str = "",
        insts: list[str] | tuple[str, ...] = (), med: str = "", psn: str = "", first: int | None = None,
        last: int | None = None, count: int = 0, zh: str = "", en: str = "") -> dict:
    """One truth row (``scenario`` defaults to the kind for cases, to the look-alike for traps and to the
    scenario whose screen reads them for a ring's further boxes)."""
    scenario = scenario or (kind if kind in SCENARIOS else TRAPS.get(kind) or NETWORK[kind])
    return {
        "case_id": case_id, "kind": kind, "expect_lead": expect, "scenario": scenario, "trace_code": trace_code,
        "institution_code": inst, "institutions": "|".join(insts or ([inst] if inst else [])),
        "med_list_codg": med, "psn_no": psn, "first_time": "" if first is None else clock.fmt(first),
        "last_time": "" if last is None else clock.fmt(last), "event_count": count, "note_zh": zh, "note_en": en,
    }


def write(path: Path, rows: list[dict]) -> None:
    """UTF-8 CSV with a header row."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def read(path: Path) -> list[dict]:
    """The rows of a truth.csv (all values as strings)."""
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))

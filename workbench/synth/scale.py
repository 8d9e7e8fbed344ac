"""Scale presets: how big the normal background is (the planted cases never change with scale).

>>> s = resolve("demo")
>>> s.name, s.n_months, s.extra_pharmacies
('demo', 6, 0)
>>> big = resolve(20_000_000)
>>> big.n_months, big.extra_pharmacies > 200
(12, True)
>>> resolve(1_000_000).target
1000000
"""
from __future__ import annotations

import math
from dataclasses import dataclass

PRESETS = {"tiny": 3_000, "demo": 50_000}
#: Records a generated district may be asked for (ten times the screens benchmark's ten million at most).
MIN_RECORDS, MAX_RECORDS = 1_000, 100_000_000


@dataclass(frozen=True)
class Scale:
    name: str
    target: int  # approximate number of interface records
    n_months: int  # months of data from 2025-04
    extra_pharmacies: int  # Jiangjin pharmacies beyond the fixed 30
    extra_clinics: int
    extra_hospitals: int


def resolve(scale: str | int) -> Scale:
    """Turn ``"tiny"``, ``"demo"`` or an approximate record count into a :class:`Scale`."""
    if isinstance(scale, str) and scale.isdigit():
        scale = int(scale)
    if isinstance(scale, str):
        if scale not in PRESETS:
            raise ValueError(f"unknown scale {scale!r}: use 'tiny', 'demo' or a record count")
        return Scale(scale, PRESETS[scale], 6, 0, 0, 0)
    target = int(scale)
    if not MIN_RECORDS <= target <= MAX_RECORDS:
        raise ValueError(f"scale {target} outside {MIN_RECORDS}–{MAX_RECORDS} records (or 'tiny', 'demo')")
    n_months = 6 if target <= 3_000_000 else 12
    ratio = target / PRESETS["demo"] / (n_months / 6)
    extra = 0 if ratio <= 1 else min(270, round(30 * math.sqrt(ratio)) - 30)
    return Scale(str(target), target, n_months, extra, extra // 8, extra // 30)

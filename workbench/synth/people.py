"""Synthetic insured persons: ``psn_no`` (26 digits, region first), well-formed 18-char ``certno``, names.

A person is a pure function of (seed key, region, index), so pools of any size cost no memory; a bounded
cache keeps the frequent ones.

>>> p = People(7)
>>> psn_no, certno, name = p.person("500116", 42)
>>> len(psn_no), psn_no[:6], len(certno), certno_valid(certno)
(26, '500116', 18, True)
>>> p.person("500116", 42) == People(7).person("500116", 42)
True
"""
from __future__ import annotations

from bisect import bisect_right
from datetime import date, timedelta
from itertools import accumulate

from .names import CERT_AREAS, GIVEN_CHARS, SURNAME_WEIGHTS, SURNAMES

MASK = (1 << 64) - 1
_CUM = list(accumulate(SURNAME_WEIGHTS))
_BIRTH0 = date(1938, 1, 1)
_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def mix64(x: int) -> int:
    """splitmix64 finaliser: a fixed, well-spread 64-bit mixing of an integer.

    >>> mix64(1) != mix64(2)
    True
    """
    x = (x + 0x9E3779B97F4A7C15) & MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def cert_check(body17: str) -> str:
    """ISO 7064 MOD 11-2 check character of a resident ID number.

    >>> cert_check("11010519491231002")
    'X'
    """
    return "10X98765432"[sum(int(c) * w for c, w in zip(body17, _W, strict=True)) % 11]


def certno_valid(certno: str) -> bool:
    """True for an 18-char ID number with a correct check character."""
    return len(certno) == 18 and certno[:17].isdigit() and cert_check(certno[:17]) == certno[17]


def chinese_name(h: int) -> str:
    """A plausible Chinese personal name chosen by the bits of ``h``."""
    s = SURNAMES[bisect_right(_CUM, (h & 0xFFFF) / 65536 * _CUM[-1])]
    g1 = GIVEN_CHARS[(h >> 16) % len(GIVEN_CHARS)]
    if (h >> 40) % 10 < 3:
        return s + g1
    return s + g1 + GIVEN_CHARS[(h >> 24) % len(GIVEN_CHARS)]


class People:
    """Deterministic person factory for one district world."""

    def __init__(self, key: int, cache_size: int = 60_000):
        self.key = mix64(key)
        self.cache_size = cache_size
        self._cache: dict[tuple[str, int], tuple[str, str, str]] = {}

    def person(self, region: str, i: int) -> tuple[str, str, str]:
        """``(psn_no, certno, psn_name)`` of person ``i`` insured in ``region``."""
        got = self._cache.get((region, i))
        if got is None:
            if len(self._cache) >= self.cache_size:
                self._cache.clear()
            got = self._cache[(region, i)] = self._make(region, i)
        return got

    def _make(self, region: str, i: int) -> tuple[str, str, str]:
        h1 = mix64(self.key ^ (int(region) << 32) ^ i)
        h2 = mix64(h1)
        psn_no = f"{region}{h1 % 10**20:020d}"
        areas = CERT_AREAS.get(region, [region])
        birth = _BIRTH0 + timedelta(days=h2 % 28_000)
        seq = (h2 >> 20) % 1000
        body = f"{areas[(h2 >> 40) % len(areas)]}{birth:%Y%m%d}{seq:03d}"
        return psn_no, body + cert_check(body), chinese_name(mix64(h2))

    def staff_name(self, inst_code: str, i: int) -> str:
        """Name of staff member ``i`` of an institution (operators, pharmacists, doctors)."""
        return chinese_name(mix64(self.key ^ int(inst_code[1:]) * 131 + i))

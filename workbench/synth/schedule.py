"""Events waiting for their institution-month: planted cases, traps, carried-over returns and transfers.

>>> from .records import Ev
>>> s = Schedule([90, 120, 151])
>>> s.add("P1", Ev(95 * 86400, "3505", {}))
>>> s.add("P1", Ev(95 * 86400, "3505", {}), month=1)
>>> len(s.pop("P1", 0)), len(s.pop("P1", 1)), s.month_of(150 * 86400)
(1, 1, 1)
"""
from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict

from .clock import DAY
from .records import Ev


class Schedule:
    """Events keyed by (institution code, month index)."""

    def __init__(self, month_days: list[int]):
        self.month_days = month_days
        self.by: dict[tuple[str, int], list[Ev]] = defaultdict(list)

    def month_of(self, t: int) -> int:
        """Index of the month holding business time ``t`` (-1 before the window, n after it)."""
        return bisect_right(self.month_days, t // DAY) - 1

    def add(self, inst: str, ev: Ev, month: int | None = None) -> None:
        m = self.month_of(ev.t) if month is None else month
        if 0 <= m < len(self.month_days) - 1:
            self.by[(inst, m)].append(ev)

    def pop(self, inst: str, month: int) -> list[Ev]:
        return self.by.pop((inst, month), [])

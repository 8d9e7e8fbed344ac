"""The normal flow of one institution, month by month: start inventory, purchases, sales, the odd return,
loss or delete. Every box is sold at most once. Planted and carried-over events are merged in business-time
order, so ids (``fixmedins_bchno``, settlement and receipt numbers) grow with time like a real HIS's.
"""
from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field

import numpy as np

from . import clock
from .clock import DAY, HOUR, MINUTE
from .records import Desk, Ev
from .schedule import Schedule
from .stock import Stock
from .styles import Style
from .world import Institution, World

QTY_P = (np.array([1, 2, 3, 4, 6]), np.cumsum([0.72, 0.19, 0.06, 0.02, 0.01]))
QTY_H = (np.array([1, 2, 3, 4, 6, 10]), np.cumsum([0.45, 0.25, 0.12, 0.08, 0.06, 0.04]))
HOURS_P = (np.arange(8, 22), np.array([6, 9, 10, 9, 7, 6, 7, 8, 9, 10, 11, 9, 6, 3], float))
HOURS_H = (np.arange(8, 18), np.array([12, 14, 13, 10, 5, 8, 10, 9, 6, 3], float))
WEEK_P = np.array([1.0, 0.97, 0.98, 1.0, 1.05, 1.18, 1.12])
WEEK_H = np.array([1.2, 1.1, 1.05, 1.0, 1.0, 0.55, 0.4])
COUNTER_SPAN = 10**9  # background box counters of institution i start at (i + 1) * COUNTER_SPAN


@dataclass
class Shared:
    """What all institutions' generators share."""

    world: World
    schedule: Schedule
    gap: dict[str, list] = field(default_factory=dict)  # institution → [records without code, first, last]


def month_index(day: int) -> int:
    """Months since 2023-01 of a day index (lots are numbered this way).

    >>> month_index(clock.day_of(clock.date_of_day(0)))
    24
    """
    d = clock.date_of_day(day)
    return (d.year - 2023) * 12 + d.month - 1


class Runner:
    """Generator and state (shelf, ids, random stream) of one institution."""

    def __init__(self, inst: Institution, idx: int, style: Style, sh: Shared, bills_per_day: float,
                 rng: np.random.Generator):
        self.inst, self.style, self.sh, self.w, self.rng = inst, style, sh, sh.world, rng
        self.desk = Desk(inst, sh.world, style)
        self.stock = Stock()
        self.exclude: set[int] = set()
        self.gap_from: int | None = None
        self.gap_rate = 0.0
        self.started = False
        hosp = inst.type != "pharmacy"
        self.qty = QTY_H if hosp else QTY_P
        hrs, hw = HOURS_H if hosp else HOURS_P
        self.hours, self.hcum = hrs, np.cumsum(hw / hw.sum())
        self.week = WEEK_H if hosp else WEEK_P
        self.items_n, self.items_p = (3, 0.25) if hosp else (2, 0.2)
        self.lam = bills_per_day * inst.weight
        share = np.diff(np.concatenate([[0.0], inst.pcum]))
        q_mean = float(np.diff(np.concatenate([[0.0], self.qty[1]])) @ self.qty[0])
        per_day = self.lam * (1 + self.items_n * self.items_p) * q_mean
        self.mu = {int(p): float(s) * per_day for p, s in zip(inst.products, share, strict=True)}
        self.cover = 18 + int(inst.num % 17)
        self.min_order = 20 if hosp else 10
        self.c_base = (idx + 1) * COUNTER_SPAN
        self.c_next: dict[int, int] = {}
        self.cur_month = 0
        self.out: list[Ev] = []
        self.heap: list = []
        self.seq = 0
        self.upload_day, self.upload_n, self.buy_day, self.buy_n = -1, 0, -1, 0
        self.delays: list[int] = []

    # ---- emission ----------------------------------------------------------------------------------
    def emit(self, ev: Ev) -> None:
        """Number ``ev``, stamp its upload time and add it to this month's output."""
        self.desk.assign(ev)
        if ev.inf_t is None:
            if self.style.upload == "nightly":
                day = ev.t // DAY
                if day != self.upload_day:
                    self.upload_day, self.upload_n = day, 0
                self.upload_n += 1
                ev.inf_t = (day + 1) * DAY + HOUR + (self.inst.num % 50) * MINUTE + 2 * self.upload_n
            else:
                ev.inf_t = ev.t + self.delays[len(self.out) % len(self.delays)]
        self.out.append(ev)

    def flush(self, t: int) -> None:
        """Emit waiting events with business time up to ``t``."""
        heap = self.heap
        while heap and heap[0][0] <= t:
            self.emit(heapq.heappop(heap)[2])

    def later(self, ev: Ev) -> None:
        """An event after the current moment: wait in this month's queue or in a later month's schedule."""
        if self.sh.schedule.month_of(ev.t) == self.cur_month:
            heapq.heappush(self.heap, (ev.t, self.seq, ev))
            self.seq += 1
        else:
            self.sh.schedule.add(self.inst.code, ev)

    # ---- shelf -------------------------------------------------------------------------------------
    def alloc(self, pi: int, n: int) -> int:
        c0 = self.c_next.get(pi, self.c_base)
        self.c_next[pi] = c0 + n
        return c0

    def _lot_k(self, day: int) -> int:
        return month_index(day) - 2 - (day // 9) % 3

    def opening(self, day: int) -> None:
        """Start inventory (3501) on the first day of uploads, codes on every counted box."""
        prods = sorted((set(self.mu) | {p for p, n in self.stock.reserve.items() if n}) - self.exclude)
        for k, pi in enumerate(prods):
            expect = self.mu.get(pi, 0.0) * self.rng.uniform(12, 25)
            if expect < 1.0 and not self.stock.reserve[pi]:
                continue  # slow movers are bought when first asked for
            n = max(2, round(expect)) + self.stock.reserve[pi]
            c0 = self.alloc(pi, n)
            lot_k = self._lot_k(day) - 3
            self.stock.add(pi, c0, n, lot_k)
            p = self.w.products[pi]
            lot = p.lot(lot_k)
            codes = [] if p.exempt else self.desk.render(p, list(range(c0, c0 + n)), lot)
            t = day * DAY + 6 * HOUR + 20 * k
            self.flush(t)
            self.emit(self.desk.inventory(t, pi, n, codes, lot))
        self.started = True

    def restock(self, day: int, pi: int, need: int) -> None:
        """Buy (3503, before opening) when a sale would eat into the shelf; rarely return some (3504)."""
        st = self.stock
        q = max(need - st.available(pi), math.ceil(self.mu.get(pi, 0.0) * self.cover), self.min_order)
        q = 5 * math.ceil(q / 5)
        back = 1 + day % 3 if q >= 10 and (day * 7 + pi) % 53 == 0 else 0  # 近效期/破损 back to supplier
        q += back
        lot_k = self._lot_k(day)
        st.add(pi, self.alloc(pi, q), q, lot_k)
        if day != self.buy_day:
            self.buy_day, self.buy_n = day, 0
        self.buy_n += 1
        t = day * DAY + 6 * HOUR + 30 * MINUTE + 41 * self.buy_n
        sup = self.inst.suppliers[(day + pi) % len(self.inst.suppliers)]
        ev = self.desk.purchase(t, pi, q, self.w.products[pi].lot(lot_k), sup)
        self.emit(ev)
        if back:
            st.take_last(pi, back)
            self.later(self.desk.purchase_return(t + (2 + day % 6) * DAY + 3 * HOUR, ev, back))

    # ---- month -------------------------------------------------------------------------------------
    def month(self, m: int, day0: int, day1: int, planned: list[Ev]) -> list[Ev]:
        """All events of month ``m`` (days ``day0`` … ``day1 - 1``), numbered, in upload order."""
        self.cur_month, self.out = m, []
        self.heap = [(ev.t, k, ev) for k, ev in enumerate(planned)]
        heapq.heapify(self.heap)
        self.seq = len(planned)
        self.delays = self.rng.integers(3, 900, 997).tolist()
        first = max(day0, self.inst.start_day)
        if first < day1:
            if not self.started:
                self.opening(first)
            self.days(first, day1)
        self.flush(1 << 62)
        out, self.out = self.out, []
        out.sort(key=_by_inf)
        return out

    def days(self, first: int, end: int) -> None:
        """Background events of days ``first`` … ``end - 1``."""
        from .sales import day_loop

        day_loop(self, first, end)


def _by_inf(ev: Ev) -> int:
    return ev.inf_t

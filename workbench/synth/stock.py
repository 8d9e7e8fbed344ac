"""Coded boxes on an institution's shelf, and the district-wide box counters.

>>> s = Stock()
>>> s.add(3, 100, 4, 20)
>>> s.take(3, 3)
([100, 101, 102], 20)
>>> s.available(3), s.take_last(3, 1)
(1, ([103], 20))
>>> s.reserve[3] = 1
>>> s.available(3)
-1
"""
from __future__ import annotations

from collections import defaultdict, deque

from .codes import PLAN_BASE


class Counters:
    """Next free box counter per (product, packaging level); planted boxes use a separate range.

    >>> c = Counters()
    >>> c.alloc(1, 5), c.alloc(1, 2), c.alloc(1, 1, planted=True)
    (0, 5, 6000000000000)
    """

    def __init__(self):
        self.next: dict[tuple[int, int, bool], int] = {}

    def alloc(self, pi: int, n: int, level: int = 0, planted: bool = False) -> int:
        key = (pi, level, planted)
        c0 = self.next.get(key, PLAN_BASE if planted else 0)
        self.next[key] = c0 + n
        return c0


class Stock:
    """FIFO shelf per product: runs of consecutive box counters with their manufacturing lot."""

    def __init__(self):
        self.q: dict[int, deque] = defaultdict(deque)
        self.count: dict[int, int] = defaultdict(int)
        self.reserve: dict[int, int] = defaultdict(int)  # boxes kept back to cover planted events

    def add(self, pi: int, c0: int, n: int, lot_k: int) -> None:
        if n > 0:
            self.q[pi].append([c0, c0 + n, lot_k])
            self.count[pi] += n

    def add_boxes(self, pi: int, counters: list[int], lot_k: int) -> None:
        for c in counters:
            self.add(pi, c, 1, lot_k)

    def available(self, pi: int) -> int:
        return self.count[pi] - self.reserve[pi]

    def take(self, pi: int, n: int) -> tuple[list[int], int]:
        """Oldest ``n`` boxes (caller checked availability) and the lot of the first one."""
        q = self.q[pi]
        run = q[0]
        lot = run[2]
        if run[1] - run[0] > n:
            c0 = run[0]
            run[0] += n
            self.count[pi] -= n
            return list(range(c0, c0 + n)), lot
        out: list[int] = []
        while len(out) < n:
            run = q[0]
            k = min(n - len(out), run[1] - run[0])
            out.extend(range(run[0], run[0] + k))
            run[0] += k
            if run[0] == run[1]:
                q.popleft()
        self.count[pi] -= n
        return out, lot

    def take_last(self, pi: int, n: int) -> tuple[list[int], int]:
        """Newest ``n`` boxes (for returns to the supplier and transfers)."""
        q = self.q[pi]
        out: list[int] = []
        lot = q[-1][2]
        while len(out) < n:
            run = q[-1]
            k = min(n - len(out), run[1] - run[0])
            out.extend(range(run[1] - k, run[1]))
            run[1] -= k
            if run[0] == run[1]:
                q.pop()
        self.count[pi] -= n
        return out, lot

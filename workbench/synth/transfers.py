"""Everyday transfers between stores of one chain (3502 调拨出库 102 at A, 调拨入库 101 at B).

Boxes leave A's shelf when the month starts (A keeps them back until the transfer) and reach B's shelf
when the month is over, so B sells them from the next month on: no box is ever sold twice.
"""
from __future__ import annotations

import numpy as np

from .background import Runner, Shared
from .clock import DAY, HOUR, MINUTE


def chain_transfers(runners: list[Runner], sh: Shared, rngs: dict[str, np.random.Generator], day0: int,
                    day1: int) -> list[tuple]:
    """Schedule this month's transfers (one random stream per chain); return the shelf additions to
    apply at month end."""
    chains: dict[str, list[Runner]] = {}
    for r in runners:
        if r.inst.chain and r.inst.start_day < day0:
            chains.setdefault(r.inst.chain, []).append(r)
    pending = []
    for chain, stores in sorted(chains.items()):
        if len(stores) < 2:
            continue
        for _ in range(1 + len(stores) // 3):
            pending += _one(stores, sh, rngs[chain], day0, day1)
    return pending


def _one(stores: list[Runner], sh: Shared, rng: np.random.Generator, day0: int, day1: int) -> list[tuple]:
    a, b = (stores[int(i)] for i in rng.choice(len(stores), 2, replace=False))
    prods = [int(p) for p in a.inst.products if int(p) not in a.exclude and int(p) not in b.exclude
             and not sh.world.products[int(p)].exempt and a.stock.available(int(p)) >= 8]
    if not prods:
        return []
    pi = prods[int(rng.integers(len(prods)))]
    k = int(rng.integers(2, 7))
    counters, lot_k = a.stock.take_last(pi, k)
    p = sh.world.products[pi]
    lot = p.lot(lot_k)
    t = (day0 + int(rng.integers(5, max(6, day1 - day0 - 3)))) * DAY + 15 * HOUR + int(rng.integers(0, 3 * HOUR))
    out_ev = a.desk.stock_change(t, pi, "102", k, a.desk.render(p, counters, lot), lot)
    in_ev = b.desk.stock_change(t + 2 * HOUR + int(rng.integers(0, 90)) * MINUTE, pi, "101", k,
                                b.desk.render(p, counters, lot), lot)
    out_ev.rec["memo"] = f"调往{b.inst.name}"
    in_ev.rec["memo"] = f"调自{a.inst.name}"
    sh.schedule.add(a.inst.code, out_ev)
    sh.schedule.add(b.inst.code, in_ev)
    return [(b, pi, counters, lot_k)]


def apply(pending: list[tuple]) -> None:
    """Put transferred boxes on the receiving shelves."""
    for runner, pi, counters, lot_k in pending:
        runner.stock.add_boxes(pi, counters, lot_k)

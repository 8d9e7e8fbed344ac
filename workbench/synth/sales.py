"""The hot loop: a month of counter sales of one institution, drawn in bulk with numpy and emitted in
business-time order (planted events waiting in the runner's queue are emitted at their moment)."""
from __future__ import annotations

import numpy as np

from .clock import DAY, HOUR, MINUTE
from .records import NO_PERSON


def _draw(r, first: int, end: int):
    rng, inst = r.rng, r.inst
    nb = rng.poisson(r.lam * r.week[(np.arange(first, end) + 2) % 7])
    n_b = int(nb.sum())
    items = 1 + rng.binomial(r.items_n, r.items_p, n_b)
    n_i = int(items.sum())
    prods = inst.products[np.minimum(np.searchsorted(inst.pcum, rng.random(n_i)), len(inst.products) - 1)]
    qv, qc = r.qty
    qty = qv[np.minimum(np.searchsorted(qc, rng.random(n_i)), len(qv) - 1)]
    day = np.repeat(np.arange(first, end), nb)
    secs = r.hours[np.searchsorted(r.hcum, rng.random(n_b))] * HOUR + rng.integers(0, HOUR - 60, n_b)
    t = np.sort(day * DAY + secs)  # bills are exchangeable: sorted times keep each day's bills in order
    pat = (r.w.pool[inst.region] * rng.random(n_b) ** 1.7).astype(np.int64)
    ins = rng.random(n_b) < (0.9 if inst.type == "pharmacy" else 0.97)
    starts = np.concatenate([[0], np.cumsum(items)])
    return (nb.tolist(), t.tolist(), starts.tolist(), prods.tolist(), qty.tolist(), pat.tolist(), ins.tolist(),
            rng.random(n_i).tolist(), rng.random(end - first).tolist())


def day_loop(r, first: int, end: int) -> None:
    """Emit the background of days ``first`` … ``end - 1`` into runner ``r``."""
    nb, t_b, starts, prods, qty, pat, ins, rare, loss = _draw(r, first, end)
    people, region, heap = r.w.people, r.inst.region, r.heap
    gap_from = r.gap_from if r.gap_from is not None else 1 << 62
    items = (starts, prods, qty, rare)
    b0 = 0
    for d in range(end - first):
        day = first + d
        b1 = b0 + nb[d]
        for b in range(b0, b1):
            t = t_b[b]
            if heap and heap[0][0] <= t:
                r.flush(t)
            insured = ins[b]
            person = people.person(region, pat[b]) if insured else NO_PERSON
            _bill(r, day, t, b, insured, person, insured and t >= gap_from, items)
        b0 = b1
        if loss[d] < 0.012:
            _loss(r, day)


def _bill(r, day: int, t: int, b: int, insured: bool, person: tuple, gap: bool, items) -> None:
    """One customer's bill: a 3505 per product, each box's code taken off the shelf."""
    starts, prods, qty, rare = items
    desk, stock, products, excl = r.desk, r.stock, r.w.products, r.exclude
    avail, reserve = stock.count, stock.reserve
    bill = desk.bill_now(insured, t)
    seen = []
    j0 = starts[b]
    for j in range(j0, starts[b + 1]):
        pi = prods[j]
        if pi in excl or pi in seen:
            continue
        seen.append(pi)
        q = qty[j]
        if avail[pi] - reserve[pi] < q:
            r.restock(day, pi, q)
        counters, lot_k = stock.take(pi, q)
        p = products[pi]
        lot = p.lot(lot_k)
        if p.exempt:
            codes = []
        elif gap and rare[j] > 1.0 - r.gap_rate:
            codes = []
            _gap_hit(r, t)
        else:
            codes = desk.render(p, counters, lot)
        ev = desk.sale_now(t + 9 * (j - j0), pi, codes, q, person, bill, lot)
        r.emit(ev)
        if rare[j] < 0.0055:
            _rare(r, ev, t, rare[j], r.style.deletes_ok)


def _rare(r, ev, t: int, x: float, deletes_ok: bool) -> None:
    if x < 0.004:  # the customer comes back within three days, during opening hours
        back = (t // DAY + int(x * 1e6) % 4) * DAY + 9 * HOUR + int(x * 1e9) % (11 * HOUR)
        r.later(r.desk.sale_return(max(back, t + 1800), ev))
    elif deletes_ok:
        r.later(r.desk.delete(t + 300 + int(x * 1e9) % 5400, ev))


def _gap_hit(r, t: int) -> None:
    g = r.sh.gap.setdefault(r.inst.code, [0, t, t])
    g[0] += 1
    g[2] = t


def _loss(r, day: int) -> None:
    """盘损 (3502 type 104): one damaged box written off in the evening."""
    prods = r.inst.products
    pi = int(prods[(day * 13) % len(prods)])
    p = r.w.products[pi]
    if pi in r.exclude or p.exempt or r.stock.available(pi) <= 3:
        return
    counters, lot_k = r.stock.take_last(pi, 1)
    lot = p.lot(lot_k)
    t = day * DAY + 21 * HOUR + 40 * MINUTE + (day * 61) % 1200
    r.flush(t)
    r.emit(r.desk.stock_change(t, pi, "104", 1, r.desk.render(p, counters, lot), lot))

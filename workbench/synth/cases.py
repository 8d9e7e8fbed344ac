"""Planted fraud: 串换 substitution, 回流 reflux, 空刷 phantom sales, 假药 counterfeit, 采集不规范 gaps.

Every case is recorded in truth.csv with expect_lead=1 (one row per code for code-level cases).
"""
from __future__ import annotations

from .clock import DAY, HOUR, MINUTE
from .names import REGIONS
from .plan import Ctx
from .world import HOME, Institution, Product

N_SUBST, N_REFLUX_SINGLE, N_PHANTOM, N_COUNTERFEIT = 5, 3, 3, 4


def plant(ctx: Ctx) -> None:
    for k, inst in enumerate(ctx.roles.subst[:N_SUBST]):
        substitution(ctx, f"SUB-{k + 1:02d}", inst, mismatch=k < 3)
    reflux_ring(ctx, "REF-01")
    for k, inst in enumerate(ctx.roles.reflux[:N_REFLUX_SINGLE]):
        reflux_single(ctx, f"REF-{k + 2:02d}", inst)
    for k, inst in enumerate(ctx.roles.phantom[:N_PHANTOM]):
        phantom(ctx, f"PHA-{k + 1:02d}", inst)
    for k in range(N_COUNTERFEIT):
        counterfeit(ctx, f"CFT-{k + 1:02d}", gs1=k == 0)
    collection_gaps(ctx)


def substitution(ctx: Ctx, case_id: str, inst: Institution, mismatch: bool) -> None:
    """One code settled 4–15 times at one pharmacy; with ``mismatch`` the code is a cheap drug's."""
    settled = ctx.pick(ctx.products(inst, price=(25, 500)))
    code_p = ctx.pick([p for p in ctx.products(inst, price=(0, 16)) if p is not settled]) if mismatch else settled
    k = int(ctx.rng.integers(4, 16))
    d0 = ctx.day(inst, 5, 70)
    days = sorted(d0 + int(x) for x in ctx.rng.integers(0, int(ctx.rng.integers(7, 60)), k))
    c = ctx.boxes(code_p, 1)
    times = []
    for day, person in zip(days, ctx.person(inst.region, k), strict=True):
        t = ctx.t(day)
        times.append(t)
        ctx.sale(inst, t, code_p, ctx.render(inst, code_p, c, d0), 1, person, settled_as=settled)
    zh = f"同一追溯码在{inst.name}被{k}名参保人重复结算{k}次"
    en = f"one code settled {k} times to {k} persons at {inst.code}"
    if mismatch:
        zh += f"；码属{code_p.drug.name}，却按{settled.drug.name}结算"
        en += f"; the code belongs to {code_p.code}, settled as {settled.code}"
    ctx.row(case_id, "substitution", 1, trace_code=ctx.canon(code_p, c[0]), inst=inst.code, med=settled.code,
            first=min(times), last=max(times), count=k, zh=zh, en=en)


def _reflux_code(ctx: Ctx, case_id: str, hosp: Institution, pharm: Institution, p: Product, patient,
                 t_h: int, gap_days: int, codes: list[int]) -> None:
    t_p = ctx.t(t_h // DAY + gap_days)
    for c in codes:
        ctx.sale(pharm, t_p, p, ctx.render(pharm, p, [c], t_p // DAY), 1)
        t_p += int(ctx.rng.integers(5, 40)) * MINUTE
        ctx.row(case_id, "reflux", 1, trace_code=ctx.canon(p, c), inst=pharm.code, insts=[hosp.code, pharm.code],
                med=p.code, psn=patient[0], first=t_h, last=t_p, count=2,
                zh=f"{hosp.name}发给参保人{patient[2]}的{p.drug.name}，{gap_days}天后在{pharm.name}再次销售",
                en=f"dispensed at {hosp.code} to {patient[0]}, sold again at {pharm.code} {gap_days} days later")


def _hospital_box(ctx: Ctx, pharm: Institution, latest_day: int) -> tuple[Institution, Product]:
    hosps = [h for h in ctx.roles.hospitals if h.start_day < latest_day]
    for _ in range(50):
        hosp = ctx.pick(hosps)
        both = [p for p in ctx.products(hosp, jicai=True) if p in ctx.products(pharm, jicai=True)]
        if both:
            return hosp, ctx.pick(both)
    raise RuntimeError("no 集采 product shared by a hospital and the reselling pharmacy")


def _hospital_sale(ctx: Ctx, hosp: Institution, p: Product, n: int, resale_room: int):
    day = int(ctx.rng.integers(max(ctx.first, hosp.start_day) + 1, ctx.end - resale_room))
    patient = ctx.person(HOME)
    t_h = ctx.t(day, 8, 12)
    c = ctx.boxes(p, n)
    ctx.sale(hosp, t_h, p, ctx.render(hosp, p, c, day), n, patient)
    return patient, t_h, c


def reflux_ring(ctx: Ctx, case_id: str) -> None:
    """A broker ring: several patients' hospital boxes all resold at the same one or two pharmacies."""
    ring = ctx.roles.ring
    for k in range(int(ctx.rng.integers(4, 7))):
        reflux_single(ctx, case_id, ring[k % len(ring)])


def reflux_single(ctx: Ctx, case_id: str, pharm: Institution) -> None:
    """One patient's hospital box(es) resold at one pharmacy 20–120 days later."""
    hosp, p = _hospital_box(ctx, pharm, ctx.end - 45)
    n = int(ctx.rng.integers(1, 3))
    patient, t_h, codes = _hospital_sale(ctx, hosp, p, n, 25)
    room = ctx.end - 2 - t_h // DAY
    _reflux_code(ctx, case_id, hosp, pharm, p, patient, t_h, int(ctx.rng.integers(20, min(120, room) + 1)), codes)


def phantom(ctx: Ctx, case_id: str, inst: Institution) -> None:
    """Sales of one product far beyond purchases + start inventory, every box with its own code."""
    p = ctx.pick(ctx.products(inst, price=(8, 60)))
    r = ctx.runners[inst.code]
    r.exclude.add(p.idx)
    stock: list[tuple[int, int]] = []  # (available from t, counter)
    inv = int(ctx.rng.integers(0, 9))
    start = max(ctx.first, inst.start_day)
    if inv:
        c = ctx.boxes(p, inv)
        t0 = start * DAY + 6 * HOUR + 5 * MINUTE
        ctx.add(inst, r.desk.inventory(t0, p.idx, inv, ctx.render(inst, p, c, start), ctx.lot(p, start)))
        stock += [(t0, x) for x in c]
    bought = 0
    for day in sorted(int(x) for x in ctx.rng.integers(start, ctx.end - 40, int(ctx.rng.integers(2, 5)))):
        q = 5 * int(ctx.rng.integers(2, 5))
        t = day * DAY + 7 * HOUR + int(ctx.rng.integers(0, HOUR))
        ctx.add(inst, r.desk.purchase(t, p.idx, q, ctx.lot(p, day), inst.suppliers[0]))
        stock += [(t, x) for x in ctx.boxes(p, q)]
        bought += q
    _phantom_sales(ctx, case_id, inst, p, stock, bought, inv)


def _phantom_sales(ctx: Ctx, case_id: str, inst: Institution, p: Product, stock, bought: int, inv: int) -> None:
    target = max(int((bought + inv) * ctx.rng.uniform(2.5, 5.0)), bought + inv + 40)
    cards = ctx.person(inst.region, int(ctx.rng.integers(8, 21)))
    stock.sort()
    sold, times = 0, []
    days = sorted(int(x) for x in ctx.rng.integers(max(ctx.first, inst.start_day) + 1, ctx.end - 1, target))
    for day in days:
        if sold >= target:
            break
        t = ctx.t(day)
        q = min(target - sold, 1 if ctx.rng.random() < 0.8 else 2)
        real = [x for x in stock if x[0] < t][:q] if ctx.rng.random() < 0.4 else []
        for x in real:
            stock.remove(x)
        counters = [x[1] for x in real] + ctx.boxes(p, q - len(real))
        ctx.sale(inst, t, p, ctx.render(inst, p, counters, day), q, ctx.pick(cards), reserve=0)
        sold += q
        times.append(t)
    ctx.row(case_id, "phantom_sale", 1, inst=inst.code, med=p.code, first=times[0], last=times[-1], count=sold,
            zh=f"{inst.name}{p.drug.name}期初库存{inv}盒、采购{bought}盒，却销售{sold}盒（{len(cards)}张医保卡反复刷）",
            en=f"{p.code} at {inst.code}: start inventory {inv}, purchased {bought}, sold {sold} boxes")


def counterfeit(ctx: Ctx, case_id: str, gs1: bool) -> None:
    """One genuine code on fake boxes: sold at 3–5 pharmacies in different regions within 1–7 days."""
    m = int(ctx.rng.integers(3, 6))
    regions = ctx.pick(sorted(REGIONS), m)
    sellers = [ctx.pick(ctx.roles.spare) if r == HOME else ctx.pick(ctx.roles.away[r]) for r in regions]
    common = None
    for s in sellers:
        got = {p.idx for p in ctx.products(s, gs1=gs1, price=(12, 500))}
        common = got if common is None else common & got
    if not common:  # fakes need not be on the sellers' usual shelves
        common = {p.idx for p in ctx.products(sellers[0], gs1=gs1, price=(12, 500))}
    if not common:
        common = {p.idx for p in ctx.w.products if p.gs1 == gs1 and not p.exempt and p.drug.channel != "hosp"}
    p = ctx.w.products[ctx.pick(sorted(common))]
    c = ctx.boxes(p, 1)
    d0 = ctx.day(sellers[0], 10, 12)
    span = int(ctx.rng.integers(1, 8))  # all sales within ``span`` calendar days
    times = []
    for s in sellers:
        t = ctx.t(d0 + int(ctx.rng.integers(0, span)), 9, 20)
        times.append((t, s))
        ctx.sale(s, t, p, ctx.render(s, p, c, d0), 1)
    times.sort(key=lambda x: x[0])
    names = "、".join(REGIONS[s.region] for _t, s in times)
    ctx.row(case_id, "counterfeit", 1, trace_code=ctx.canon(p, c[0]), inst=times[0][1].code,
            insts=[s.code for _t, s in times], med=p.code, first=times[0][0], last=times[-1][0], count=m,
            zh=f"同一{p.drug.name}追溯码{(times[-1][0] - times[0][0]) // HOUR}小时内出现在{names}的{m}家药店",
            en=f"one code sold at {m} pharmacies in {m} regions within {(times[-1][0] - times[0][0]) // HOUR} hours")


def collection_gaps(ctx: Ctx) -> None:
    """One pharmacy that mostly uploads no codes; one whose uploads stop from some month on."""
    g1, g2 = ctx.roles.gap
    r1, r2 = ctx.runners[g1.code], ctx.runners[g2.code]
    r1.gap_from, r1.gap_rate = max(ctx.first, g1.start_day) * DAY, 0.88
    months = ctx.w.month_days
    m = int(ctx.rng.integers(2, 4))
    r2.gap_from, r2.gap_rate = months[m] * DAY, 0.97
    ctx.out.gaps += [("GAP-01", "mostly", g1, r1.gap_from), ("GAP-02", "drop", g2, r2.gap_from)]

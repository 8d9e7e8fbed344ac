"""跨机构重复销售: codes sold at several pharmacies that no other rule explains, and their look-alikes.

Residual repeats (expect_lead=1, scenario ``repeat``) are sold, net of returns, at two to four pharmacies
and stay clear of every other rule: one sale per institution (not substitution), never two regions within
a week (not counterfeit), the first seller a pharmacy (not reflux), one box held back at every seller (not
a phantom sale). Look-alikes (expect_lead=0, scenario ``repeat``) also reach a second institution, but a
3506 return at the first and, for sister stores, a 3502 transfer explain it.
"""
from __future__ import annotations

from .clock import DAY, MINUTE, fmt_date
from .names import REGIONS
from .plan import Ctx
from .traps import sister_stores
from .world import Institution, Product

PRICE = (10, 300)


def plant(ctx: Ctx) -> None:
    spare = ctx.roles.spare
    regions = sorted(ctx.roles.away)
    three_stores(ctx, "REP-01", ctx.pick(spare, 3))
    away_resale(ctx, "REP-02", ctx.pick(spare), ctx.pick(ctx.roles.away[ctx.pick(regions)]))
    two_stores(ctx, "REP-03", ctx.pick(spare, 2))
    home = ctx.pick(spare, 3)
    four_stores(ctx, "REP-04", [home[0], home[1], ctx.pick(ctx.roles.away[ctx.pick(regions)]), home[2]])
    for k in range(2):
        return_transfer(ctx, f"T-RTR-{k + 1:02d}", k)
    for k in range(2):
        a, b = ctx.pick(spare, 2)
        return_resale_elsewhere(ctx, f"T-RSE-{k + 1:02d}", a, b)


# ---- residual repeats ------------------------------------------------------------------------------
def three_stores(ctx: Ctx, case_id: str, sellers: list[Institution]) -> None:
    """Three pharmacies of the district sell one code within three weeks."""
    d0 = ctx.day(sellers[0], 3, 25)
    g1 = int(ctx.rng.integers(2, 11))
    g2 = int(ctx.rng.integers(2, 21 - g1))
    _residual(ctx, case_id, sellers, [d0, d0 + g1, d0 + g1 + g2],
              "三周内在本区三家药店先后销售", "sold at three pharmacies of one district within three weeks")


def away_resale(ctx: Ctx, case_id: str, home: Institution, away: Institution) -> None:
    """A home pharmacy sells the code; a pharmacy in another region sells it again 36–45 days later."""
    d0 = ctx.day(home, 3, 48)
    gap = int(ctx.rng.integers(36, 46))
    _residual(ctx, case_id, [home, away], [d0, d0 + gap],
              f"本区药店售出{gap}天后在{REGIONS[away.region]}药店再次销售",
              f"sold at a home pharmacy, sold again in region {away.region} {gap} days later")


def two_stores(ctx: Ctx, case_id: str, sellers: list[Institution]) -> None:
    """Two pharmacies of the district sell one code 10–14 days apart."""
    d0 = ctx.day(sellers[0], 3, 17)
    gap = int(ctx.rng.integers(10, 15))
    _residual(ctx, case_id, sellers, [d0, d0 + gap], f"本区两家药店相隔{gap}天先后销售",
              f"sold at two pharmacies of one district {gap} days apart")


def four_stores(ctx: Ctx, case_id: str, sellers: list[Institution]) -> None:
    """Four pharmacies (one in another region) sell one code over about two months, 14–21 days apart."""
    gaps = [int(g) for g in ctx.rng.integers(14, 22, len(sellers) - 1)]
    d0 = ctx.day(sellers[0], 3, sum(gaps) + 3)
    days = [d0]
    for g in gaps:
        days.append(days[-1] + g)
    _residual(ctx, case_id, sellers, days, f"{days[-1] - d0}天内在四家药店先后销售（含外地一家），无医疗机构",
              f"sold at four pharmacies (one in another region) within {days[-1] - d0} days, no hospital")


def _residual(ctx: Ctx, case_id: str, sellers: list[Institution], days: list[int], zh: str, en: str) -> None:
    """One box sold once at each seller on ``days``, each time to a local insured person."""
    p = _common_product(ctx, sellers)
    c = ctx.boxes(p, 1)
    times = []
    for s, day in zip(sellers, days, strict=True):
        t = ctx.t(day)
        times.append(t)
        ctx.sale(s, t, p, ctx.render(s, p, c, days[0]), 1)
    stops = list(zip(sellers, times, strict=True))
    ctx.row(case_id, "repeat", 1, trace_code=ctx.canon(p, c[0]), inst=sellers[-1].code,
            insts=[s.code for s in sellers], med=p.code, first=times[0], last=times[-1], count=len(sellers),
            zh=f"同一{p.drug.name}追溯码{zh}：{_route_zh(stops)}；无调拨、无退货",
            en=f"one code {en}: {_route_en(stops)}; no transfer, no return")


def _common_product(ctx: Ctx, sellers: list[Institution]) -> Product:
    """A coded product every seller carries (else one the first carries)."""
    common: set[int] | None = None
    for s in sellers:
        got = {p.idx for p in ctx.products(s, price=PRICE)}
        common = got if common is None else common & got
    if not common:
        common = {p.idx for p in ctx.products(sellers[0], price=PRICE)}
    return ctx.w.products[ctx.pick(sorted(common))]


def _route_zh(stops: list[tuple[Institution, int]]) -> str:
    return " → ".join(f"{s.name}（{REGIONS[s.region]}，{fmt_date(t)}）" for s, t in stops)


def _route_en(stops: list[tuple[Institution, int]]) -> str:
    return " → ".join(f"{s.code} ({s.region}, {fmt_date(t)})" for s, t in stops)


# ---- legitimate look-alikes ---------------------------------------------------------------------------
def _sold_and_returned(ctx: Ctx, a: Institution, p: Product, c: list[int], d0: int) -> tuple[int, int]:
    """One box sold at ``a`` on day ``d0`` and returned there (3506) hours to days later: the two times."""
    t1 = ctx.t(d0)
    sale = ctx.sale(a, t1, p, ctx.render(a, p, c, d0), 1)
    t2 = t1 + int(ctx.rng.integers(2 * 60, 4 * 24 * 60)) * MINUTE
    ctx.add(a, ctx.runners[a.code].desk.sale_return(t2, sale, ctx.render(a, p, c, d0)))
    return t1, t2


def return_transfer(ctx: Ctx, case_id: str, k: int) -> None:
    """Sold at store A, returned at A (3506), moved to sister store B (3502 102 at A, 101 at B), sold at B."""
    a, b = sister_stores(ctx, k)
    p = _common_product(ctx, [a, b])
    c = ctx.boxes(p, 1)
    d0 = ctx.day(a, 3, 40)
    t1, t2 = _sold_and_returned(ctx, a, p, c, d0)
    t3 = ctx.t(t2 // DAY + int(ctx.rng.integers(1, 8)), 14, 17)
    lot = ctx.lot(p, d0)
    out = ctx.add(a, ctx.runners[a.code].desk.stock_change(t3, p.idx, "102", 1, ctx.render(a, p, c, d0), lot))
    out.rec["memo"] = f"调往{b.name}"
    t_in = t3 + int(ctx.rng.integers(90, 240)) * MINUTE
    got = ctx.add(b, ctx.runners[b.code].desk.stock_change(t_in, p.idx, "101", 1, ctx.render(b, p, c, d0), lot))
    got.rec["memo"] = f"调自{a.name}"
    t4 = ctx.t(t_in // DAY + int(ctx.rng.integers(1, 15)))
    ctx.sale(b, t4, p, ctx.render(b, p, c, d0), 1, reserve=0)  # the box B sells came in by the transfer
    ctx.row(case_id, "return_transfer", 0, trace_code=ctx.canon(p, c[0]), inst=b.code, insts=[a.code, b.code],
            med=p.code, first=t1, last=t4, count=5,
            zh=f"{a.name}售出后顾客退货（3506），经调拨出库（102）至同一连锁的{b.name}调拨入库（101），再售出一次",
            en=f"sold at {a.code}, returned there (3506), moved to sister store {b.code} (3502 102/101), "
               f"sold once at {b.code}")


def return_resale_elsewhere(ctx: Ctx, case_id: str, a: Institution, b: Institution) -> None:
    """Sold at pharmacy A, returned at A (3506), later sold at pharmacy B of the same district."""
    p = _common_product(ctx, [a, b])
    c = ctx.boxes(p, 1)
    d0 = ctx.day(a, 3, 25)
    t1, t2 = _sold_and_returned(ctx, a, p, c, d0)
    t3 = ctx.t(t2 // DAY + int(ctx.rng.integers(1, 16)))
    ctx.sale(b, t3, p, ctx.render(b, p, c, d0), 1)
    ctx.row(case_id, "return_resale_elsewhere", 0, trace_code=ctx.canon(p, c[0]), inst=b.code,
            insts=[a.code, b.code], med=p.code, first=t1, last=t3, count=3,
            zh=f"{a.name}售出后顾客退货（3506），之后在本区{b.name}售出一次；扣除退货只有一家机构售出",
            en=f"sold at {a.code}, returned there (3506), later sold once at {b.code} in the same district; "
               "net of the return one institution sold it")

"""Planted networks and their truth (``networks.csv``): reflux rings RING-01…03 (small, medium, large;
REF-01, planted earlier, is read back as a ring too), counterfeit clusters CLU-01 and CLU-02, the rings'
brokers, and look-alikes that are no network (HEAVY-01/02, CHAINNET-01, REF-02…04, CFT-01…04).

Planted last, after the cases, traps and residual repeats, which stay as they were. Each network has
pharmacies of its own: the chain network's sister stores are chosen first (stores with another part
before spare ones); then, among the other spare home pharmacies (no fraud role), those no single
counterfeit case uses come first, non-chain ones before chain stores, then the ones no other case and no
trap names; in other regions the pharmacies fewest single counterfeit cases use. The networks' persons
are distinct from one another and from every person the truth rows name.
"""
from __future__ import annotations

from itertools import cycle

from . import networks_lookalike as look
from . import networks_rings as rings
from . import networks_truth as nt
from .clock import HOUR
from .names import REGIONS
from .plan import Ctx
from .world import HOME, Institution, Product

#: id, home outlets, other-region outlets (one per region), copied codes, products
CLUSTERS = (("CLU-01", 2, 2, 5, 1), ("CLU-02", 3, 3, 8, 2))


def plant(ctx: Ctx) -> None:
    fraud, traps = _named(ctx)
    stores = look.chain_stores(ctx, fraud)
    n_home = sum(s.resellers for s in rings.SPECS) + sum(c[1] for c in CLUSTERS)
    home = _home_pharmacies(ctx, fraud, traps, n_home, {s.code for s in stores})
    away = _away_outlets(ctx, fraud)
    hospitals = _ring_hospitals(ctx)
    taken = {r["psn_no"] for r in ctx.out.rows if r["psn_no"]}
    people = [_people(ctx, 1 + int(ctx.rng.integers(*s.others)), taken) for s in rings.SPECS]
    heavy = _people(ctx, 2, taken)
    k = 0
    for spec, hosp, persons in zip(rings.SPECS, hospitals, people, strict=True):
        ring = rings.plant(ctx, spec, hosp, home[k:k + spec.resellers], persons, taken)
        ctx.out.networks += rings.rows(ctx, ring)
        k += spec.resellers
    for (cid, n_home, _n_away, n_codes, n_products), outs in zip(CLUSTERS, away, strict=True):
        ctx.out.networks.append(cluster(ctx, cid, home[k:k + n_home], outs, n_codes, n_products))
        k += n_home
    for hid, person, hosps in zip(("HEAVY-01", "HEAVY-02"), heavy, _heavy_hospitals(ctx), strict=True):
        ctx.out.networks.append(look.heavy_buyer(ctx, hid, person, hosps))
    ctx.out.networks.append(look.chain_network(ctx, "CHAINNET-01", stores))
    ctx.out.networks += rings.rows(ctx, rings.from_truth(ctx, "REF-01", "回流团伙", "reflux ring"))
    ctx.out.networks += look.singles(ctx)


# ---- who takes part --------------------------------------------------------------------------------
def _named(ctx: Ctx) -> tuple[dict[str, set[str]], set[str]]:
    """Institutions the truth rows so far name: fraud case ids per institution; the traps' institutions."""
    fraud: dict[str, set[str]] = {}
    traps: set[str] = set()
    for r in ctx.out.rows:
        for code in filter(None, r["institutions"].split("|")):
            if r["expect_lead"] == 1:
                fraud.setdefault(code, set()).add(r["case_id"])
            else:
                traps.add(code)
    return fraud, traps


def _cft(fraud: dict[str, set[str]], inst: Institution) -> int:
    return sum(c.startswith("CFT") for c in fraud.get(inst.code, ()))


def _home_pharmacies(ctx: Ctx, fraud: dict[str, set[str]], traps: set[str], n: int,
                     chain_net: set[str]) -> list[Institution]:
    spare = [i for i in ctx.roles.spare if i.code not in chain_net]
    tie = ctx.rng.permutation(len(spare))
    ranked = sorted(range(len(spare)), key=lambda k: (_cft(fraud, spare[k]) > 0, bool(spare[k].chain),
                                                      spare[k].code in fraud, spare[k].code in traps, int(tie[k])))
    if len(ranked) < n:
        raise RuntimeError(f"{len(ranked)} spare pharmacies for {n} network pharmacies")
    return [spare[k] for k in ranked[:n]]


def _away_outlets(ctx: Ctx, fraud: dict[str, set[str]]) -> list[list[Institution]]:
    """Other-region outlets of each cluster, one per region, none shared between the clusters."""
    def usage(i: Institution) -> tuple[int, int, str]:
        return _cft(fraud, i), len(fraud.get(i.code, ())), i.code

    left = {r: sorted(ctx.roles.away[r], key=usage) for r in sorted(ctx.roles.away)}
    tie = dict(zip(left, (int(k) for k in ctx.rng.permutation(len(left))), strict=True))
    picked: dict[str, list[Institution]] = {}
    for cid, _home, n_away, _codes, _products in sorted(CLUSTERS, key=lambda c: -c[2]):  # the widest first
        regions = sorted((r for r in left if left[r]), key=lambda r: (usage(left[r][0])[:2], tie[r]))[:n_away]
        if len(regions) < n_away:
            raise RuntimeError(f"{cid} needs {n_away} other regions")
        picked[cid] = [left[r].pop(0) for r in regions]
    return [picked[c[0]] for c in CLUSTERS]


def _ring_hospitals(ctx: Ctx) -> list[list[Institution]]:
    """Each ring's hospitals; the large ring's first one (a hospital open from the earliest date)
    dispenses most of its boxes. Rings share hospitals only once every hospital is taken."""
    hosp = [h for h in ctx.roles.hospitals if ctx.products(h, jicai=True)]
    big = [h for h in hosp if h.type == "hospital"] or hosp
    dominant = ctx.pick([h for h in big if h.start_day == min(b.start_day for b in big)])
    rest = cycle([hosp[int(k)] for k in ctx.rng.permutation(len(hosp)) if hosp[int(k)] is not dominant])
    out = []
    for spec in rings.SPECS:
        n = int(ctx.rng.integers(*spec.hospitals))
        mine = [dominant] if spec.dominant else []
        while len(mine) < n:
            h = next(rest)
            if h not in mine:
                mine.append(h)
        out.append(mine)
    return out


def _heavy_hospitals(ctx: Ctx) -> list[list[Institution]]:
    """HEAVY-01 buys at one hospital, HEAVY-02 at a hospital and a clinic, all open from the earliest date."""
    first = min(h.start_day for h in ctx.roles.hospitals)
    early = [h for h in ctx.roles.hospitals if h.start_day == first]
    big = [h for h in early if h.type == "hospital"] or early
    small = [h for h in early if h.type != "hospital"] or early
    a, b = ctx.pick(big), ctx.pick(small)
    return [[ctx.pick(big)], [a, b] if a is not b else ctx.pick(early, 2)]


def _people(ctx: Ctx, n: int, taken: set[str]) -> list:
    """``n`` planted patients of the district none of whom is in ``taken`` (they are added to it)."""
    out: list = []
    while len(out) < n:
        for p in ctx.person(HOME, n - len(out)):
            if p[0] not in taken:
                taken.add(p[0])
                out.append(p)
    return out


# ---- counterfeit clusters ----------------------------------------------------------------------------
def _products(ctx: Ctx, outlets: list[Institution], n: int) -> list[Product]:
    """``n`` coded products every outlet carries (else the first outlet's) for the fakes to copy."""
    common: set[int] | None = None
    for o in outlets:
        got = {p.idx for p in ctx.products(o, price=(12, 500))}
        common = got if common is None else common & got
    if not common or len(common) < n:
        common = {p.idx for p in ctx.products(outlets[0], price=(12, 500))}
    return [ctx.w.products[i] for i in ctx.pick(sorted(common), n)]


def cluster(ctx: Ctx, cid: str, home: list[Institution], away: list[Institution], n_codes: int,
            n_products: int) -> dict:
    """A counterfeiter's outlets: each copied code sold once at one home outlet and at two or more
    other-region outlets (never two in one region), all within 1–7 days; codes over about a month."""
    outlets = home + away
    prods = _products(ctx, outlets, n_products)
    base = ctx.day(outlets[0], 10, 45)
    codes = []
    for k in range(n_codes):
        p = prods[k % len(prods)]
        m = int(ctx.rng.integers(3, len(away) + 2))
        sellers = [home[k % len(home)]] + [a for j, a in enumerate(away) if m > len(away) or j != k % len(away)]
        c = ctx.boxes(p, 1)
        d0 = base + int(ctx.rng.integers(0, 30))
        span = int(ctx.rng.integers(1, 8))
        times = sorted(((ctx.t(d0 + int(ctx.rng.integers(0, span))), s) for s in sellers), key=lambda x: x[0])
        for t, s in times:
            ctx.sale(s, t, p, ctx.render(s, p, c, d0), 1)
        codes.append(ctx.canon(p, c[0]))
        _cluster_row(ctx, cid, p, codes[-1], times)
    names = "、".join(REGIONS[r] for r in sorted({o.region for o in outlets}))
    drugs = "、".join(p.drug.name for p in prods)
    return nt.row(cid, "counterfeit_cluster", institutions=[o.code for o in outlets], codes=codes,
                  zh=f"假药分销网络：{drugs}的{n_codes}个被复制的追溯码，每个7天内在{names}中至少3个地区的药店销售"
                     f"（共{len(outlets)}家药店）",
                  en=f"counterfeit cluster: {n_codes} copied codes of {len(prods)} product(s), each sold within 7 days "
                     f"in 3 or more of {len({o.region for o in outlets})} regions at {len(outlets)} outlets")


def _cluster_row(ctx: Ctx, cid: str, p: Product, code: str, times: list[tuple[int, Institution]]) -> None:
    m = len(times)
    hours = (times[-1][0] - times[0][0]) // HOUR
    names = "、".join(REGIONS[s.region] for _t, s in times)
    ctx.row(cid, "counterfeit", 1, trace_code=code, inst=times[0][1].code, insts=[s.code for _t, s in times],
            med=p.code, first=times[0][0], last=times[-1][0], count=m,
            zh=f"假药分销网络{cid}：同一{p.drug.name}追溯码{hours}小时内出现在{names}的{m}家药店",
            en=f"counterfeit cluster {cid}: one code sold at {m} pharmacies in {m} regions within {hours} hours")

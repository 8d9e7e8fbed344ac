"""回流团伙 reflux rings: hospitals → insured persons → reselling pharmacies, with a collector (the broker
who brings in most boxes), and in the large ring a dominant hospital and onward hops.

Every box has its own code. A box resold once (20–120 days after dispensing) is a ``reflux`` truth row
like a single case's; a box sold again at a second ring pharmacy gives two ``reflux_resold`` rows (both
resales are reflux leads); a box moved on by a 3502 transfer (102 at one ring pharmacy, 101 at another,
then sold there) is a ``reflux_transfer`` row with expect_lead=0, since the transfer in explains the resale
to the code-level screens; only the ring ties it in.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import networks_truth as nt
from .clock import DAY, MINUTE
from .plan import Ctx
from .world import Institution, Product


@dataclass(frozen=True)
class Spec:
    ring_id: str
    size_zh: str
    size_en: str
    resellers: int
    hospitals: tuple[int, int]  # numpy range: high excluded
    others: tuple[int, int]  # persons besides the collector (numpy range: high excluded)
    collector: tuple[int, int]  # boxes the collector gets, the kept ones included
    other_boxes: tuple[int, int]
    kept: int  # collector's boxes that never reappear
    hops: int  # boxes moved on by a 3502 transfer
    resold: int  # boxes sold again at a second ring pharmacy
    dominant: float = 0.0  # share of visits at the dominant hospital (0: no dominant hospital)


SPECS = (
    Spec("RING-01", "小型", "small", 1, (2, 3), (2, 4), (6, 7), (1, 2), 0, 0, 0),
    Spec("RING-02", "中型", "medium", 2, (3, 4), (4, 6), (8, 10), (1, 3), 1, 0, 0),
    Spec("RING-03", "大型", "large", 3, (3, 5), (7, 10), (10, 12), (1, 4), 1, 2, 2, dominant=0.75),
)


@dataclass
class Box:
    code: str
    hosp: str
    patient: str
    sellers: list[str] = field(default_factory=list)  # institutions that sold it after the hospital
    movers: list[str] = field(default_factory=list)  # institutions that moved it on by a 3502 transfer


@dataclass
class Ring:
    ring_id: str
    zh: str
    en: str
    boxes: list[Box] = field(default_factory=list)
    resellers: list[str] = field(default_factory=list)
    collector: tuple | None = None
    dominant: str = ""


@dataclass
class _Site:
    """What one ring plants with: its hospitals (products per hospital), pharmacies and people."""

    spec: Spec
    hospitals: list[Institution]
    pools: dict[str, list[Product]]
    resellers: list[Institution]
    people: list
    taken: set[str]
    ring: Ring


def plant(ctx: Ctx, spec: Spec, hospitals: list[Institution], resellers: list[Institution], people: list,
          taken: set[str]) -> Ring:
    """Plant one ring; ``hospitals[0]`` dominates when the spec says so; ``people[0]`` is the collector."""
    ring = Ring(spec.ring_id, f"{spec.size_zh}回流团伙", f"{spec.size_en} reflux ring",
                resellers=[r.code for r in resellers], collector=people[0],
                dominant=hospitals[0].code if spec.dominant else "")
    pools = {h.code: _pool(ctx, h, resellers) for h in hospitals}
    site = _Site(spec, hospitals, pools, resellers, people, taken, ring)
    n = int(ctx.rng.integers(*spec.collector))
    done = 0
    while done < n:
        q = min(n - done, int(ctx.rng.integers(1, 4)))
        for k, (p, t_h, c) in enumerate(_visit(ctx, site, 0, q, 25)):
            j = done + k
            if j < n - spec.kept:
                _resell(ctx, site, p, c, t_h, people[0], resellers[j % len(resellers)])
        done += q
    _onward(ctx, site)
    for i in range(1, len(people)):
        for p, t_h, c in _visit(ctx, site, i, int(ctx.rng.integers(*spec.other_boxes)), 25):
            _resell(ctx, site, p, c, t_h, people[i], resellers[(i - 1) % len(resellers)])
    return ring


def _onward(ctx: Ctx, site: _Site) -> None:
    """The large ring's onward hops: transfers on to another ring pharmacy, and second resales."""
    r, n, m = site.resellers, len(site.resellers), len(site.people)
    for k in range(site.spec.hops):
        for p, t_h, c in _visit(ctx, site, k % m, 1, 40):
            _transfer(ctx, site, p, c, t_h, site.people[k % m], r[k % n], r[(k + 1) % n])
    for k in range(site.spec.resold):
        i = (site.spec.hops + k) % m
        for p, t_h, c in _visit(ctx, site, i, 1, 40):
            _resold(ctx, site, p, c, t_h, site.people[i], r[(k + 1) % n], r[(k + 2) % n])


def _pool(ctx: Ctx, hosp: Institution, resellers: list[Institution]) -> list[Product]:
    """The hospital's 集采 products the ring's pharmacies carry (all of them if possible)."""
    jicai = ctx.products(hosp, jicai=True)
    carried = [{p.idx for p in ctx.products(r, jicai=None)} for r in resellers]
    every = [p for p in jicai if all(p.idx in s for s in carried)]
    some = [p for p in jicai if any(p.idx in s for s in carried)]
    return every or some or jicai


def _hospital(ctx: Ctx, site: _Site, i: int) -> Institution:
    """Where person ``i`` (0: the collector) gets a box: the collector at any ring hospital (mostly the
    dominant one if there is one), the others in turn, so every ring hospital dispenses; in the large ring
    two persons in three at the dominant hospital."""
    h, dom = site.hospitals, site.spec.dominant
    if i == 0:
        return h[0] if dom and ctx.rng.random() < dom + (1 - dom) / 2 else ctx.pick(h)
    if not dom:
        return h[i % len(h)]
    return h[0] if i % 3 != 1 or len(h) == 1 else h[1 + (i // 3) % (len(h) - 1)]


def _visit(ctx: Ctx, site: _Site, i: int, n: int, room: int) -> list[tuple[Product, int, int]]:
    """One dispensing of ``n`` boxes to person ``i``, at least ``room`` days before the window ends."""
    person = site.people[i]
    hosp = _hospital(ctx, site, i)
    p = ctx.pick(site.pools[hosp.code])
    lo = max(ctx.first, hosp.start_day) + 1
    day = int(ctx.rng.integers(lo, max(lo + 1, ctx.end - room)))
    t_h = ctx.t(day, 8, 12)
    c = ctx.boxes(p, n)
    ctx.sale(hosp, t_h, p, ctx.render(hosp, p, c, day), n, person)
    site.ring.boxes += [Box(ctx.canon(p, x), hosp.code, person[0]) for x in c]
    return [(p, t_h, x) for x in c]


def buyer(ctx: Ctx, inst: Institution, taken: set[str]):
    """A customer of ``inst`` who is none of the network's persons."""
    while True:
        p = ctx.person(inst.region)
        if p[0] not in taken:
            return p


def _box(site: _Site, code: str) -> Box:
    return next(b for b in reversed(site.ring.boxes) if b.code == code)


def _sell(ctx: Ctx, site: _Site, pharm: Institution, p: Product, c: int, day: int, t: int, reserve=None) -> None:
    box = _box(site, ctx.canon(p, c))
    ctx.sale(pharm, t, p, ctx.render(pharm, p, [c], day), 1, buyer(ctx, pharm, site.taken), reserve=reserve)
    box.sellers.append(pharm.code)


def _tag(site: _Site, person) -> tuple[str, str]:
    if site.ring.collector and person[0] == site.ring.collector[0]:
        return "（收药人）", " (the collector)"
    return "", ""


def _resell(ctx: Ctx, site: _Site, p: Product, c: int, t_h: int, person, pharm: Institution) -> None:
    """Resold once at ``pharm`` 20–120 days after dispensing (always later in the day than the dispensing)."""
    day = t_h // DAY
    gap = int(ctx.rng.integers(20, min(120, ctx.end - 2 - day) + 1))
    t = ctx.t(day + gap, 12, 20)
    _sell(ctx, site, pharm, p, c, day, t)
    hosp = ctx.w.by_code()[_box(site, ctx.canon(p, c)).hosp]
    zh, en = _tag(site, person)
    ctx.row(site.spec.ring_id, "reflux", 1, trace_code=ctx.canon(p, c), inst=pharm.code,
            insts=[hosp.code, pharm.code], med=p.code, psn=person[0], first=t_h, last=t, count=2,
            zh=f"{site.ring.zh}：{hosp.name}发给参保人{person[2]}{zh}的{p.drug.name}，{gap}天后在{pharm.name}再次销售",
            en=f"{site.ring.en}: dispensed at {hosp.code} to {person[0]}{en}, sold again at {pharm.code} "
               f"{gap} days later")


def _transfer(ctx: Ctx, site: _Site, p: Product, c: int, t_h: int, person, mover: Institution,
              seller: Institution) -> None:
    """Reached ``mover`` off the books, moved to ``seller`` by 3502 (102 out, 101 in), sold there."""
    day = t_h // DAY
    t_out = ctx.t(day + int(ctx.rng.integers(20, min(60, ctx.end - 17 - day) + 1)), 14, 17)
    lot, code = ctx.lot(p, day), ctx.canon(p, c)
    out = ctx.add(mover, ctx.runners[mover.code].desk.stock_change(t_out, p.idx, "102", 1,
                                                                    ctx.render(mover, p, [c], day), lot))
    out.rec["memo"] = f"调往{seller.name}"
    ctx.runners[mover.code].stock.reserve[p.idx] += 1  # the mover's own shelf stays whole
    t_in = t_out + int(ctx.rng.integers(90, 240)) * MINUTE
    got = ctx.add(seller, ctx.runners[seller.code].desk.stock_change(t_in, p.idx, "101", 1,
                                                                      ctx.render(seller, p, [c], day), lot))
    got.rec["memo"] = f"调自{mover.name}"
    _box(site, code).movers.append(mover.code)
    t = ctx.t(t_in // DAY + int(ctx.rng.integers(1, 16)))
    _sell(ctx, site, seller, p, c, day, t, reserve=0)  # the box the seller sells came in by the transfer
    hosp = ctx.w.by_code()[_box(site, code).hosp]
    ctx.row(site.spec.ring_id, "reflux_transfer", 0, trace_code=code, inst=seller.code,
            insts=[hosp.code, mover.code, seller.code], med=p.code, psn=person[0], first=t_h, last=t, count=4,
            zh=f"{site.ring.zh}：{hosp.name}发给参保人{person[2]}的{p.drug.name}经{mover.name}调拨出库（102）至"
               f"{seller.name}调拨入库（101）后售出；调入记录使单码回流筛查看不出，需团伙分析",
            en=f"{site.ring.en}: dispensed at {hosp.code} to {person[0]}, moved by {mover.code} to {seller.code} "
               f"(3502 102/101) and sold there; the transfer in hides it from the code-level reflux screen")


def _resold(ctx: Ctx, site: _Site, p: Product, c: int, t_h: int, person, first: Institution,
            second: Institution) -> None:
    """Resold at ``first`` 20–90 days after dispensing, then again at ``second`` 10–40 days later."""
    day, code = t_h // DAY, ctx.canon(p, c)
    d1 = day + int(ctx.rng.integers(20, min(90, ctx.end - 12 - day) + 1))
    t1 = ctx.t(d1, 12, 20)
    _sell(ctx, site, first, p, c, day, t1)
    t2 = ctx.t(d1 + int(ctx.rng.integers(10, min(40, ctx.end - 2 - d1) + 1)))
    _sell(ctx, site, second, p, c, day, t2)
    hosp = ctx.w.by_code()[_box(site, code).hosp]
    for pharm, t in ((first, t1), (second, t2)):
        ctx.row(site.spec.ring_id, "reflux_resold", 1, trace_code=code, inst=pharm.code,
                insts=[hosp.code, pharm.code], med=p.code, psn=person[0], first=t_h, last=t, count=3,
                zh=f"{site.ring.zh}：{hosp.name}发给参保人{person[2]}的{p.drug.name}先在{first.name}、"
                   f"再在{second.name}两次销售",
                en=f"{site.ring.en}: dispensed at {hosp.code} to {person[0]}, sold again at {first.code}, "
                   f"then once more at {second.code}")


# ---- networks.csv rows ------------------------------------------------------------------------------
def _places(boxes: list[Box]) -> set[str]:
    return {b.hosp for b in boxes} | {i for b in boxes for i in b.sellers + b.movers}


def parts(boxes: list[Box]) -> int:
    """Into how many groups sharing no person and no pharmacy the flows person → pharmacy of ``boxes`` fall
    (hospitals, which many rings share, do not join groups)."""
    up: dict[str, str] = {}

    def root(x: str) -> str:
        while up.setdefault(x, x) != x:
            x = up[x]
        return x

    for b in boxes:
        for i in b.sellers + b.movers:
            up[root("psn:" + b.patient)] = root(i)
    return len({root(x) for x in list(up)})


def rows(ctx: Ctx, ring: Ring) -> list[dict]:
    """The ring's row, then its brokers: the collector, each pharmacy that resold 3 codes or more, and
    the dominant hospital."""
    names = ctx.w.by_code()
    boxes = [b for b in ring.boxes if b.sellers]
    persons = {b.patient for b in boxes}
    hosps = {b.hosp for b in boxes}
    sites = _places(boxes) - hosps
    hops, again = sum(bool(b.movers) for b in boxes), sum(len(b.sellers) > 1 for b in boxes)
    zh = (f"{ring.zh}：{len(persons)}名参保人在{len(hosps)}家医疗机构取得的{len(boxes)}盒药，"
          f"回流至{len(sites)}家药店再次销售")
    en = (f"{ring.en}: {len(boxes)} boxes dispensed at {len(hosps)} medical institutions to {len(persons)} "
          f"insured persons, sold again at {len(sites)} pharmacies")
    if hops or again:
        zh += f"（{hops}盒经3502调拨转往另一家团伙药店，{again}盒在第二家药店再次销售）"
        en += f" ({hops} moved on by 3502 transfers to another ring pharmacy, {again} sold at a second one)"
    if (n := parts(boxes)) > 1:  # REF-01: each of its patients goes to one of its two pharmacies
        zh += f"；这些流向分成{n}组，组间没有共同的参保人或药店"
        en += f"; these flows fall into {n} groups that share no person and no pharmacy"
    out = [nt.row(ring.ring_id, "reflux_ring", institutions=_places(boxes), persons=persons,
                  codes=[b.code for b in boxes], zh=zh, en=en)]
    if ring.collector:
        mine = [b for b in boxes if b.patient == ring.collector[0]]
        out.append(nt.row(f"{ring.ring_id}-SP", "broker", role="source_patient", entity_kind="person",
                          entity=ring.collector[0], institutions=_places(mine), persons=[ring.collector[0]],
                          codes=[b.code for b in mine],
                          zh=f"收药人{ring.collector[2]}：在{len({b.hosp for b in mine})}家医疗机构取得的"
                             f"{len(mine)}盒药都在团伙药店再次出现",
                          en=f"collector {ring.collector[0]}: {len(mine)} boxes dispensed to this person at "
                             f"{len({b.hosp for b in mine})} medical institutions reappear at the ring's pharmacies"))
    return out + _resellers(ring, boxes, names) + _source(ring, boxes, names)


def _resellers(ring: Ring, boxes: list[Box], names: dict) -> list[dict]:
    out = []
    for k, code in enumerate(ring.resellers):
        sold = [b for b in boxes if code in b.sellers]
        if len(sold) < 3:
            continue
        out.append(nt.row(f"{ring.ring_id}-RS{k + 1}", "broker", role="reseller", entity_kind="institution",
                          entity=code, institutions={code} | {b.hosp for b in sold},
                          persons={b.patient for b in sold}, codes=[b.code for b in sold],
                          zh=f"{names[code].name}再次销售{len(sold)}个医疗机构已售出的追溯码"
                             f"（来自{len({b.patient for b in sold})}名参保人）",
                          en=f"{code} sold {len(sold)} codes first dispensed at medical institutions "
                             f"(to {len({b.patient for b in sold})} insured persons)"))
    return out


def _source(ring: Ring, boxes: list[Box], names: dict) -> list[dict]:
    if not ring.dominant:
        return []
    mine = [b for b in boxes if b.hosp == ring.dominant]
    return [nt.row(f"{ring.ring_id}-SI", "broker", role="source_institution", entity_kind="institution",
                   entity=ring.dominant, institutions=_places(mine), persons={b.patient for b in mine},
                   codes=[b.code for b in mine],
                   zh=f"{names[ring.dominant].name}售出的{len(mine)}盒药（团伙共{len(boxes)}盒）回流至团伙药店",
                   en=f"{len(mine)} of the ring's {len(boxes)} boxes were dispensed at {ring.dominant} and "
                      "reappeared at the ring's pharmacies")]


def from_truth(ctx: Ctx, ring_id: str, zh: str, en: str) -> Ring:
    """A ring read back from its ``reflux`` truth rows (REF-01, planted before networks existed)."""
    ring = Ring(ring_id, zh, en)
    for r in ctx.out.rows:
        if r["case_id"] == ring_id and r["kind"] == "reflux":
            hosp, pharm = r["institutions"].split("|")
            ring.boxes.append(Box(r["trace_code"], hosp, r["psn_no"], [pharm]))
            if pharm not in ring.resellers:
                ring.resellers.append(pharm)
    return ring

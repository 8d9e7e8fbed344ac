"""Planting: the shared toolkit for fraud cases and traps, role assignment, and the truth rows.

Planted boxes use their own counter range, planted patients a fixed slice of the patient pool, and
every choice comes from the plan's own generator: the same seed plants the same cases at every scale.
Each planted sale also holds back one box of the background shelf (``reserve``), so an institution's
sales never exceed its purchases and start inventory unless the case is a phantom sale.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import truth
from .background import Runner, Shared, month_index
from .clock import DAY, HOUR
from .records import NO_PERSON, Ev
from .stock import Counters
from .styles import Style
from .world import HOME, Institution, Product, World

PLAN_DAYS = 183  # planted cases live in 2025-04-01 … 2025-09-30 at every scale
PLAN_PATIENTS = 3_000


@dataclass
class Roles:
    """Which base institutions play which part."""

    gap: list[Institution]
    phantom: list[Institution]
    subst: list[Institution]
    ring: list[Institution]
    reflux: list[Institution]
    spare: list[Institution]  # home pharmacies without a fraud role (for traps, counterfeit)
    hospitals: list[Institution]
    away: dict[str, list[Institution]]  # other-region pharmacies by region


@dataclass
class Planted:
    """Truth rows and pack relations produced by planting."""

    rows: list[dict] = field(default_factory=list)
    gaps: list[tuple[str, str, Institution, int]] = field(default_factory=list)  # case_id, mode, inst, from_t
    pack_relations: list[tuple[str, str]] = field(default_factory=list)
    networks: list[dict] = field(default_factory=list)  # networks.csv rows (rings, clusters, look-alikes)

    def finish(self, gap_stats: dict[str, list]) -> list[dict]:
        """Complete the collection-gap rows with what the background produced; return all rows."""
        for case_id, mode, inst, from_t in self.gaps:
            n, first, last = gap_stats.get(inst.code, [0, from_t, from_t])
            zh = (f"{inst.name}医保结算记录大多未上传追溯码（{n}条无码）" if mode == "mostly"
                  else f"{inst.name}自{truth.clock.fmt_date(from_t)}起追溯码上传几乎中断（{n}条无码）")
            en = (f"most insured sales at {inst.code} carry no trace code ({n} records)" if mode == "mostly"
                  else f"trace-code uploads at {inst.code} drop to near zero from {truth.clock.fmt_date(from_t)}")
            self.rows.append(truth.row(case_id, "collection_gap", 1, inst=inst.code, first=first, last=last,
                                       count=n, zh=zh, en=en))
        order = {k: i for i, k in enumerate(("SUB", "REF", "RING", "PHA", "CFT", "CLU", "REP", "GAP", "T",
                                             "CHAINNET"))}
        self.rows.sort(key=lambda r: (order[r["case_id"].split("-")[0]], r["case_id"]))
        return self.rows


class Ctx:
    """Toolkit the planting functions use."""

    def __init__(self, world: World, styles: dict[str, Style], runners: dict[str, Runner], sh: Shared,
                 rng: np.random.Generator):
        self.w, self.styles, self.runners, self.sh, self.rng = world, styles, runners, sh, rng
        self.first = world.first_day
        self.end = world.first_day + PLAN_DAYS
        self.out = Planted()
        self.counters = Counters()
        self.roles = assign_roles(world, rng)

    # ---- picking ----------------------------------------------------------------------------------
    def pick(self, seq: list, n: int | None = None):
        """One item (or ``n`` distinct items) of ``seq``."""
        if n is None:
            return seq[int(self.rng.integers(len(seq)))]
        return [seq[int(i)] for i in sorted(self.rng.choice(len(seq), n, replace=False))]

    def products(self, inst: Institution, *, gs1: bool | None = False, jicai: bool | None = None,
                 min_units: int = 0, price: tuple[float, float] = (0, 1e9), exempt: bool = False) -> list[Product]:
        """Products the institution carries that match the filters (not left to a planted case)."""
        excl = self.runners[inst.code].exclude
        out = []
        for pi in inst.products.tolist():
            p = self.w.products[pi]
            if (pi in excl or p.exempt != exempt or (gs1 is not None and p.gs1 != gs1)
                    or (jicai is not None and p.drug.jicai != jicai) or p.drug.units < min_units
                    or not price[0] <= p.drug.price <= price[1]):
                continue
            out.append(p)
        return out

    def person(self, region: str = HOME, n: int | None = None):
        """Planted patient(s) of ``region``: distinct when ``n`` is given."""
        size = min(PLAN_PATIENTS, self.w.pool[region])
        if n is None:
            return self.w.people.person(region, int(self.rng.integers(size)))
        return [self.w.people.person(region, int(i)) for i in self.rng.choice(size, n, replace=False)]

    def t(self, day: int, lo: float = 9, hi: float = 20) -> int:
        """A business time on ``day`` between ``lo`` and ``hi`` o'clock."""
        return day * DAY + int(self.rng.integers(int(lo * HOUR), int(hi * HOUR)))

    def day(self, inst: Institution, lo_off: int = 3, hi_margin: int = 3) -> int:
        """A day inside the plan window after the institution's start."""
        lo = max(self.first, inst.start_day) + lo_off
        return int(self.rng.integers(lo, max(lo + 1, self.end - hi_margin)))

    # ---- boxes and events --------------------------------------------------------------------------
    def boxes(self, p: Product, n: int, level: int = 0) -> list[int]:
        c0 = self.counters.alloc(p.idx, n, level=level, planted=True)
        return list(range(c0, c0 + n))

    def canon(self, p: Product, c: int, level: int = 0) -> str:
        m = p.mints[level]
        return m.gs1_canonical(c) if p.gs1 else m.nmpa(c)

    def lot(self, p: Product, day: int):
        """The lot a box of ``p`` on a shelf around ``day`` comes from."""
        return p.lot(month_index(day) - 3)

    def render(self, inst: Institution, p: Product, counters: list[int], day: int, level: int = 0,
               style: str | None = None) -> list[dict]:
        return self.runners[inst.code].desk.render(p, counters, self.lot(p, day), level, style)

    def sale(self, inst: Institution, t: int, p: Product, codes: list[dict], qty, person=None, *,
             insured: bool = True, trdn: str = "0", price: float | None = None, reserve: int | None = None,
             settled_as: Product | None = None) -> Ev:
        """Schedule a 3505 at ``inst``; hold back ``reserve`` (default: qty) boxes of the settled product."""
        r = self.runners[inst.code]
        sp = settled_as or p
        person = person or (self.person(inst.region) if insured else NO_PERSON)
        ev = r.desk.sale(t, sp.idx, codes, qty, person, r.desk.new_bill(insured), trdn, price,
                         self.lot(sp, t // DAY))
        r.stock.reserve[sp.idx] += qty if reserve is None else reserve
        self.add(inst, ev)
        return ev

    def add(self, inst: Institution, ev: Ev, month: int | None = None) -> Ev:
        self.sh.schedule.add(inst.code, ev, month)
        return ev

    def row(self, *args, **kw) -> None:
        self.out.rows.append(truth.row(*args, **kw))


def assign_roles(world: World, rng: np.random.Generator) -> Roles:
    """Give base institutions their parts, without overlaps between fraud roles."""
    base = [i for i in world.institutions if i.base]
    home = [i for i in base if i.type == "pharmacy" and i.region == HOME]
    order = [home[int(k)] for k in rng.permutation(len(home))]
    gap = [i for i in order if not i.chain][:2]
    rest = [i for i in order if i not in gap]
    away: dict[str, list[Institution]] = {}
    for i in base:
        if i.type == "pharmacy" and i.region != HOME:
            away.setdefault(i.region, []).append(i)
    hospitals = [i for i in base if i.type in ("hospital", "clinic")]
    return Roles(gap, rest[:3], rest[3:8], rest[8:10], rest[10:13], rest[13:], hospitals, away)


def make_plan(world: World, styles: dict[str, Style], runners: dict[str, Runner], sh: Shared,
              rng: np.random.Generator) -> Planted:
    """Plant every fraud case and trap into the schedule; return the truth to complete after generation."""
    from . import cases, networks, repeats, traps

    ctx = Ctx(world, styles, runners, sh, rng)
    cases.plant(ctx)
    traps.plant(ctx)
    repeats.plant(ctx)  # after the cases and traps: they stay as they were before repeats existed
    networks.plant(ctx)  # last: rings, clusters and their look-alikes leave everything earlier as it was
    return ctx.out

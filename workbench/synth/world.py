"""The synthetic district: institutions, suppliers, products (with codes and lots) and the date window.

>>> import numpy as np
>>> from .scale import resolve
>>> w = build_world(np.random.default_rng(1), np.random.default_rng(2), resolve("tiny"), 7)
>>> sorted({i.type for i in w.institutions})
['clinic', 'hospital', 'pharmacy']
>>> all(len(i.code) == 12 for i in w.institutions)
True
>>> w.products[0].code[0] in "XZT"
True
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from . import clock
from .catalog import CATALOG, Drug
from .codes import Mint, gtin_check
from .names import (
    CHAINS,
    CLINIC_SUFFIX,
    FOREIGN_MANUFACTURERS,
    HOSPITAL_NAMES,
    JIANGJIN_PLACES,
    MANUFACTURERS,
    PHARMACY_BRANDS,
    PHARMACY_SUFFIX,
    REGION_CITY,
    REGION_PLACES,
    REGIONS,
    SUPPLIERS,
)
from .people import People
from .scale import Scale

HOME = "500116"
START = date(2025, 4, 1)
MANDATE = {0: date(2025, 4, 1), 1: date(2025, 5, 1), 2: date(2025, 6, 1), 3: date(2025, 7, 1)}


@dataclass
class Lot:
    lotnum: str
    manu_date: str
    expy_end: str
    gs1_exp: str  # YYMMDD


@dataclass
class Product:
    idx: int
    drug: Drug
    code: str  # med_list_codg
    mints: list[Mint]  # per packaging level: unit, case
    gs1: bool
    manufacturer: str
    aprvno: str
    lot_style: int
    lots: dict[int, Lot] = field(default_factory=dict)

    @property
    def exempt(self) -> bool:
        return self.drug.cls == "T"

    def lot(self, k: int) -> Lot:
        """Manufacturing lot ``k`` (months since 2023-01), shared by every institution."""
        got = self.lots.get(k)
        if got is None:
            y, m = 2023 + k // 12, k % 12 + 1
            manu = date(y, m, 3 + (self.idx * 7 + k) % 24)
            exp = date(y + 2 + self.idx % 2, m, 1) - timedelta(days=1)
            seq = (k * 37 + self.idx * 11) % 90 + 10
            num = (f"{y % 100:02d}{m:02d}{seq:02d}", f"B{y % 100:02d}{m:02d}{seq:03d}",
                   f"{y}{m:02d}{seq:02d}1")[self.lot_style]
            got = self.lots[k] = Lot(num, f"{manu:%Y-%m-%d}", f"{exp:%Y-%m-%d}", f"{exp:%y%m%d}")
        return got


@dataclass
class Institution:
    code: str
    name: str
    type: str  # pharmacy | hospital | clinic
    level: str
    region: str
    chain: str
    num: int  # serial used in settlement ids
    weight: float  # relative daily volume
    start_day: int  # first day with uploads (collection mandate)
    products: np.ndarray  # product indexes carried
    pcum: np.ndarray  # cumulative product weights for sampling
    suppliers: list[int]
    price_factor: float
    base: bool = True  # False for institutions that only larger scales add


@dataclass
class World:
    seed: int
    institutions: list[Institution]
    products: list[Product]
    suppliers: list[tuple[str, str, str]]  # code, name, licence
    people: People
    month_days: list[int]  # first day of each month + end
    pool: dict[str, int]  # patient pool size per region

    @property
    def first_day(self) -> int:
        return self.month_days[0]

    @property
    def end_day(self) -> int:
        return self.month_days[-1]

    def by_code(self) -> dict[str, Institution]:
        return {i.code: i for i in self.institutions}


def _multiplier(rng: np.random.Generator) -> int:
    """A multiplier coprime with 10 and 36, so counter → serial is a permutation for both code kinds."""
    a = int(rng.integers(10**11, 10**12)) * 10 + int(rng.choice([1, 3, 7, 9]))
    return a + 10 if a % 3 == 0 else a


def _product(rng: np.random.Generator, idx: int, d: Drug, used: set[str]) -> Product:
    while True:
        if d.cls == "X":
            code = (f"X{d.cat}{chr(65 + rng.integers(26))}{rng.integers(1000):03d}A0{rng.integers(1, 30):02d}"
                    f"{rng.integers(10**9):09d}")
        elif d.cls == "Z":
            code = f"Z{d.cat}L{rng.integers(10000):04d}{rng.integers(10**9):09d}"
        else:
            code = f"T{rng.integers(10**9):09d}"
        if code not in used:
            used.add(code)
            break
    if d.gs1:
        item = f"{d.gs1}{rng.integers(10**5):05d}"[:12]
        prefixes = [gtin_check("0" + item), gtin_check("1" + item)]
        maker = FOREIGN_MANUFACTURERS[idx % len(FOREIGN_MANUFACTURERS)]
        aprv = f"国药准字HJ{rng.integers(2015, 2024)}{rng.integers(10**4):04d}"
    else:
        prefixes = []
        while len(prefixes) < 2:
            p = f"8{rng.integers(10**6):06d}"
            if p not in used:
                used.add(p)
                prefixes.append(p)
        maker = MANUFACTURERS[rng.integers(len(MANUFACTURERS))]
        aprv = f"国药准字{'Z' if d.cls == 'Z' else 'H'}{rng.integers(1990, 2024)}{rng.integers(10**4):04d}"
    mints = [] if d.cls == "T" else [Mint(p, _multiplier(rng), int(rng.integers(10**12))) for p in prefixes]
    return Product(idx, d, code, mints, bool(d.gs1), maker, aprv if d.cls != "T" else "", idx % 3)


def build_products(rng: np.random.Generator) -> list[Product]:
    """The catalogue with district-specific codes, prefixes and GS1 GTINs."""
    used: set[str] = set()
    return [_product(rng, i, d, used) for i, d in enumerate(CATALOG)]


def _assortment(rng: np.random.Generator, products: list[Product], kind: str) -> tuple[np.ndarray, np.ndarray]:
    ok = {"pharmacy": ("any", "pharm"), "hospital": ("any", "hosp"), "clinic": ("any", "hosp")}[kind]
    keep = (0.65, 1.0) if kind == "pharmacy" else (0.75, 1.0) if kind == "hospital" else (0.45, 0.8)
    cand = [p for p in products if p.drug.channel in ok]
    n = max(8, int(len(cand) * rng.uniform(*keep)))
    chosen = sorted(rng.choice(len(cand), size=min(n, len(cand)), replace=False).tolist())
    idx = np.array([cand[i].idx for i in chosen], dtype=np.int64)
    w = np.array([cand[i].drug.pop for i in chosen]) * rng.lognormal(0.0, 0.45, len(chosen))
    return idx, np.cumsum(w / w.sum())


class _Namer:
    def __init__(self, rng: np.random.Generator):
        self.rng, self.names, self.codes = rng, set(), set()

    def code(self, letter: str, region: str) -> str:
        while True:
            c = f"{letter}{region}{int(self.rng.integers(1, 100_000)):05d}"
            if c not in self.codes:
                self.codes.add(c)
                return c

    def name(self, make) -> str:
        for _ in range(1000):
            n = make()
            if n not in self.names:
                self.names.add(n)
                return n
        raise RuntimeError("name space exhausted")


def _pick(rng: np.random.Generator, seq: list[str]) -> str:
    return seq[int(rng.integers(len(seq)))]


def _inst(rng, namer, products, kind, region, name, level="", chain="", weight=1.0) -> Institution:
    letter = "P" if kind == "pharmacy" else "H"
    code = namer.code(letter, region)
    start = clock.day_of(max(START, MANDATE[int(level or 0)] if kind != "pharmacy" else START))
    prods, pcum = _assortment(rng, products, kind)
    sup = sorted(rng.choice(len(SUPPLIERS), size=int(rng.integers(2, 4)), replace=False).tolist())
    return Institution(code, name, kind, level, region, chain, int(code[7:]), weight, start, prods, pcum,
                       sup, float(rng.uniform(0.95, 1.12)))


def _pharmacy_name(rng, region: str) -> str:
    if region == HOME:
        return f"江津区{_pick(rng, JIANGJIN_PLACES)}{_pick(rng, PHARMACY_BRANDS)}{_pick(rng, PHARMACY_SUFFIX)}"
    city = REGION_CITY[region]
    return f"{city}{REGIONS[region]}{_pick(rng, REGION_PLACES[region])}{_pick(rng, PHARMACY_BRANDS)}{_pick(rng, PHARMACY_SUFFIX[:3])}"


def _base_institutions(rng, namer, products) -> list[Institution]:
    out: list[Institution] = []
    for chain_id, full, _short in CHAINS:
        for _ in range(int(rng.integers(3, 6))):
            nm = namer.name(lambda f=full: f"{f}江津{_pick(rng, JIANGJIN_PLACES)}店")
            out.append(_inst(rng, namer, products, "pharmacy", HOME, nm, chain=chain_id,
                             weight=float(rng.lognormal(0.1, 0.3))))
    while len(out) < 30:
        nm = namer.name(lambda: _pharmacy_name(rng, HOME))
        out.append(_inst(rng, namer, products, "pharmacy", HOME, nm, weight=float(rng.lognormal(0, 0.5))))
    for region in ("500101", "500103", "510104", "530102"):
        for _ in range(2):
            nm = namer.name(lambda r=region: _pharmacy_name(rng, r))
            out.append(_inst(rng, namer, products, "pharmacy", region, nm, weight=0.5))
    hosp = sorted(rng.choice(len(HOSPITAL_NAMES), size=4, replace=False).tolist())
    hosp = sorted(hosp, key=lambda i: -HOSPITAL_NAMES[i][1])
    for i in hosp:
        nm, lv = HOSPITAL_NAMES[i]
        namer.names.add(nm)
        out.append(_inst(rng, namer, products, "hospital", HOME, nm, str(lv), weight=2.0 * lv))
    for _ in range(int(rng.integers(4, 7))):
        nm = namer.name(lambda: f"江津区{_pick(rng, JIANGJIN_PLACES)}{_pick(rng, CLINIC_SUFFIX)}")
        out.append(_inst(rng, namer, products, "clinic", HOME, nm, "1", weight=0.7))
    return out


def _extra_institutions(rng, namer, products, scale: Scale) -> list[Institution]:
    out: list[Institution] = []
    for _ in range(scale.extra_pharmacies):
        nm = namer.name(lambda: _pharmacy_name(rng, HOME))
        out.append(_inst(rng, namer, products, "pharmacy", HOME, nm, weight=float(rng.lognormal(0, 0.5))))
    for _ in range(scale.extra_clinics):
        nm = namer.name(lambda: f"江津区{_pick(rng, JIANGJIN_PLACES)}{_pick(rng, PHARMACY_BRANDS)}{_pick(rng, CLINIC_SUFFIX[2:])}")
        out.append(_inst(rng, namer, products, "clinic", HOME, nm, "1", weight=0.7))
    for k in range(scale.extra_hospitals):
        lv = str(1 + k % 2)
        nm = namer.name(lambda: f"江津区{_pick(rng, JIANGJIN_PLACES)}{_pick(rng, PHARMACY_BRANDS)}医院")
        out.append(_inst(rng, namer, products, "hospital", HOME, nm, lv, weight=2.0 * int(lv)))
    for inst in out:
        inst.base = False
    return out


def build_world(rng: np.random.Generator, extra_rng: np.random.Generator, scale: Scale, seed: int) -> World:
    """Build the district. ``rng`` fixes the base world (same at every scale); ``extra_rng`` adds the
    scale-dependent institutions."""
    products = build_products(rng)
    namer = _Namer(rng)
    insts = _base_institutions(rng, namer, products)
    namer.rng = extra_rng
    insts += _extra_institutions(extra_rng, namer, products, scale)
    sup = [(f"S{HOME}{90001 + i:05d}", n, lic) for i, (n, lic) in enumerate(SUPPLIERS)]
    pool_home = max(4_000, scale.target // 12)
    pool = {r: (pool_home if r == HOME else max(1_500, pool_home // 20)) for r in REGIONS}
    return World(seed, insts, products, sup, People(seed), clock.month_starts(START, scale.n_months), pool)

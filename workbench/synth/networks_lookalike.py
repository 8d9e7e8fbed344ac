"""Look-alikes of networks (networks.csv expect=0): honest heavy buyers whose boxes never reappear, a
chain's transfer network among sister stores, and the single cases planted earlier (REF-02…04, one
person's box or two resold; CFT-01…04, one copied code): leads, not rings or clusters.
"""
from __future__ import annotations

import math

from . import networks_truth as nt
from .clock import DAY, MINUTE
from .names import CHAINS
from .plan import Ctx
from .world import Institution


def heavy_buyer(ctx: Ctx, hid: str, person, hospitals: list[Institution]) -> dict:
    """A chronic patient who buys 20–40 boxes at ``hospitals`` over the months, every box sold once."""
    total = int(ctx.rng.integers(20, 41))
    prods = [ctx.pick(ctx.products(h, price=(5, 150))) for h in hospitals]
    visits = math.ceil(total / 3)
    lo = max(ctx.first, *(h.start_day for h in hospitals)) + 1
    days = sorted(lo + int(d) for d in ctx.rng.choice(ctx.end - 3 - lo, visits, replace=False))
    codes = []
    for j, day in enumerate(days):
        q = total // visits + (j < total % visits)
        h, p = hospitals[j % len(hospitals)], prods[j % len(hospitals)]
        c = ctx.boxes(p, q)
        ctx.sale(h, ctx.t(day, 8, 12), p, ctx.render(h, p, c, day), q, person)
        codes += [ctx.canon(p, x) for x in c]
    names = "、".join(h.name for h in hospitals)
    months = round((days[-1] - days[0]) / 30.4)
    drugs = "、".join(dict.fromkeys(p.drug.name for p in prods))
    return nt.row(hid, "lookalike", role="heavy_buyer", entity_kind="person", entity=person[0],
                  institutions=[h.code for h in hospitals], persons=[person[0]], codes=codes,
                  zh=f"慢病参保人{person[2]}在{names}{months}个月内{visits}次取药共{total}盒（{drugs}），"
                     "没有一盒在别处再次出现",
                  en=f"chronic patient {person[0]} bought {total} boxes in {visits} visits over {months} months at "
                     f"{', '.join(h.code for h in hospitals)}; none of them reappears anywhere")


def chain_stores(ctx: Ctx, fraud: dict[str, set[str]]) -> list[Institution]:
    """Two or three sister stores of one chain (never a gap or phantom-sale store) for the transfer network,
    chosen before the networks' pharmacies so that those keep the spare stores: stores with another part
    first (a substitution case), then single-reflux resellers and spare stores a single counterfeit case
    uses, the other spare stores last; the chain offering three stores at the lowest such cost."""
    spare, refluxing = _codes(ctx.roles.spare), _codes(ctx.roles.ring + ctx.roles.reflux)
    skip = _codes(ctx.roles.gap + ctx.roles.phantom)

    def cost(i: Institution) -> int:
        if i.code not in spare:
            return int(i.code in refluxing)
        return 1 if any(c.startswith("CFT") for c in fraud.get(i.code, ())) else 2

    chains: dict[str, list[Institution]] = {}
    for i in ctx.w.institutions:
        if i.base and i.chain and i.code not in skip:
            chains.setdefault(i.chain, []).append(i)
    best = {c: sorted(s, key=lambda i: (cost(i), i.code))[:3] for c, s in chains.items() if len(s) >= 2}
    if not best:
        raise RuntimeError("no chain with two stores free for the transfer network")
    return best[min(best, key=lambda c: (-len(best[c]), sum(map(cost, best[c])), c))]


def _codes(insts: list[Institution]) -> set[str]:
    return {i.code for i in insts}


def chain_network(ctx: Ctx, cid: str, stores: list[Institution]) -> dict:
    """Sister stores move 10 boxes or more (2–4 at a time, every direction in turn) among themselves by
    3502 (102 out, 101 in) within two weeks; each box is then sold once at the store it reached."""
    target = int(ctx.rng.integers(10, 15))
    d0 = ctx.day(stores[0], 3, 45)
    pairs = [(a, b) for a in stores for b in stores if a is not b]
    order = [pairs[int(k)] for k in ctx.rng.permutation(len(pairs))]  # every direction in turn
    codes: list[str] = []
    moves = 0
    while len(codes) < target:
        a, b = order[moves % len(order)]
        moves += 1
        both = {p.idx for p in ctx.products(b)}
        p = ctx.pick([x for x in ctx.products(a) if x.idx in both])
        n = int(ctx.rng.integers(2, 5))
        c = ctx.boxes(p, n)
        day = d0 + int(ctx.rng.integers(0, 14))
        t = ctx.t(day, 14, 17)
        lot = ctx.lot(p, day)
        out = ctx.add(a, ctx.runners[a.code].desk.stock_change(t, p.idx, "102", n, ctx.render(a, p, c, day), lot))
        out.rec["memo"] = f"调往{b.name}"
        ctx.runners[a.code].stock.reserve[p.idx] += n
        t_in = t + int(ctx.rng.integers(90, 240)) * MINUTE
        got = ctx.add(b, ctx.runners[b.code].desk.stock_change(t_in, p.idx, "101", n, ctx.render(b, p, c, day), lot))
        got.rec["memo"] = f"调自{a.name}"
        for x in c:
            ts = ctx.t(t_in // DAY + int(ctx.rng.integers(1, 21)))
            ctx.sale(b, ts, p, ctx.render(b, p, [x], day), 1, reserve=0)  # the box came in by the transfer
            codes.append(ctx.canon(p, x))
            ctx.row(cid, "chain_transfer", 0, trace_code=codes[-1], inst=b.code, insts=[a.code, b.code], med=p.code,
                    first=t, last=ts, count=3, zh=f"连锁调拨网络：{a.name}调拨出库（102），{b.name}调拨入库（101）后售出一次",
                    en=f"chain transfer network: {a.code} → {b.code} (3502 102/101), then sold once at {b.code}")
    chain = next(full for cid_, full, _short in CHAINS if cid_ == stores[0].chain)
    return nt.row(cid, "lookalike", role="chain_transfer_network", institutions=[s.code for s in stores],
                  codes=codes,
                  zh=f"{chain}{len(stores)}家门店之间经3502调拨（102/101）移动{len(codes)}盒药，每盒调入后只售出一次",
                  en=f"{len(stores)} stores of chain {stores[0].chain} move {len(codes)} boxes among themselves by 3502 "
                     "transfers (102/101); each box is sold once where it arrived")


def singles(ctx: Ctx) -> list[dict]:
    """The single reflux cases REF-02… and single counterfeit codes CFT-… planted before networks."""
    cases: dict[str, list[dict]] = {}
    for r in ctx.out.rows:
        prefix = r["case_id"].split("-")[0]
        if (prefix == "REF" and r["case_id"] != "REF-01") or prefix == "CFT":
            cases.setdefault(r["case_id"], []).append(r)
    out = []
    for case_id, rows in sorted(cases.items()):
        insts = {i for r in rows for i in r["institutions"].split("|")}
        codes = [r["trace_code"] for r in rows]
        persons = [r["psn_no"] for r in rows if r["psn_no"]]
        if case_id.startswith("REF"):
            zh = f"单个参保人的{len(codes)}盒药回流至一家药店：是单码线索，不是团伙"
            en = f"one person's {len(codes)} box(es) resold at one pharmacy: a lead, not a ring"
            role = "single_reflux"
        else:
            zh = f"一个被复制的追溯码在{len(insts)}家药店出现：是单码线索，不是假药网络"
            en = f"one copied code at {len(insts)} pharmacies: a lead, not a cluster"
            role = "single_counterfeit"
        out.append(nt.row(case_id, "lookalike", role=role, institutions=insts, persons=persons, codes=codes,
                          zh=zh, en=en))
    return out

"""Legitimate repeats of a code (expect_lead=0): the false-positive traps every screen must survive."""
from __future__ import annotations

from .clock import DAY, HOUR, MINUTE
from .plan import Ctx
from .world import Institution, Product


def plant(ctx: Ctx) -> None:
    spare = ctx.roles.spare
    hosp = [h for h in ctx.roles.hospitals if h.type == "hospital"]
    for k, inst in enumerate([spare[0], spare[1], ctx.pick(hosp)]):
        split_sale(ctx, f"T-SPL-{k + 1:02d}", inst)
    gs1_shops = [i for i in spare if ctx.products(i, gs1=True)]
    return_resale(ctx, "T-RET-01", spare[2], gs1=False)
    return_resale(ctx, "T-RET-02", gs1_shops[0] if gs1_shops else spare[3], gs1=bool(gs1_shops))
    for k in range(2):
        chain_transfer(ctx, f"T-CHN-{k + 1:02d}", k)
    for k, inst in enumerate(ctx.pick(spare, 3)):
        double_upload(ctx, f"T-DUP-{k + 1:02d}", inst, next_file=k == 0)
    for k, inst in enumerate(ctx.pick(spare, 2)):
        settlement_reversal(ctx, f"T-REV-{k + 1:02d}", inst)
    for k, inst in enumerate(ctx.pick(hosp, 2)):
        case_unit(ctx, f"T-CAS-{k + 1:02d}", inst)
    for k, inst in enumerate(ctx.pick(spare, 2)):  # chosen whatever the output format: same truth
        ctx.styles[inst.code].infno_col = "接口编号"  # this HIS exports 3507 deletes by interface number
        delete_3507(ctx, f"T-DEL-{k + 1:02d}", inst)
    shops = [i for i in spare + ctx.roles.subst if ctx.products(i, exempt=True)]
    exempt_item(ctx, "T-EXM-01", ctx.pick(shops))


def _sum_parts(ctx: Ctx, total: int, n: int) -> list[int]:
    cuts = sorted(int(x) for x in ctx.rng.choice(range(1, total), n - 1, replace=False))
    return [b - a for a, b in zip([0] + cuts, cuts + [total], strict=True)]


def split_sale(ctx: Ctx, case_id: str, inst: Institution) -> None:
    """拆零: one opened box sold in 3–6 rows, quantities in tablets adding up to at most the box."""
    p = ctx.pick(ctx.products(inst, min_units=12))
    n = int(ctx.rng.integers(3, 7))
    units = p.drug.units - int(ctx.rng.integers(0, p.drug.units // 4 + 1))
    parts = _sum_parts(ctx, units, n)
    c = ctx.boxes(p, 1)
    d0 = ctx.day(inst, 3, 25)
    days = sorted(d0 + int(x) for x in ctx.rng.integers(0, 20, n))
    price = round(ctx.runners[inst.code].desk.static[p.idx][4] / p.drug.units, 2)
    times = []
    for k, (day, q) in enumerate(zip(days, parts, strict=True)):
        t = ctx.t(day)
        times.append(t)
        ctx.sale(inst, t, p, ctx.render(inst, p, c, d0), q, trdn="1", price=price, reserve=int(k == 0))
    ctx.row(case_id, "split_sale", 0, trace_code=ctx.canon(p, c[0]), inst=inst.code, med=p.code,
            first=times[0], last=times[-1], count=n,
            zh=f"拆零销售：一盒{p.drug.name}（{p.drug.units}单位）分{n}次售出共{units}单位，拆零标志=1",
            en=f"split sale: one box of {p.drug.units} units sold in {n} rows ({units} units), trdn_flag=1")


def return_resale(ctx: Ctx, case_id: str, inst: Institution, gs1: bool) -> None:
    """Sale, 3506 return of the same code, later sale to another patient (GS1: three renderings)."""
    p = ctx.pick(ctx.products(inst, gs1=gs1))
    c = ctx.boxes(p, 1)
    d0 = ctx.day(inst, 3, 30)
    styles = ("bracket", "raw", "symid") if gs1 else (None, None, None)
    a, b = ctx.person(inst.region, 2)
    t1 = ctx.t(d0)
    sale = ctx.sale(inst, t1, p, ctx.render(inst, p, c, d0, style=styles[0]), 1, a, reserve=2)
    t2 = t1 + int(ctx.rng.integers(2 * HOUR, 5 * DAY))
    ret = ctx.runners[inst.code].desk.sale_return(t2, sale, ctx.render(inst, p, c, d0, style=styles[1]))
    ctx.add(inst, ret)
    t3 = t2 + int(ctx.rng.integers(DAY, 15 * DAY))
    ctx.sale(inst, t3, p, ctx.render(inst, p, c, d0, style=styles[2]), 1, b, reserve=0)
    ctx.row(case_id, "return_resale", 0, trace_code=ctx.canon(p, c[0]), inst=inst.code, med=p.code,
            first=t1, last=t3, count=3,
            zh="销售后顾客退货（3506），同一盒药再次售给他人" + ("；同一GS1码三次扫描格式不同" if gs1 else ""),
            en="sold, returned (3506), sold again to another person" + ("; three GS1 renderings" if gs1 else ""))


def sister_stores(ctx: Ctx, k: int) -> tuple[Institution, Institution]:
    """Two stores of chain ``k`` (gap and phantom-sale stores left out), in random order."""
    chains: dict[str, list[Institution]] = {}
    busy = {i.code for i in ctx.roles.gap + ctx.roles.phantom}
    for i in ctx.w.institutions:
        if i.base and i.chain and i.code not in busy:
            chains.setdefault(i.chain, []).append(i)
    usable = [c for c in sorted(chains) if len(chains[c]) >= 2]
    a, b = ctx.pick(chains[usable[k % len(usable)]], 2)
    return (b, a) if ctx.rng.random() < 0.5 else (a, b)


def chain_transfer(ctx: Ctx, case_id: str, k: int) -> None:
    """调拨: 102 out at store A, 101 in at store B of the same chain, then sold once at B."""
    a, b = sister_stores(ctx, k)
    p = ctx.pick([x for x in ctx.products(a) if x in ctx.products(b)])
    n = int(ctx.rng.integers(2, 4))
    c = ctx.boxes(p, n)
    d0 = ctx.day(a, 3, 25)
    t = ctx.t(d0, 14, 17)
    ra, rb = ctx.runners[a.code], ctx.runners[b.code]
    lot = ctx.lot(p, d0)
    ctx.add(a, ra.desk.stock_change(t, p.idx, "102", n, ctx.render(a, p, c, d0), lot))
    t_in = t + int(ctx.rng.integers(90, 240)) * MINUTE
    ctx.add(b, rb.desk.stock_change(t_in, p.idx, "101", n, ctx.render(b, p, c, d0), lot))
    ra.stock.reserve[p.idx] += n
    for x in c[: n - 1]:
        ts = t_in + int(ctx.rng.integers(DAY, 20 * DAY))
        ctx.sale(b, ts, p, ctx.render(b, p, [x], d0), 1)
        ctx.row(case_id, "chain_transfer", 0, trace_code=ctx.canon(p, x), inst=b.code, insts=[a.code, b.code],
                med=p.code, first=t, last=ts, count=3,
                zh=f"连锁调拨：{a.name}调拨出库（102），{b.name}调拨入库（101）后售出一次",
                en=f"chain transfer {a.code} → {b.code} (3502 102/101), then sold once at {b.code}")


def double_upload(ctx: Ctx, case_id: str, inst: Institution, next_file: bool) -> None:
    """The same 3505 record (same bchno, time, content) uploaded twice, maybe in the next month's file."""
    p = ctx.pick(ctx.products(inst))
    months = ctx.w.month_days
    if next_file:
        m = int(ctx.rng.integers(1, 5))
        day = months[m + 1] - 1
        t = ctx.t(day, 18, 21)
        dup_inf = (months[m + 1] + int(ctx.rng.integers(1, 4))) * DAY + 2 * HOUR
    else:
        day = ctx.day(inst, 3, 8)
        t = ctx.t(day)
        dup_inf = (day + int(ctx.rng.integers(2, 5))) * DAY + 3 * HOUR
    q = int(ctx.rng.integers(1, 3))
    c = ctx.boxes(p, q)
    ev = ctx.sale(inst, t, p, ctx.render(inst, p, c, day), q)
    dup = ev.copy_upload(dup_inf)
    ctx.add(inst, dup, ctx.sh.schedule.month_of(dup_inf) if next_file else None)
    for x in c:
        ctx.row(case_id, "double_upload", 0, trace_code=ctx.canon(p, x), inst=inst.code, med=p.code, first=t,
                last=t, count=2, zh="HIS重复上传：同一批次流水号、同一时间、同一内容的销售记录上传两次"
                + ("（第二次在下月文件）" if next_file else ""),
                en="HIS double upload: the same 3505 record (same fixmedins_bchno) sent twice"
                + (" (second copy in the next month's file)" if next_file else ""))


def settlement_reversal(ctx: Ctx, case_id: str, inst: Institution) -> None:
    """A sale, its 3506 reversal within minutes, then the same sale redone with the same codes."""
    p = ctx.pick(ctx.products(inst))
    q = int(ctx.rng.integers(1, 3))
    c = ctx.boxes(p, q)
    day = ctx.day(inst)
    person = ctx.person(inst.region)
    t1 = ctx.t(day, 9, 19)
    codes = ctx.render(inst, p, c, day)
    s1 = ctx.sale(inst, t1, p, codes, q, person, reserve=2 * q)
    t2 = t1 + int(ctx.rng.integers(1, 11)) * MINUTE
    ctx.add(inst, ctx.runners[inst.code].desk.sale_return(t2, s1))
    t3 = t2 + int(ctx.rng.integers(2, 15)) * MINUTE
    ctx.sale(inst, t3, p, codes, q, person, reserve=0)
    for x in c:
        ctx.row(case_id, "settlement_reversal", 0, trace_code=ctx.canon(p, x), inst=inst.code, med=p.code,
                psn=person[0], first=t1, last=t3, count=3,
                zh="结算冲正：销售后数分钟内全额退费（3506），同一参保人以相同追溯码重新结算",
                en="settlement reversed (3506) within minutes and redone for the same person with the same codes")


def case_unit(ctx: Ctx, case_id: str, inst: Institution) -> None:
    """A case (大码) code scanned at stock-in, then dispensed with the case AND its unit (小码) codes."""
    p = ctx.pick(ctx.products(inst))
    n = 10
    case = ctx.boxes(p, 1, level=1)
    units = ctx.boxes(p, n)
    day = ctx.day(inst, 3, 15)
    r = ctx.runners[inst.code]
    t0 = day * DAY + 7 * HOUR + int(ctx.rng.integers(0, HOUR))
    ctx.add(inst, r.desk.stock_change(t0, p.idx, "108", n, ctx.render(inst, p, case, day, level=1),
                                      ctx.lot(p, day)))
    t1 = ctx.t(day + int(ctx.rng.integers(1, 10)), 8, 16)
    codes = ctx.render(inst, p, case, day, level=1) + ctx.render(inst, p, units, day)
    ctx.sale(inst, t1, p, codes, n)
    case_code = ctx.canon(p, case[0], level=1)
    ctx.out.pack_relations += [(case_code, ctx.canon(p, u)) for u in units]
    ctx.row(case_id, "case_unit", 0, trace_code=case_code, inst=inst.code, med=p.code, first=t0, last=t1,
            count=2, zh=f"大码与小码同时扫描：一条发药记录含1个大码及其{n}个小码（见pack_relations.csv）",
            en=f"one dispensing record carries a case code and its {n} unit codes (see pack_relations.csv)")


def delete_3507(ctx: Ctx, case_id: str, inst: Institution) -> None:
    """A mistaken sale deleted by 3507 (inv_data_type 4), then the box sold again properly."""
    p = ctx.pick(ctx.products(inst))
    c = ctx.boxes(p, 1)
    day = ctx.day(inst)
    person = ctx.person(inst.region)
    t1 = ctx.t(day, 9, 18)
    codes = ctx.render(inst, p, c, day)
    wrong = ctx.sale(inst, t1, p, codes, 2, person, reserve=2)
    r = ctx.runners[inst.code]
    t2 = t1 + int(ctx.rng.integers(10, 60)) * MINUTE
    ctx.add(inst, r.desk.delete(t2, wrong))
    t3 = t2 + int(ctx.rng.integers(5, 30)) * MINUTE
    ctx.sale(inst, t3, p, codes, 1, person, reserve=0)
    ctx.row(case_id, "delete_3507", 0, trace_code=ctx.canon(p, c[0]), inst=inst.code, med=p.code, psn=person[0],
            first=t1, last=t3, count=2, zh="误录销售经3507删除（inv_data_type=4）后重新正确上传，删除后无重复",
            en="a mistaken sale deleted by 3507 (inv_data_type 4) and re-entered; no repeat once deletes apply")


def exempt_item(ctx: Ctx, case_id: str, inst: Institution) -> None:
    """An exempt item (中药饮片/配方颗粒) sold without a code at a normal pharmacy."""
    p: Product = ctx.pick(ctx.products(inst, exempt=True))
    day = ctx.day(inst)
    t = ctx.t(day)
    ctx.sale(inst, t, p, [], 1)
    ctx.row(case_id, "exempt_item", 0, inst=inst.code, med=p.code, first=t, last=t, count=1,
            zh=f"{p.drug.name}属免采集品种（中药饮片/配方颗粒），无追溯码不属于采集不规范",
            en="exempt item (TCM pieces/granules) sold without a code: not a collection gap")

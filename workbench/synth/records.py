"""Interface records (3501–3507) of one institution, as the NHSA 进销存 fields, wrapped in events.

An :class:`Ev` is one record plus its business time; ids (``fixmedins_bchno``, settlement and receipt
numbers) are filled in business-time order by :meth:`Desk.assign` just before writing.

>>> import numpy as np
>>> from .scale import resolve
>>> from .styles import draw_style
>>> from .world import build_world
>>> w = build_world(np.random.default_rng(1), np.random.default_rng(2), resolve("tiny"), 7)
>>> inst = w.institutions[0]
>>> d = Desk(inst, w, draw_style(np.random.default_rng(0), "json", "pharmacy"))
>>> p = w.products[0]
>>> ev = d.sale(100_000, p.idx, d.render(p, [5], p.lot(20)), 1, w.people.person("500116", 1), d.new_bill(True))
>>> d.assign(ev)
>>> ev.rec["sel_retn_cnt"], ev.rec["fixmedins_bchno"] is not None, len(ev.rec["drugtracinfo"])
(1, True, 1)
"""
from __future__ import annotations

from . import clock
from .codes import render_gs1
from .people import mix64
from .styles import Style
from .world import Institution, Lot, Product, World

TAG = {"3501": "PD", "3502": "KC", "3503": "CG", "3504": "CT", "3505": "XS", "3506": "TH", "3507": "SC"}
NO_PERSON = ("", "", "")


class Ev:
    """One interface record with its business time ``t`` (and, once decided, upload time ``inf_t``)."""

    __slots__ = ("t", "infno", "rec", "bill", "ref", "inf_t", "dup")

    def __init__(self, t: int, infno: str, rec: dict, bill: list | None = None, ref: Ev | None = None):
        self.t, self.infno, self.rec, self.bill, self.ref = t, infno, rec, bill, ref
        self.inf_t: int | None = None
        self.dup = False

    def copy_upload(self, inf_t: int) -> Ev:
        """A second upload of the very same record (HIS double upload)."""
        ev = Ev(self.t, self.infno, self.rec, self.bill, self.ref)
        ev.inf_t, ev.dup = inf_t, True
        return ev


class Desk:
    """Builds and numbers the records of one institution."""

    def __init__(self, inst: Institution, world: World, style: Style):
        self.inst, self.style, self.world = inst, style, world
        hosp = inst.type != "pharmacy"
        key = mix64(world.seed ^ int(inst.code[1:]))
        self.key = key
        pre = ("YP", "A", "")[key % 3] if hosp else ("A", "SP", "")[key % 3]
        with_spec = (key >> 8) % 3 == 0
        self.static = {}
        for p in world.products:
            d = p.drug
            price = d.price if hosp and d.jicai else round(d.price * inst.price_factor, 2)
            self.static[p.idx] = (p.code, f"{pre}{10000 + (key >> 16) % 500 * 100 + p.idx:06d}",
                                  f"{d.name} {d.spec}" if with_spec else d.name, d.rx, round(price, 2))
        ppl = world.people
        self.opters = [ppl.staff_name(inst.code, i) for i in range(3)]
        self.phar = ppl.staff_name(inst.code, 10)
        self.phar_cert = f"{(key >> 20) % 10**8:08d}"
        self.doctors = [ppl.staff_name(inst.code, 20 + i) for i in range(6 if hosp else 12)]
        self.n: dict[str, int] = {}
        self.bills = 0
        self._day, self._pre = -1, ("", "", "", "")
        self._bases: dict[tuple[int, bool], dict] = {}

    # ---- codes -------------------------------------------------------------------------------------
    def render(self, p: Product, counters: list[int], lot: Lot, level: int = 0, style: str | None = None) -> list[dict]:
        """``drugtracinfo`` entries for boxes ``counters`` of product ``p`` at packaging ``level``."""
        mint = p.mints[level]
        pad = " " if self.style.pad_code else ""
        if p.gs1:
            st = style or self.style.gs1_style
            return [{"drug_trac_codg": render_gs1(mint.prefix, mint.gs1_serial(c), lot.gs1_exp, lot.lotnum, st)}
                    for c in counters]
        return [{"drug_trac_codg": mint.nmpa(c) + pad} for c in counters]

    # ---- ids ---------------------------------------------------------------------------------------
    def new_bill(self, insured: bool) -> list:
        return [None, None, None, insured]

    def _bchno(self, infno: str, t: int) -> str:
        n = self.n[infno] = self.n.get(infno, 0) + 1
        kind = self.style.bchno
        if kind == "date":
            return f"{TAG[infno]}{clock.ymd(t)}{n:06d}"
        if kind == "num":
            return f"{self.inst.num:05d}{n:09d}"
        return f"{mix64(self.key ^ int(infno) << 32 ^ n):016x}{n:06x}"

    def _day_prefixes(self, t: int) -> tuple:
        """Per-day id prefixes (settlement, 就医流水号, receipt), cached for the current day."""
        day = t // clock.DAY
        if day != self._day:
            d = clock.ymd(t)
            hosp = self.inst.type != "pharmacy"
            self._day = day
            self._pre = (f"{self.inst.region}{d[2:]}{self.inst.num:05d}", ("MZ" if hosp else "JZ") + d,
                         ("CF" if hosp else "LS") + d, "XS" + d)
        return self._pre

    def _fill_bill(self, bill: list, t: int) -> None:
        self.bills += 1
        n = self.bills
        s_pre, m_pre, r_pre, _x = self._day_prefixes(t)
        tail = f"{n:06d}"
        bill[0] = f"{s_pre}{n:07d}" if bill[3] else ""
        bill[1] = m_pre + tail
        bill[2] = r_pre + tail

    def assign(self, ev: Ev) -> None:
        """Fill the ids of ``ev`` (call in business-time order; duplicates keep their original ids)."""
        rec = ev.rec
        if ev.dup or rec.get("fixmedins_bchno") is not None:
            return
        if ev.infno == "3507":
            rec["fixmedins_bchno"] = ev.ref.rec["fixmedins_bchno"]
            return
        rec["fixmedins_bchno"] = self._bchno(ev.infno, ev.t)
        bill = ev.bill
        if bill is not None:
            if bill[2] is None:
                self._fill_bill(bill, ev.t)
            rec["setl_id"], rec["mdtrt_sn"], rec["rtal_docno"] = bill[0], bill[1], bill[2]
            rec["stoout_no"] = bill[2]
            if rec["rx_flag"] == "1":
                rec["rxno"] = "RX" + bill[1][2:]
        if ev.infno == "3506":
            o = ev.ref.rec
            rec["medins_prod_sel_no"] = o["fixmedins_bchno"]
            rec["setl_id"], rec["mdtrt_sn"], rec["rxno"] = o["setl_id"], o["mdtrt_sn"], o["rxno"]
            rec["rtal_docno"] = "TH" + o["rtal_docno"][2:]
        elif ev.infno == "3504":
            rec["medins_prod_purc_no"] = ev.ref.rec["fixmedins_bchno"]

    def bill_now(self, insured: bool, t: int) -> list:
        """A bill whose ids are drawn now (the caller emits in business-time order)."""
        bill = [None, None, None, insured]
        self._fill_bill(bill, t)
        return bill

    def _sale_base(self, pi: int, ins: bool) -> dict:
        code, hid, hname, rx, pr = self.static[pi]
        base = {
            "med_list_codg": code, "fixmedins_hilist_id": hid, "fixmedins_hilist_name": hname,
            "fixmedins_bchno": None, "prsc_dr_name": "", "phar_name": self.phar, "phar_prac_cert_no": self.phar_cert,
            "hi_feesetl_type": "1" if ins else "2", "setl_id": None, "mdtrt_sn": None, "psn_no": "",
            "psn_cert_type": "01" if ins else "", "certno": "", "psn_name": "", "manu_lotnum": None,
            "manu_date": None, "expy_end": None, "rx_flag": rx, "trdn_flag": "0", "finl_trns_pric": pr, "rxno": "",
            "rtal_docno": None, "stoout_no": None, "sel_retn_cnt": None, "sel_retn_time": None,
            "sel_retn_opter_name": None, "mdtrt_setl_type": "1" if ins else "2", "memo": "", "drugtracinfo": None,
        }
        self._bases[(pi, ins)] = base
        return base

    def sale_now(self, t: int, pi: int, codes: list[dict], qty, person: tuple, bill: list, lot: Lot) -> Ev:
        """A background 3505 numbered at once (fast path of :meth:`sale` + :meth:`assign`)."""
        ins = bill[3]
        base = self._bases.get((pi, ins)) or self._sale_base(pi, ins)
        n = self.n["3505"] = self.n.get("3505", 0) + 1
        kind = self.style.bchno
        if kind == "date":
            bch = f"{self._day_prefixes(t)[3]}{n:06d}"
        elif kind == "num":
            bch = f"{self.inst.num:05d}{n:09d}"
        else:
            bch = f"{mix64(self.key ^ 3505 << 32 ^ n):016x}{n:06x}"
        k = t % 7
        rec = base.copy()
        rec["fixmedins_bchno"] = bch
        sn = bill[1]
        if base["rx_flag"] == "1":
            rec["prsc_dr_name"] = self.doctors[k % len(self.doctors)]
            rec["rxno"] = "RX" + sn[2:]
        rec["setl_id"] = bill[0]
        rec["mdtrt_sn"] = sn
        if ins:
            rec["psn_no"], rec["certno"], rec["psn_name"] = person
        rec["manu_lotnum"], rec["manu_date"], rec["expy_end"] = lot.lotnum, lot.manu_date, lot.expy_end
        rec["rtal_docno"] = rec["stoout_no"] = bill[2]
        rec["sel_retn_cnt"] = qty
        rec["sel_retn_time"] = clock.fmt(t)
        rec["sel_retn_opter_name"] = self.opters[k % 3]
        rec["drugtracinfo"] = codes
        return Ev(t, "3505", rec, bill)

    # ---- records -----------------------------------------------------------------------------------
    def sale(self, t: int, pi: int, codes: list[dict], qty, person: tuple, bill: list, trdn: str = "0",
             price: float | None = None, lot: Lot | None = None, infno: str = "3505") -> Ev:
        code, hid, hname, rx, pr = self.static[pi]
        lot = lot or self.world.products[pi].lot(20)
        k = t % 7
        rec = {
            "med_list_codg": code, "fixmedins_hilist_id": hid, "fixmedins_hilist_name": hname,
            "fixmedins_bchno": None, "prsc_dr_name": self.doctors[k % len(self.doctors)] if rx == "1" else "",
            "phar_name": self.phar, "phar_prac_cert_no": self.phar_cert, "hi_feesetl_type": "1" if bill[3] else "2",
            "setl_id": None, "mdtrt_sn": None, "psn_no": person[0], "psn_cert_type": "01" if person[1] else "",
            "certno": person[1], "psn_name": person[2], "manu_lotnum": lot.lotnum, "manu_date": lot.manu_date,
            "expy_end": lot.expy_end, "rx_flag": rx, "trdn_flag": trdn, "finl_trns_pric": pr if price is None else price,
            "rxno": "", "rtal_docno": None, "stoout_no": None, "sel_retn_cnt": qty, "sel_retn_time": clock.fmt(t),
            "sel_retn_opter_name": self.opters[k % 3], "mdtrt_setl_type": "1" if bill[3] else "2", "memo": "",
            "drugtracinfo": codes,
        }
        return Ev(t, infno, rec, bill)

    def sale_return(self, t: int, orig: Ev, codes: list[dict] | None = None, qty=None) -> Ev:
        o = orig.rec
        rec = dict(o)
        rec["fixmedins_bchno"] = None
        rec["sel_retn_time"] = clock.fmt(t)
        rec["drugtracinfo"] = o["drugtracinfo"] if codes is None else codes
        rec["sel_retn_cnt"] = o["sel_retn_cnt"] if qty is None else qty
        rec["memo"] = "退货"
        rec = {k: rec[k] for k in list(rec)[:4]} | {"medins_prod_sel_no": None} | {k: rec[k] for k in list(rec)[4:]}
        return Ev(t, "3506", rec, None, orig)

    def purchase(self, t: int, pi: int, qty: int, lot: Lot, supplier: int) -> Ev:
        code, hid, hname, rx, pr = self.static[pi]
        p = self.world.products[pi]
        _scode, sname, slic = self.world.suppliers[supplier]
        rec = {
            "med_list_codg": code, "fixmedins_hilist_id": hid, "fixmedins_hilist_name": hname,
            "dynt_no": "", "fixmedins_bchno": None, "spler_name": sname, "spler_pmtno": slic,
            "manu_lotnum": lot.lotnum, "prodentp_name": p.manufacturer, "aprvno": p.aprvno,
            "manu_date": lot.manu_date, "expy_end": lot.expy_end, "finl_trns_pric": round(pr * 0.72, 2),
            "purc_retn_cnt": qty, "purc_invo_codg": "", "purc_invo_no": "", "rx_flag": rx,
            "purc_retn_stoin_time": clock.fmt(t), "purc_retn_opter_name": self.opters[0], "prod_geay_flag": "0",
            "memo": "",
        }
        return Ev(t, "3503", rec)

    def purchase_return(self, t: int, orig: Ev, qty: int) -> Ev:
        rec = dict(orig.rec)
        rec["fixmedins_bchno"] = None
        rec["purc_retn_cnt"] = qty
        rec["purc_retn_stoin_time"] = clock.fmt(t)
        rec["memo"] = "近效期退货"
        rec["medins_prod_purc_no"] = None
        return Ev(t, "3504", rec, None, orig)

    def stock_change(self, t: int, pi: int, chg_type: str, cnt, codes: list[dict], lot: Lot,
                     trdn: str = "0") -> Ev:
        code, hid, hname, rx, pr = self.static[pi]
        rec = {
            "med_list_codg": code, "inv_chg_type": chg_type, "fixmedins_hilist_id": hid,
            "fixmedins_hilist_name": hname, "fixmedins_bchno": None, "pric": pr, "cnt": cnt, "rx_flag": rx,
            "inv_chg_time": clock.fmt(t), "inv_chg_opter_name": self.opters[1], "memo": "", "trdn_flag": trdn,
            "manu_lotnum": lot.lotnum, "manu_date": lot.manu_date, "expy_end": lot.expy_end, "drugtracinfo": codes,
        }
        return Ev(t, "3502", rec)

    def inventory(self, t: int, pi: int, cnt: int, codes: list[dict], lot: Lot) -> Ev:
        code, hid, hname, rx, _pr = self.static[pi]
        rec = {
            "med_list_codg": code, "fixmedins_hilist_id": hid, "fixmedins_hilist_name": hname, "rx_flag": rx,
            "invdate": clock.fmt_date(t), "inv_cnt": cnt, "manu_lotnum": lot.lotnum, "fixmedins_bchno": None,
            "manu_date": lot.manu_date, "expy_end": lot.expy_end, "memo": "", "drugtracinfo": codes,
        }
        return Ev(t, "3501", rec)

    def delete(self, t: int, target: Ev) -> Ev:
        dtype = {"3501": "1", "3502": "2", "3503": "3", "3504": "3", "3505": "4", "3506": "4"}[target.infno]
        return Ev(t, "3507", {"fixmedins_bchno": None, "inv_data_type": dtype}, None, target)

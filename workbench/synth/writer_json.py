"""Format A (``nhsa-json``): one request envelope per line, as each institution's HIS sends it.

>>> import orjson
>>> from .records import Ev
>>> from .styles import draw_style
>>> import numpy as np
>>> st = draw_style(np.random.default_rng(3), "json", "pharmacy")
>>> st.batch = st.flat_code = st.num_str = False
>>> w = JsonWriter("P50011600001", "江津区几江康宁大药房", "500116", "张三", st)
>>> ev = Ev(100, "3507", {"fixmedins_bchno": "XS1", "inv_data_type": "4"}); ev.inf_t = 200
>>> env = orjson.loads(w.render([ev]))
>>> env["infno"], env["input"], env["msgid"]
('3507', {'data': {'fixmedins_bchno': 'XS1', 'inv_data_type': '4'}}, 'P50011600001202501010003200001')
"""
from __future__ import annotations

import orjson

from . import clock
from .records import Ev
from .styles import Style

NODE = {"3501": "invinfo", "3502": "invinfo", "3503": "purcinfo", "3504": "purcinfo", "3505": "selinfo",
        "3506": "selinfo", "3507": "data"}
BATCH = {"3501": ("3501A", "invinfoDetail"), "3502": ("3502A", "invinfoDetail"),
         "3505": ("3505A", "selinfoDetail"), "3506": ("3506A", "selinfoDetail")}
QTY_FIELDS = ("sel_retn_cnt", "purc_retn_cnt", "cnt", "inv_cnt")
PRICE_FIELDS = ("finl_trns_pric", "pric")


class JsonWriter:
    """Renders the events of one institution-month as NDJSON bytes."""

    def __init__(self, code: str, name: str, region: str, opter_name: str, style: Style):
        self.code, self.name, self.region, self.style = code, name, region, style
        self.opter, self.opter_name = f"{code[-5:]}01", opter_name
        self.n = 0
        self.envelopes = 0
        self._static()
        self.shape_needed = style.flat_code or style.num_str or style.qty_dec or style.empty_code != "list"

    def _static(self) -> None:
        j = orjson.dumps
        self._mid = (b'","mdtrtarea_admvs":' + j(self.region) + b',"insuplc_admdvs":"","recer_sys_code":"JXC",'
                     b'"infver":"V1.0","opter_type":"1","opter":' + j(self.opter) + b',"opter_name":'
                     + j(self.opter_name) + b',"inf_time":"')
        self._tail = b'","fixmedins_code":' + j(self.code) + b',"fixmedins_name":' + j(self.name) + b',"input":{"'
        self._code_b = self.code.encode()

    def _envelope(self, infno: str, inf_t: int, node: str, payload) -> bytes:
        """One request line; the header is spliced from precomputed bytes, the record dumped by orjson."""
        self.n += 1
        msgid = self._code_b + clock.fmt_compact(inf_t).encode() + b"%04d" % (self.n % 10000)
        return (b'{"infno":"' + infno.encode() + b'","msgid":"' + msgid + self._mid + clock.fmt(inf_t).encode()
                + self._tail + node.encode() + b'":' + orjson.dumps(payload) + b"}}")

    def shape(self, rec: dict) -> dict:
        """Apply this HIS's quirks (flat code, numbers as strings, how a missing code looks)."""
        st = self.style
        if not self.shape_needed:
            return rec
        out = dict(rec)
        codes = out.get("drugtracinfo")
        if codes is not None:
            if not codes and st.empty_code != "list":
                del out["drugtracinfo"]
                if st.empty_code == "blank":
                    out["drugtracinfo"] = [{"drug_trac_codg": ""}]
                elif st.flat_code:
                    out["drug_trac_codg"] = ""
            elif len(codes) == 1 and st.flat_code:
                del out["drugtracinfo"]
                out["drug_trac_codg"] = codes[0]["drug_trac_codg"]
        for f in QTY_FIELDS:
            if f in out:
                v = out[f]
                out[f] = (f"{v:.4f}" if st.qty_dec else str(v)) if st.num_str else (float(v) if st.qty_dec else v)
        if st.num_str:
            for f in PRICE_FIELDS:
                if f in out:
                    out[f] = f"{out[f]:.2f}"
        return out

    def render(self, evs: list[Ev]) -> bytes:
        """NDJSON bytes of ``evs`` (already in upload order)."""
        lines = []
        batch, size = self.style.batch, self.style.batch_size
        i, n = 0, len(evs)
        while i < n:
            ev = evs[i]
            if batch and ev.infno in BATCH:
                j = i + 1
                while j < n and j - i < size and evs[j].infno == ev.infno and evs[j].inf_t - ev.inf_t < 120:
                    j += 1
                infno, node = BATCH[ev.infno]
                lines.append(self._envelope(infno, evs[j - 1].inf_t, node, [self.shape(e.rec) for e in evs[i:j]]))
                i = j
                continue
            lines.append(self._envelope(ev.infno, ev.inf_t, NODE[ev.infno], self.shape(ev.rec)))
            i += 1
        self.envelopes += len(lines)
        lines.append(b"")
        return b"\n".join(lines)

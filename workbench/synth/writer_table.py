"""Format B (``table``): one row per interface record, Chinese (or NHSA field-code) headers, written as
CSV (UTF-8 with BOM or GB18030) or XLSX.

>>> cols = columns(header="zh", infno_col="接口编号", upload_col=True)
>>> [c[1] for c in cols[:3]], cols[-1][1]
(['接口编号', '定点医药机构编码', '定点医药机构名称'], '上传时间')
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

from . import clock
from .records import Ev
from .styles import Style

# (field, Chinese header); fields without a recognised Chinese alias keep their NHSA code as header
COLUMNS = [
    ("infno", "接口编号"), ("fixmedins_code", "定点医药机构编码"), ("fixmedins_name", "定点医药机构名称"),
    ("med_list_codg", "医保药品编码"), ("fixmedins_hilist_id", "定点医药机构目录编号"),
    ("fixmedins_hilist_name", "药品名称"), ("fixmedins_bchno", "定点医药机构批次流水号"), ("rx_flag", "rx_flag"),
    ("manu_lotnum", "生产批号"), ("manu_date", "生产日期"), ("expy_end", "有效期止"), ("setl_id", "结算ID"),
    ("mdtrt_sn", "就医流水号"), ("psn_no", "人员编号"), ("psn_cert_type", "psn_cert_type"), ("certno", "证件号码"),
    ("psn_name", "人员姓名"), ("mdtrt_setl_type", "mdtrt_setl_type"), ("trdn_flag", "拆零标志"),
    ("finl_trns_pric", "单价"), ("rtal_docno", "零售单据号"), ("sel_retn_cnt", "销售/退货数量"),
    ("sel_retn_time", "销售/退货时间"), ("medins_prod_sel_no", "medins_prod_sel_no"), ("drug_trac_codg", "追溯码"),
    ("spler_name", "供应商名称"), ("purc_retn_cnt", "采购/退货数量"), ("purc_retn_stoin_time", "采购/退货入库时间"),
    ("medins_prod_purc_no", "medins_prod_purc_no"), ("inv_chg_type", "库存变更类型"), ("pric", "pric"),
    ("cnt", "数量"), ("inv_chg_time", "库存变更时间"), ("invdate", "盘存日期"), ("inv_cnt", "库存数量"),
    ("inv_data_type", "inv_data_type"), ("inf_time", "上传时间"),
]
BUSINESS = {"3501": "盘存", "3502": "库存变更", "3503": "采购", "3504": "采购退货", "3505": "商品销售", "3506": "销售退货"}
_NUM = {"finl_trns_pric", "pric"}
_QTY = {"sel_retn_cnt", "purc_retn_cnt", "cnt", "inv_cnt"}
FIXED_TIME = datetime(2025, 10, 1)


def columns(header: str, infno_col: str, upload_col: bool) -> list[tuple[str, str]]:
    """The (field, header) pairs of one institution's export."""
    cols = [c for c in COLUMNS if upload_col or c[0] != "inf_time"]
    if header == "nhsa":
        return [(f, f) for f, _ in cols]
    return [(f, infno_col if f == "infno" else h) for f, h in cols]


class TableWriter:
    """Collects rows of one institution-month and writes them in the institution's format."""

    def __init__(self, code: str, name: str, style: Style):
        self.code, self.name, self.style = code, name, style
        self.cols = columns(style.header, style.infno_col, style.upload_col)

    def row(self, ev: Ev, xlsx: bool) -> list:
        rec, st = ev.rec, self.style
        out = []
        for f, _h in self.cols:
            if f == "infno":
                v = BUSINESS[ev.infno] if st.infno_col == "业务类型" and st.header == "zh" else ev.infno
            elif f == "fixmedins_code":
                v = self.code
            elif f == "fixmedins_name":
                v = self.name
            elif f == "drug_trac_codg":
                v = st.sep.join(c["drug_trac_codg"] for c in rec.get("drugtracinfo", ()))
            elif f == "inf_time":
                v = clock.fmt(ev.inf_t)
            else:
                v = rec.get(f, "")
                if f in _QTY and v != "":
                    v = (float(v) if xlsx else f"{v:.4f}") if st.qty_dec else v
                elif f in _NUM and v != "" and not xlsx:
                    v = f"{v:.2f}"
            out.append(v)
        return out

    def write(self, path: Path, evs: list[Ev]) -> None:
        if self.style.fmt == "xlsx":
            self._xlsx(path, evs)
            return
        enc = "gb18030" if self.style.fmt == "csv_gb18030" else "utf-8-sig"
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow([h for _f, h in self.cols])
        w.writerows(self.row(ev, False) for ev in evs)
        path.write_bytes(buf.getvalue().encode(enc))

    def _xlsx(self, path: Path, evs: list[Ev]) -> None:
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        wb.properties.created = wb.properties.modified = FIXED_TIME
        wb.properties.creator = "HIS"
        ws = wb.create_sheet("进销存明细")
        ws.append([h for _f, h in self.cols])
        for ev in evs:
            ws.append(self.row(ev, True))
        raw = io.BytesIO()
        wb.save(raw)
        path.write_bytes(_stable_zip(raw.getvalue()))


def _stable_zip(data: bytes) -> bytes:
    """Re-pack a zip with fixed entry timestamps so that equal content gives equal bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=(2025, 10, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2025-10-01T00:00:00Z", body)
            dst.writestr(zi, body)
    return out.getvalue()

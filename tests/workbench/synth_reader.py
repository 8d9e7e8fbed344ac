"""A deliberately small reader of the generator's uploads, used only to check the generated data."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from workbench.synth.codes import canonical
from workbench.synth.writer_table import BUSINESS, COLUMNS

ZH = {h: f for f, h in COLUMNS}
ZH["接口编号"] = ZH["业务类型"] = ZH["infno"] = "infno"
BUSINESS_NO = {v: k for k, v in BUSINESS.items()}
TIME_FIELD = {"3501": "invdate", "3502": "inv_chg_time", "3503": "purc_retn_stoin_time",
              "3504": "purc_retn_stoin_time", "3505": "sel_retn_time", "3506": "sel_retn_time"}


@dataclass
class Row:
    infno: str
    inst: str
    rec: dict
    codes: list[str]  # as rendered
    inf_time: str
    source: str
    canon: list[str] = field(default_factory=list)

    @property
    def bchno(self) -> str:
        return self.rec.get("fixmedins_bchno", "")

    @property
    def time(self) -> str:
        return str(self.rec.get(TIME_FIELD.get(self.infno, ""), ""))

    @property
    def qty(self) -> float:
        f = {"3505": "sel_retn_cnt", "3506": "sel_retn_cnt", "3503": "purc_retn_cnt", "3504": "purc_retn_cnt",
             "3502": "cnt", "3501": "inv_cnt"}[self.infno]
        return float(self.rec.get(f) or 0)


def _codes_json(rec: dict) -> list[str]:
    if "drugtracinfo" in rec:
        return [c["drug_trac_codg"] for c in rec["drugtracinfo"] if c.get("drug_trac_codg", "").strip()]
    flat = rec.get("drug_trac_codg", "")
    return [flat] if flat.strip() else []


def read_json(path: Path) -> list[Row]:
    rows = []
    for n, line in enumerate(path.read_bytes().splitlines()):
        env = orjson.loads(line)
        (node, payload), = env["input"].items()
        for rec in payload if isinstance(payload, list) else [payload]:
            codes = _codes_json(rec)
            rows.append(Row(env["infno"][:4], env["fixmedins_code"], rec, codes, env["inf_time"],
                            f"{path.name}:{n + 1}", [canonical(c) for c in codes]))
    return rows


def decode_table(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _table_rows(header: list[str], body, source: str) -> list[Row]:
    fields = [ZH.get(h, h) for h in header]
    out = []
    for n, vals in enumerate(body):
        rec = {f: ("" if v is None else str(v)) for f, v in zip(fields, vals, strict=False)}
        infno = BUSINESS_NO.get(rec["infno"], rec["infno"])
        codes = [c for c in re.split(r"[,;|]", rec.pop("drug_trac_codg", "")) if c.strip()]
        out.append(Row(infno, rec["fixmedins_code"], rec, codes, rec.get("inf_time", ""), f"{source}:{n + 2}",
                       [canonical(c) for c in codes]))
    return out


def read_csv(path: Path) -> list[Row]:
    r = list(csv.reader(io.StringIO(decode_table(path.read_bytes()))))
    return _table_rows(r[0], r[1:], path.name)


def read_xlsx(path: Path) -> list[Row]:
    from openpyxl import load_workbook

    ws = load_workbook(path, read_only=True).active
    rows = list(ws.iter_rows(values_only=True))
    return _table_rows([str(h) for h in rows[0]], rows[1:], path.name)


def read_all(root: Path) -> list[Row]:
    rows: list[Row] = []
    for p in sorted((root / "uploads" / "json").rglob("*.ndjson")):
        rows += read_json(p)
    for p in sorted((root / "uploads" / "table").glob("*.csv")):
        rows += read_csv(p)
    for p in sorted((root / "uploads" / "table").glob("*.xlsx")):
        rows += read_xlsx(p)
    return rows

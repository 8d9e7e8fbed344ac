"""Per-institution upload habits: file format, HIS quirks, id formats, upload timing.

Drawn with a fixed number of random draws per institution, so the same seed gives the same habits
whatever the output format or scale.

>>> import numpy as np
>>> s = draw_style(np.random.default_rng(3), "json", "pharmacy")
>>> s.fmt, s.infno_col
('json', '接口编号')
>>> s.deletes_ok
True
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .codes import GS1_STYLES

FORMATS = ("mixed", "json", "csv")


@dataclass
class Style:
    fmt: str  # json | csv_utf8 | csv_gb18030 | xlsx
    batch: bool  # json: 3505A/3502A/3501A/3506A with list nodes
    batch_size: int
    flat_code: bool  # json: one flat drug_trac_codg for single-code records
    num_str: bool  # json: numbers sent as strings
    empty_code: str  # record without a code: list ([]), blank ([{"drug_trac_codg": ""}]), absent
    gs1_style: str
    pad_code: bool  # scanner appends a space after each code
    upload: str  # realtime | nightly
    bchno: str  # date | num | hex
    header: str  # zh | nhsa (table files)
    infno_col: str  # 接口编号 | 业务类型 (table files)
    sep: str  # code separator in one table cell
    upload_col: bool  # table has 上传时间
    qty_dec: bool  # quantities written as 1.0000

    @property
    def is_table(self) -> bool:
        return self.fmt != "json"

    @property
    def deletes_ok(self) -> bool:
        """Whether this HIS can express a 3507 delete (JSON, or a table keyed by 接口编号)."""
        return not self.is_table or self.infno_col == "接口编号"


def _format(fmt: str, u: float, v: float, kind: str, xlsx_slot: bool) -> str:
    if fmt == "json":
        return "json"
    if fmt == "csv":
        return "csv_gb18030" if v < 0.5 else "csv_utf8"
    if u < 0.6:
        return "json"
    if xlsx_slot and kind == "clinic":
        return "xlsx"
    return "csv_gb18030" if v < 0.5 else "csv_utf8"


def draw_style(rng: np.random.Generator, fmt: str, kind: str, xlsx_slot: bool = False,
               nhsa_header: bool = False) -> Style:
    """Habits of one institution; ``xlsx_slot`` lets a clinic export XLSX in mixed mode."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown fmt {fmt!r}: use one of {', '.join(FORMATS)}")
    u = rng.random(12)
    f = _format(fmt, float(u[0]), float(u[1]), kind, xlsx_slot)
    gs1 = GS1_STYLES[int(u[2] * len(GS1_STYLES))]
    if f == "xlsx":
        gs1 = "bracket"  # XLSX cannot hold the GS control character
    return Style(
        fmt=f, batch=bool(u[3] < 0.35), batch_size=int(10 + u[4] * 40), flat_code=bool(u[5] < 0.25),
        num_str=bool(u[6] < 0.3), empty_code=("list", "blank", "absent")[int(u[7] * 3)], gs1_style=gs1,
        pad_code=bool(u[8] < 0.06), upload="nightly" if u[9] < 0.55 else "realtime",
        bchno=("date", "num", "hex")[int(u[10] * 3)], header="nhsa" if nhsa_header else "zh",
        infno_col="业务类型" if u[11] < 0.25 else "接口编号", sep=";" if u[4] < 0.4 else ",",
        upload_col=bool(u[11] > 0.4), qty_dec=bool(u[6] > 0.75),
    )

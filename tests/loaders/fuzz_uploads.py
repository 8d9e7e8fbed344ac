"""Valid uploads for the reader fuzz test, built from records the test knows: NDJSON envelopes, CSV
with Chinese headers (UTF-8, UTF-8 with BOM, GB18030) and XLSX, with what each line should read as.

A text upload is a ``Doc``: its bytes and, for each line content it holds, what that line must read
as (``LineExpect``). Mutations change the bytes and register what their new lines must read as;
lines left untouched keep the expectation of the record they carry.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass, field, replace

PRODUCTS = ["奥美拉唑肠溶胶囊 20mg*14粒", "阿莫西林胶囊 0.25g*24粒", "布洛芬缓释胶囊（芬必得）", "连花清瘟胶囊",
            "复方丹参滴丸 27mg*180丸", "蒙脱石散 3g*10袋", "头孢克肟分散片", "板蓝根颗粒 10g×20袋",
            "硝苯地平控释片", "六味地黄丸（浓缩丸）", "藿香正气水 10ml*10支", "小儿氨酚黄那敏颗粒"]
PEOPLE = ["张三", "李四", "王䶮", "𠮷田花子", "欧阳娜娜", "买买提·艾力", "赵六", "钱七"]
INSTITUTIONS = [("P50011600012", "江津区某某大药房"), ("H50011600357", "重庆市江津区中心医院"),
                ("P50011600099", "江津区几江镇惠民药店")]
CSV_HEADER = ["接口编号", "定点医药机构编码", "定点医药机构名称", "医保药品编码", "药品名称", "批次流水号", "人员编号",
              "人员姓名", "拆零标志", "单价", "数量", "时间", "库存变更类型", "追溯码", "上传时间"]
UPLOAD_TIME = "2025-06-02 01:10:00"
EVENT_TYPES = {"3505": "sale", "3506": "sale_return", "3501": "inventory"}
CHANGE_TYPES = {"101": "transfer_in", "102": "transfer_out"}
TABLE_NAMES = {"3505": ["3505", "商品销售", "销售"], "3506": ["3506", "销售退货"], "3502": ["3502", "库存变更"],
               "3501": ["3501", "盘存"]}
NODES = {"3505": "selinfo", "3506": "selinfo", "3502": "invinfo", "3501": "invinfo"}
DELIMITERS = [",", ",", ",", "\t", ";"]
TEXT_FORMATS = {"ndjson": ("utf-8-sig", "utf-8", "gb18030"), "csv": ("gb18030", "utf-8", "utf-8-sig")}


@dataclass(frozen=True)
class Record:
    """One interface record as the test wrote it, and what its events must say."""

    family: str
    bchno: str
    institution: tuple[str, str]
    product: str
    person: str | None
    codes: tuple[str, ...]
    quantity: str
    price: str | None
    time: dt.datetime
    change_type: str | None = None
    date_only: bool = False

    @property
    def event_type(self) -> str:
        return CHANGE_TYPES[self.change_type] if self.family == "3502" else EVENT_TYPES[self.family]

    def time_text(self) -> str:
        return self.time.strftime("%Y-%m-%d" if self.date_only else "%Y-%m-%d %H:%M:%S")

    def signature(self) -> tuple:
        """What the record's events must carry (see ``fuzz_oracle.event_signature``)."""
        price = float(self.price) if self.price is not None else None
        return (self.bchno, self.event_type, self.product, self.person, self.institution[1], self.codes,
                float(self.quantity), price, self.time)


@dataclass(frozen=True)
class RecordExpect:
    """What one record of a line must read as: ``same`` (accepted as ``record``), ``same_or_reject``
    (accepted as ``record`` or rejected, never altered), ``reject``, or ``any`` (only counted)."""

    kind: str
    record: Record | None = None


LineExpect = tuple[RecordExpect, ...]


@dataclass
class Doc:
    """A text upload: its bytes, its format and base encoding, and the expectation of each line content
    (the line's bytes without its line end). ``exact`` is False when the test cannot count its records."""

    fmt: str
    encoding: str
    data: bytes
    expect: dict[bytes, LineExpect] = field(default_factory=dict)
    header: bytes = b""
    delimiter: str = ","
    bad_input_ok: bool = False
    exact: bool = True
    mutations: list[str] = field(default_factory=list)

    @property
    def codec(self) -> str:
        return "utf-8" if self.encoding == "utf-8-sig" else self.encoding


@dataclass
class Sheet:
    """An XLSX upload before it is saved: header, rows (cells, expectation or None for an empty row)."""

    header: list
    rows: list[tuple[list, LineExpect | None]]
    bad_input_ok: bool = False
    corrupt: str = ""
    mutations: list[str] = field(default_factory=list)

    fmt = "xlsx"


def make_records(rng: random.Random, count: int) -> list[Record]:
    """``count`` records of four interfaces, each with one to four unique 20-digit codes."""
    records = []
    for index in range(count):
        family = rng.choice(["3505", "3505", "3505", "3506", "3502", "3501"])
        codes = tuple("8" + "".join(rng.choice("0123456789") for _ in range(19)) for _ in range(rng.randint(1, 4)))
        moment = dt.datetime(2025, rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23), rng.randint(0, 59),
                             rng.randint(0, 59))
        sale = family in ("3505", "3506")
        records.append(Record(
            family=family, bchno=f"B{index:03d}{rng.getrandbits(32):08x}", institution=rng.choice(INSTITUTIONS),
            product=rng.choice(PRODUCTS), person=rng.choice(PEOPLE) if sale else None, codes=codes,
            quantity=str(len(codes) * rng.choice([1, 1, 2])), price=f"{rng.randint(1, 9999) / 100:.2f}" if sale else None,
            time=moment.replace(hour=0, minute=0, second=0) if family == "3501" else moment,
            change_type=rng.choice(list(CHANGE_TYPES)) if family == "3502" else None, date_only=family == "3501",
        ))  # fmt: skip
    return records


def record_json(record: Record, codes_as: str = "objects") -> dict:
    """A record node as an institution sends it; ``codes_as``: objects, strings or flat."""
    quantity_field = {"3505": "sel_retn_cnt", "3506": "sel_retn_cnt", "3502": "cnt", "3501": "inv_cnt"}[record.family]
    time_field = {"3505": "sel_retn_time", "3506": "sel_retn_time", "3502": "inv_chg_time", "3501": "invdate"}[
        record.family]
    node = {"med_list_codg": "XA01ABD075A002010100483", "fixmedins_hilist_id": "A1001",
            "fixmedins_hilist_name": record.product, "fixmedins_bchno": record.bchno}
    if record.person is not None:
        node |= {"psn_no": "50011600000000000000000123", "psn_name": record.person, "trdn_flag": "0",
                 "finl_trns_pric": float(record.price), "rtal_docno": f"R{record.bchno}"}
    if record.change_type:
        node["inv_chg_type"] = record.change_type
    node |= {quantity_field: int(record.quantity), time_field: record.time_text()}
    if codes_as == "flat":
        node["drug_trac_codg"] = ",".join(record.codes)
    elif codes_as == "strings":
        node["drugtracinfo"] = list(record.codes)
    else:
        node["drugtracinfo"] = [{"drug_trac_codg": code} for code in record.codes]
    return node


def envelope_json(records: list[Record], rng: random.Random, batch: bool) -> dict:
    """One request envelope carrying ``records`` (a batch variant when ``batch``)."""
    first = records[0]
    codes_as = rng.choice(["objects", "objects", "strings", "flat"])
    nodes = [record_json(record, codes_as) for record in records]
    node = NODES[first.family]
    body = {node + "Detail": nodes} if batch else {node: nodes[0]}
    return {"infno": first.family + ("A" if batch else ""), "msgid": f"{first.institution[0]}202506020110000001",
            "fixmedins_code": first.institution[0], "fixmedins_name": first.institution[1],
            "inf_time": UPLOAD_TIME, "input": body}


def ndjson_doc(rng: random.Random, records: list[Record], encoding: str) -> Doc:
    """Envelopes one per line; some lines are batches of two or three records of one institution."""
    doc = Doc("ndjson", encoding, b"")
    lines, index = [], 0
    while index < len(records):
        take = rng.choice([1, 1, 1, 2, 3]) if records[index].family in ("3505", "3501") else 1
        group = [r for r in records[index : index + take] if r.family == records[index].family]
        group = [replace(r, institution=group[0].institution) for r in group]
        index += len(group)
        line = json.dumps(envelope_json(group, rng, batch=take > 1), ensure_ascii=False).encode(doc.codec)
        doc.expect[line] = tuple(RecordExpect("same", r) for r in group)
        lines.append(line)
    doc.data = _bom(encoding) + b"\n".join(lines) + b"\n"
    if encoding == "utf-8-sig":
        doc.expect[_bom(encoding) + lines[0]] = doc.expect[lines[0]]
    return doc


def table_row(record: Record, rng: random.Random, code_separator: str | None = None) -> list[str]:
    """A record as the cells of one table row under ``CSV_HEADER``."""
    separator = code_separator or rng.choice([";", "|", " ", ","])
    return [rng.choice(TABLE_NAMES[record.family]), record.institution[0], record.institution[1],
            "XA01ABD075A002010100483", record.product, record.bchno, "50011600000000000000000123" if record.person else "",
            record.person or "", "0", record.price or "", record.quantity, record.time_text(), record.change_type or "",
            separator.join(record.codes), UPLOAD_TIME]  # fmt: skip


def csv_line(cells: list[str], delimiter: str) -> str:
    """Cells joined as a HIS export writes them: a cell is quoted only when it must be."""
    return delimiter.join(f'"{c.replace(chr(34), chr(34) * 2)}"' if delimiter in c or '"' in c else c for c in cells)


def csv_doc(rng: random.Random, records: list[Record], encoding: str) -> Doc:
    delimiter = rng.choice(DELIMITERS)
    ending = rng.choice([b"\n", b"\r\n"])
    header = _bom(encoding) + csv_line(CSV_HEADER, delimiter).encode(encoding.replace("-sig", ""))
    doc = Doc("csv", encoding, b"", header=header, delimiter=delimiter)
    lines = [header]
    for record in records:
        line = csv_line(table_row(record, rng), delimiter).encode(doc.codec)
        doc.expect[line] = (RecordExpect("same", record),)
        lines.append(line)
    doc.data = ending.join(lines) + ending
    return doc


def sheet_of(rng: random.Random, records: list[Record]) -> Sheet:
    """Rows with typed cells where Excel would type them: quantities as numbers, times as datetimes."""
    rows = []
    for record in records:
        cells: list = table_row(record, rng)
        cells[10] = int(record.quantity) if rng.random() < 0.7 else record.quantity
        if rng.random() < 0.6:
            cells[11] = record.time.date() if record.date_only else record.time
        rows.append((cells, (RecordExpect("same", record),)))
    return Sheet(list(CSV_HEADER), rows)


def base_upload(rng: random.Random, fmt: str, turn: int = 0) -> Doc | Sheet:
    """A valid upload of a few dozen records in ``fmt`` (ndjson, csv or xlsx); ``turn`` picks a text
    format's encoding (in turn, from ``TEXT_FORMATS``)."""
    records = make_records(rng, rng.randint(24, 40))
    if fmt == "xlsx":
        return sheet_of(rng, records)
    encodings = TEXT_FORMATS[fmt]
    encoding = encodings[turn % len(encodings)]
    return ndjson_doc(rng, records, encoding) if fmt == "ndjson" else csv_doc(rng, records, encoding)


def _bom(encoding: str) -> bytes:
    return b"\xef\xbb\xbf" if encoding == "utf-8-sig" else b""

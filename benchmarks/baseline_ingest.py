"""The plain baseline: ``json`` + ``pandas``, the way one would write it first.

Reads every file fully, loops over envelopes and records in Python, builds one DataFrame of code rows and
writes it to Parquet. Format B: ``pandas.read_csv`` with the encoding given. No dedup, no rejects.
Usage: python baseline_ingest.py json|csv INPUT_DIR OUT.parquet
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd

TIME = {"3501": "invdate", "3502": "inv_chg_time", "3503": "purc_retn_stoin_time", "3504": "purc_retn_stoin_time",
        "3505": "sel_retn_time", "3506": "sel_retn_time"}
QTY = {"3501": "inv_cnt", "3502": "cnt", "3503": "purc_retn_cnt", "3504": "purc_retn_cnt", "3505": "sel_retn_cnt",
       "3506": "sel_retn_cnt"}


def json_rows(path: Path) -> list[dict]:
    rows = []
    for line in path.read_text("utf-8").splitlines():
        if not line.strip():
            continue
        envelope = json.loads(line)
        family = envelope["infno"][:4]
        for node in envelope["input"].values():
            for record in node if isinstance(node, list) else [node]:
                codes = [c["drug_trac_codg"] for c in record.get("drugtracinfo") or []] or [record.get("drug_trac_codg", "")]
                quantity = float(record.get(QTY.get(family, ""), 0) or 0)
                for code in codes:
                    rows.append({"infno": family, "institution_code": envelope["fixmedins_code"],
                                 "bchno": record.get("fixmedins_bchno"), "med_list_codg": record.get("med_list_codg"),
                                 "event_time": record.get(TIME.get(family, "")), "trace_code": code,
                                 "quantity": quantity / max(len(codes), 1), "psn_no": record.get("psn_no")})
    return rows


def main(kind: str, folder: str, out: str) -> None:
    files = sorted(p for p in Path(folder).rglob("*") if p.is_file())
    if kind == "json":
        frame = pd.DataFrame([row for path in files if path.suffix == ".ndjson" for row in json_rows(path)])
    else:
        frames = []
        for path in files:
            if path.suffix != ".csv":
                continue
            encoding = "utf-8-sig" if path.read_bytes()[:3] == b"\xef\xbb\xbf" else "gb18030"
            try:
                frames.append(pd.read_csv(path, dtype=str, encoding=encoding))
            except UnicodeDecodeError:
                frames.append(pd.read_csv(path, dtype=str, encoding="utf-8"))
        frame = pd.concat(frames, ignore_index=True)
        frame["event_time"] = pd.to_datetime(frame.get("销售/退货时间"), errors="coerce")
    frame.to_parquet(out)
    print(len(frame))


if __name__ == "__main__":
    main(*sys.argv[1:4])

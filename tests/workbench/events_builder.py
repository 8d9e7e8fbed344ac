"""Hand-made canonical events for rule tests, written as the loaders write them."""

from __future__ import annotations

from datetime import datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq

from loaders.normalize import EVENT_TYPES
from loaders.workspace import Workspace

_ARROW = {"VARCHAR": pa.string(), "TIMESTAMP": pa.timestamp("us"), "BOOLEAN": pa.bool_(), "DOUBLE": pa.float64(),
          "INTEGER": pa.int32(), "BIGINT": pa.int64()}
SCHEMA = pa.schema([(name, _ARROW[kind]) for name, kind in EVENT_TYPES.items()])
START = datetime(2025, 6, 1, 9, 0, 0)
PHARMACY = "P50011600012"


def event(n: int, code: str = "81234560000000000012", kind: str = "sale", day: int = 0, **fields) -> dict:
    """Event ``n`` (its own record) of one code; ``fields`` override the defaults."""
    family = {"sale": "3505", "sale_return": "3506", "purchase": "3503", "transfer_in": "3502",
              "transfer_out": "3502", "inventory": "3501"}.get(kind, "3505")
    row = {name: None for name in SCHEMA.names}
    row.update(event_type=kind, event_time=START + timedelta(days=day, minutes=n), trace_code=code, code_raw=code,
               code_scheme="nmpa20" if code else "none", code_product_id=code[:7] if code else None,
               med_list_codg="XA01ABD075A002010100483", institution_code=PHARMACY, institution_type="pharmacy",
               region_code="500116", psn_no=f"PSN{n:04d}", setl_id=f"S{n}", receipt_no=f"R{n}", split_flag=False,
               quantity=1.0, record_quantity=1.0, record_code_count=1 if code else 0, unit_price=20.0, amount=20.0,
               record_no=f"B{n}", family=family, interface=family, source_record=f"{family}|{PHARMACY}|B{n}",
               source_file="hand.ndjson", source_line=n, record_index=1, code_position=1)
    row.update(fields)
    row["event_id"] = f"{row['source_record']}#{row['code_position']}"
    return row


def write(ws: Workspace, rows: list[dict], products: list[dict] | None = None) -> Workspace:
    """Put the events (and a products reference) in the workspace."""
    pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), ws.folder("events") / "hand.parquet")
    if products:
        columns = ("med_list_codg", "name", "spec", "units_per_pack", "unit_price", "trace_prefixes", "exempt")
        table = pa.table({c: pa.array([str(p.get(c, "")) for p in products], pa.string()) for c in columns})
        ws.reference_path("products").parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, ws.reference_path("products"))
    return ws

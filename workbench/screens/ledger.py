"""The repeat ledger: every code sold more than once, in exactly one bucket (``ledger.yaml``) — a lead of
a named scenario, a legitimate pattern (which one), a repeat under a rule's threshold, or an unexplained
``repeat`` lead — so that no repeated code falls through unseen.

>>> sorted({bucket.kind for bucket in buckets().values()})
['below_threshold', 'lead', 'legitimate', 'unexplained']
>>> reconciliation({"lead": 2, "legitimate": 5, "below_threshold": 1, "unexplained": 1})
'重复码 repeated codes 9 = 线索 in leads 2 + 合法 legitimate 5 + 未达阈值 below thresholds 1 + 未解释 unexplained 1 (flagged as repeat)'
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cache
from importlib import resources

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

from loaders.atomic import atomic_path

#: The code-level leads the ledger and the repeat rule read.
LEAD_CODES = pa.schema([("trace_code", pa.string()), ("scenario", pa.string()), ("lead_id", pa.string()),
                        ("score", pa.float64())])
#: ``repeats.parquet``: one row per code sold more than once (the same types from every engine).
LEDGER = pa.schema([("trace_code", pa.string()), ("sales", pa.int64()), ("institutions", pa.int64()),
                    ("selling_sites", pa.int64()), ("unexplained_sites", pa.int64()), ("net_boxes", pa.float64()),
                    ("sites", pa.string()), ("bucket", pa.string()), ("lead_scenario", pa.string()),
                    ("lead_id", pa.string()), ("kind", pa.string())])
KINDS = ("lead", "legitimate", "below_threshold", "unexplained")
_KIND_TEXT = {"lead": "线索 in leads", "legitimate": "合法 legitimate", "below_threshold": "未达阈值 below thresholds",
              "unexplained": "未解释 unexplained"}


@dataclass(frozen=True)
class Bucket:
    """One place a repeated code can land, and what an investigator checks first there."""

    name: str
    kind: str
    zh: str
    en: str
    check_zh: str
    check_en: str


@cache
def _declared() -> dict:
    return yaml.safe_load(resources.files("workbench.screens").joinpath("ledger.yaml").read_text("utf-8"))


@cache
def buckets() -> dict[str, Bucket]:
    """Every bucket by name, in the order the ledger tries them."""
    found = {name: Bucket(name, **spec) for name, spec in _declared()["buckets"].items()}
    assert {bucket.kind for bucket in found.values()} <= set(KINDS)
    return found


def ledger_sql() -> str:
    return _declared()["sql"]


def lead_codes(leads: list[dict]) -> pa.Table:
    """The code-level leads (those naming a trace code) as the ``lead_codes`` table."""
    rows = [lead for lead in leads if lead.get("trace_code")]
    return pa.table({name: pa.array([lead[name] for lead in rows], field.type)
                     for name, field in zip(LEAD_CODES.names, LEAD_CODES, strict=True)}, schema=LEAD_CODES)


def repeat_ledger(runner, leads: list[dict]) -> pa.Table:
    """The ledger of one screening run (``runner`` holds the ``code_facts`` view): a row per repeated code
    with its bucket, the bucket's kind and the lead that holds it, if any."""
    runner.register("lead_codes", lead_codes(leads))
    found = runner.run(ledger_sql(), {})
    kinds = pa.array([buckets()[name].kind for name in found.column("bucket").to_pylist()], pa.string())
    table = found.append_column("kind", kinds).select(LEDGER.names).cast(LEDGER)
    boxes = table.schema.get_field_index("net_boxes")  # engines add fractions in different orders
    table = table.set_column(boxes, "net_boxes", pc.round(table.column("net_boxes"), 6))
    return table.sort_by([("trace_code", "ascending")])


def write_ledger(ledger: pa.Table, path) -> None:
    """The ledger as Parquet (``repeats.parquet`` beside the leads), replaced atomically."""
    with atomic_path(path) as temporary:
        pq.write_table(ledger, temporary, compression="zstd")


def ledger_summary(ledger: pa.Table) -> str:
    """The reconciliation line, then the codes per bucket with what to check first.

    >>> table = pa.table({"bucket": ["repeat", "split_sale"], "kind": ["unexplained", "legitimate"]})
    >>> print(ledger_summary(table))
    重复码 repeated codes 2 = 线索 in leads 0 + 合法 legitimate 1 + 未达阈值 below thresholds 0 + 未解释 unexplained 1 (flagged as repeat)
      未解释的跨机构重复（repeat 线索） repeat: 1 — 先看各机构的销售凭证与进货来源，再查参保人是否为同一人
      拆零销售（合计不超过一盒） split_sale: 1 — 核对拆零标志与每盒规格
    """
    lines = [reconciliation(bucket_counts(ledger))]
    for name, count in by_bucket(ledger).items():
        bucket = buckets()[name]
        lines.append(f"  {bucket.zh} {name}: {count:,} — {bucket.check_zh}")
    return "\n".join(lines)


def bucket_counts(ledger: pa.Table) -> dict[str, int]:
    """Codes per kind of bucket (every kind, 0 when empty)."""
    counted = Counter(ledger.column("kind").to_pylist())
    return {kind: counted.get(kind, 0) for kind in KINDS}


def reconciliation(counts: dict[str, int]) -> str:
    """The line ``tcw screen`` prints: the repeated codes and where each landed."""
    terms = " + ".join(f"{_KIND_TEXT[kind]} {counts.get(kind, 0):,}" for kind in KINDS)
    return f"重复码 repeated codes {sum(counts.values()):,} = {terms} (flagged as repeat)"


def by_bucket(ledger: pa.Table) -> dict[str, int]:
    """Codes per bucket, in the ledger's order of buckets."""
    counted = Counter(ledger.column("bucket").to_pylist())
    return {name: counted[name] for name in buckets() if counted.get(name)}


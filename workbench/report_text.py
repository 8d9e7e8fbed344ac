"""Plain-text summaries the CLI prints (Chinese first, English beside it).

>>> from loaders.consolidate import RunCounts
>>> print(ingest_summary(RunCounts(read=3, accepted=2, rejected=1)).splitlines()[0])
读取 read 3 条记录 = 接收 accepted 2 + 拒收 rejected 1 + 重复 duplicates 0
"""

from __future__ import annotations

from loaders.consolidate import RunCounts

EVENT_TYPE_ZH = {
    "sale": "销售", "sale_return": "销售退货", "purchase": "采购", "purchase_return": "采购退货",
    "stock_in": "入库", "stock_out": "出库", "transfer_in": "调拨入库", "transfer_out": "调拨出库",
    "inventory": "盘存", "loss": "损耗", "other": "其他",
}  # fmt: skip
SCHEME_ZH = {"nmpa20": "20位码", "gs1": "GS1", "other": "其他码", "invalid": "无效码", "none": "无码"}


def ingest_summary(counts: RunCounts, rejects_hint: str = "") -> str:
    """The lines ``tcw ingest`` prints."""
    lines = [
        f"读取 read {counts.read:,} 条记录 = 接收 accepted {counts.accepted:,} + 拒收 rejected "
        f"{counts.rejected:,} + 重复 duplicates {counts.duplicates:,}",
        f"新事件 new events {counts.events_new:,}（每码一行 one row per code）; "
        f"3507 删除指令 deletes {counts.deletes:,}",
    ]
    if counts.by_event_type:
        lines.append("按类型 by type: " + _join(counts.by_event_type, EVENT_TYPE_ZH))
    if counts.by_scheme:
        lines.append("按码制 by code scheme: " + _join(counts.by_scheme, SCHEME_ZH))
    lines.append(
        f"工作区事件 workspace events {counts.events_total:,}（已按 3507 删除 removed by deletes "
        f"{counts.events_deleted:,}）"
    )
    if counts.rejected and rejects_hint:
        lines.append(f"拒收明细 rejects: {rejects_hint}")
    return "\n".join(lines)


def _join(tally: dict[str, int], names: dict[str, str]) -> str:
    return ", ".join(f"{names.get(key, key)} {key} {value:,}" for key, value in tally.items())


def leads_summary(leads, top: int = 3) -> str:
    """Leads per scenario and the strongest ``top`` of each, one line each.

    >>> import pyarrow as pa
    >>> print(leads_summary(pa.table({"scenario": ["reflux"], "explanation_zh": ["x"], "score": [0.9]})))
    回流 reflux: 1
      0.90 x
    """
    rows = leads.select(["scenario", "explanation_zh", "score"]).to_pylist()
    lines = []
    for scenario in dict.fromkeys(row["scenario"] for row in rows):
        mine = [row for row in rows if row["scenario"] == scenario]
        lines.append(f"{SCENARIO_NAMES.get(scenario, scenario)} {scenario}: {len(mine)}")
        lines.extend(f"  {row['score']:.2f} {row['explanation_zh']}" for row in mine[:top])
    return "\n".join(lines) if lines else "无线索 no leads"


SCENARIO_NAMES = {"substitution": "串换", "reflux": "回流", "phantom_sale": "空刷", "counterfeit": "假药",
                  "collection_gap": "采集不规范", "repeat": "跨机构重复"}
#: A ring's or cluster's kind, in Chinese and English.
COMMUNITY_KINDS = {"reflux_ring": ("回流团伙", "reflux ring"), "counterfeit_cluster": ("假药网络", "counterfeit cluster")}
#: A broker's role (``brokers.csv``), in Chinese.
BROKER_ROLES = {"source_patient": "来源参保人", "reseller": "转售机构", "source_institution": "来源医疗机构"}
#: How a refluxed box went from one holder to the next (``Analysis.ring_flow`` edges' ``via``).
FLOW_VIAS = {"dispensed": "医疗机构售出", "reflux": "回流再售", "transfer": "3502 调拨", "resale": "再次转售"}

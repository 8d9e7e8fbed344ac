"""Writing an analysis: ``communities`` and ``brokers`` files (CSV for spreadsheets, Parquet, JSON), each
atomically, and the summary lines ``tcw analyse`` prints.

>>> ANALYSIS_SUFFIXES
('.csv', '.parquet', '.json')
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from workbench.analytics.run import Analysis, brokers_table, communities_table
from workbench.screens.leads import LEAD_SUFFIXES, write_leads

ANALYSIS_SUFFIXES = LEAD_SUFFIXES
KIND_NAMES = {"reflux_ring": "回流团伙 reflux rings", "counterfeit_cluster": "假药网络 counterfeit clusters"}


def write_analysis(analysis: Analysis, communities: Path, brokers: Path) -> None:
    """Both files, by their extensions (CSV: UTF-8 with BOM, formula-like cells quoted)."""
    write_leads(communities_table(analysis), communities)
    write_leads(brokers_table(analysis), brokers)


def analysis_summary(analysis: Analysis, shown: int = 3) -> list[str]:
    """What was found, per kind, and the strongest few, one line each."""
    kinds = Counter(c.kind for c in analysis.communities)
    roles = Counter(row["role"] for row in analysis.brokers)
    lines = [f"流向 flows: {len(analysis.routes)} 盒回流 refluxed boxes, "
             f"{analysis.flows.copies.num_rows} 次复制品销售 copy sales"]
    lines += [f"{KIND_NAMES[kind]}: {kinds.get(kind, 0)}" for kind in KIND_NAMES]
    lines.append("中间人 brokers: " + (", ".join(f"{role} {n}" for role, n in sorted(roles.items())) or "0"))
    lines += [f"  {row['rank']}. {row['community_id']} ({row['score']:.2f}) {row['explanation_zh']}"
              for row in analysis.community_rows()[:shown]]
    return lines

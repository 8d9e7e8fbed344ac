"""Counterfeit clusters: outlets tied by selling copies of the same codes in several regions.

The copy sales (``copy_sales``: a code sold at several institutions in several regions within the
counterfeit window; 3502 transfers and returns are not copies) are projected onto the outlets: two
outlets are joined by the number of copied codes both sold, when that is ``min_shared_codes`` or more
(outlets that met over one cloned code only are not tied: each of several unrelated cloned codes would
otherwise chain its sellers together). The projection is grouped (``grouping``); each copied
code belongs to the community holding most of its outlets (ties: the lower community), and counts there
only when two or more of its outlets are inside. A community is a cluster with ``min_codes`` codes or
more, ``min_institutions`` outlets and ``min_regions`` regions; a lone copied code stays a lead.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from itertools import combinations

import pyarrow as pa

from workbench.analytics.community import Community, listed, saturating
from workbench.analytics.grouping import grouped
from workbench.params import Value


def find_clusters(copies: pa.Table, params: Mapping[str, Value]) -> list[Community]:
    """The clusters among the copy sales (unordered)."""
    sales: dict[str, list[dict]] = defaultdict(list)
    for row in copies.to_pylist():
        sales[row["trace_code"]].append(row)
    outlets = {code: sorted({row["institution_code"] for row in rows}) for code, rows in sales.items()}
    shared = Counter(pair for code in sorted(outlets) for pair in combinations(outlets[code], 2))
    pairs = sorted(pair for pair, codes in shared.items() if codes >= params["min_shared_codes"])
    if not pairs:
        return []
    communities = grouped([a for a, _ in pairs], [b for _, b in pairs], [float(shared[p]) for p in pairs], params)
    evidence: dict[int, list[dict]] = defaultdict(list)
    for code, places in sorted(outlets.items()):
        held = Counter(communities[place] for place in places if place in communities)
        chosen = min(held, key=lambda c: (-held[c], c)) if held else None
        if chosen is not None and held[chosen] >= 2:
            evidence[chosen] += [row for row in sales[code] if communities.get(row["institution_code"]) == chosen]
    found = [cluster(rows) for _, rows in sorted(evidence.items())]
    return [c for c in found if len(c.trace_codes) >= params["min_codes"]
            and len(c.institutions) >= params["min_institutions"] and c.facts["regions_n"] >= params["min_regions"]]


def cluster(rows: list[dict]) -> Community:
    """A candidate cluster from its copy sales."""
    codes = tuple(sorted({row["trace_code"] for row in rows}))
    institutions = tuple(sorted({row["institution_code"] for row in rows}))
    regions = sorted({row["region_code"] for row in rows if row["region_code"]})
    products = sorted({row["med_list_codg"] for row in rows if row["med_list_codg"]})
    facts = {"regions": listed(regions), "regions_n": len(regions), "products": listed(products, 3),
             "products_n": len(products)}
    score = 0.5 + 0.5 * (0.5 * saturating(len(codes), 10) + 0.25 * saturating(len(institutions), 6)
                         + 0.25 * saturating(len(regions), 4))
    times = [row["event_time"] for row in rows]
    return Community("counterfeit_cluster", institutions, (), codes, len(rows),
                     round(sum(row["amount"] or 0 for row in rows), 2), min(times), max(times), round(score, 4), facts)

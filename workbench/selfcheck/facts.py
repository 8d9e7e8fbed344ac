"""What the self-inspection report reads from the workspace's events, one institution at a time (DuckDB,
bound parameters): the institution itself, its insured sales by month with and without a valid trace code
(the ``monthly_totals`` view the collection-gap rules read, so the rates agree with them), and who sold
each code of its leads (settlements: a row a HIS sent twice counts once).

>>> from datetime import datetime
>>> sold_before({"H1": {"first_sale": datetime(2025, 5, 1)}, "P2": {"first_sale": datetime(2025, 7, 1)}},
...             datetime(2025, 6, 1))
'H1（2025-05-01）'
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import date, datetime

import pyarrow as pa

from loaders.errors import BadInput
from workbench.screens.rules import rules, views

#: The collection-gap rule whose definition of an exempt item the rates follow (its default parameters).
GAP_RULE = "missing_codes"

PROFILE_SQL = """
SELECT any_value(institution_name) AS name, any_value(institution_type) AS type,
       any_value(region_code) AS region, count(*) AS events
FROM events WHERE institution_code = $institution
"""
REFERENCE_SQL = "SELECT name, type, region FROM institutions WHERE code = $institution LIMIT 1"
KNOWN_SQL = "SELECT DISTINCT institution_code FROM events WHERE institution_code IS NOT NULL"
MONTHS_SQL = """
WITH exempt AS (SELECT DISTINCT med_list_codg FROM products WHERE exempt)
SELECT m.month, sum(m.records) AS insured_sales, sum(m.records) - sum(m.uncoded) AS coded_sales
FROM monthly_totals m LEFT JOIN exempt x ON x.med_list_codg = m.med_list_codg
WHERE m.institution_code = $institution AND m.event_type = 'sale' AND m.insured AND x.med_list_codg IS NULL
  AND NOT starts_with(m.med_list_codg, $exempt_prefix)
GROUP BY m.month HAVING sum(m.records) > 0
ORDER BY m.month
"""
CODES_SQL = """
WITH settlements AS (
  SELECT e.trace_code, e.institution_code, e.event_type, e.event_time,
         coalesce(e.receipt_no, e.setl_id, e.record_no) AS receipt, max(coalesce(e.amount, 0)) AS amount
  FROM events e JOIN selfcheck_codes c ON c.trace_code = e.trace_code
  WHERE e.event_type IN ('sale', 'sale_return')
  GROUP BY e.trace_code, e.institution_code, e.event_type, e.event_time, coalesce(e.receipt_no, e.setl_id, e.record_no))
SELECT trace_code, institution_code,
       count(*) FILTER (WHERE event_type = 'sale') AS sales,
       count(*) FILTER (WHERE event_type = 'sale_return') AS returns,
       min(event_time) FILTER (WHERE event_type = 'sale') AS first_sale,
       max(event_time) FILTER (WHERE event_type = 'sale') AS last_sale,
       sum(amount) FILTER (WHERE event_type = 'sale') AS amount
FROM settlements GROUP BY trace_code, institution_code
"""


@dataclass(frozen=True)
class Profile:
    """The institution: code, name, type (``hospital``, ``clinic``, ``pharmacy``), region (GB/T 2260)."""

    code: str
    name: str
    type: str
    region: str


@dataclass(frozen=True)
class MonthRate:
    """One month's insured sales (records, exempt items aside), those with a valid trace code, and the
    collection rate (采集率) between 0 and 1."""

    month: date
    insured_sales: int
    coded_sales: int

    @property
    def rate(self) -> float:
        return self.coded_sales / self.insured_sales


def profile(runner, institution: str) -> Profile:
    """The institution as the reference table names it (else as its events do); ``BadInput`` when it has
    no events, with codes of the workspace that look like the one given."""
    found = runner.run(PROFILE_SQL, {"institution": institution}).to_pylist()[0]
    if not found["events"]:
        raise BadInput(f"工作区中没有机构 {institution} 的记录 / no events of institution {institution}",
                       hint=_codes_hint(runner, institution))
    named = runner.run(REFERENCE_SQL, {"institution": institution}).to_pylist()
    reference = named[0] if named else {}
    pick = lambda key: str(reference.get(key) or found[key] or "")  # noqa: E731
    return Profile(institution, pick("name"), pick("type"), pick("region"))


def _codes_hint(runner, institution: str) -> str:
    known = [row["institution_code"] for row in runner.run(KNOWN_SQL, {}).to_pylist()]
    close = difflib.get_close_matches(institution, known, n=3, cutoff=0.6)
    near = f"similar codes: {', '.join(close)}; " if close else ""
    return (f"{near}give a 定点医药机构编码 fixmedins_code such as {min(known, default='P50011600012')}; "
            "the institution_code column of tcw screen's leads lists those with leads")


def month_rates(runner, institution: str) -> list[MonthRate]:
    """The institution's insured sales per month, with a valid code or not (``monthly_totals``; exempt
    items as the ``missing_codes`` rule's defaults define them)."""
    for name in ("uncoded_records", "monthly_totals"):
        runner.materialize(name, views()[name].sql)
    prefix = rules()[GAP_RULE].params["exempt_prefix"].default
    rows = runner.run(MONTHS_SQL, {"institution": institution, "exempt_prefix": prefix}).to_pylist()
    return [MonthRate(_day(row["month"]), int(row["insured_sales"]), int(row["coded_sales"])) for row in rows]


def code_sellers(runner, codes: list[str]) -> dict[str, dict[str, dict]]:
    """For each code: the institutions that sold or took back it, each with ``sales`` and ``returns``
    (settlements), ``first_sale``, ``last_sale`` and ``amount`` (sales)."""
    if not codes:
        return {}
    runner.register("selfcheck_codes", pa.table({"trace_code": pa.array(sorted(set(codes)), pa.string())}))
    found: dict[str, dict[str, dict]] = {}
    for row in runner.run(CODES_SQL, {}).to_pylist():
        found.setdefault(row.pop("trace_code"), {})[row.pop("institution_code")] = row
    return found


def sold_before(others: dict[str, dict], when: datetime | None) -> str:
    """The institutions among ``others`` that first sold the code before ``when``, with the date, in order."""
    if when is None:
        return ""
    earlier = sorted((row["first_sale"], code) for code, row in others.items()
                     if row.get("first_sale") is not None and row["first_sale"] < when)
    return "、".join(f"{code}（{moment:%Y-%m-%d}）" for moment, code in earlier)


def _day(value) -> date:
    return value.date() if isinstance(value, datetime) else value

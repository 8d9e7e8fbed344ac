"""Fill a case's ``Evidence`` from the workspace: the members (the codes, institutions, products and persons
its items name, with those of its leads and communities), their events in the case's span read in columns
by DuckDB (member sets are registered as tables, values are never pasted into SQL), persons replaced by
their pseudonyms unless ``reveal``, and the other leads and communities that flag the members.

>>> members_of(Case("C", "t", "open", "", "", "", "", "", items=(
...     CaseItem("lead", "L1", {"trace_code": "C1", "institutions": "H1|P1", "institution_code": "P1"}),
...     CaseItem("community", "R1", {"trace_codes": "C1|C2", "institutions": "P1|P2", "persons": "PSN-a"}),
...     CaseItem("institution", "P9"))))["codes"]
['C1', 'C2']
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from loaders.workspace import Workspace
from workbench.cases.evidence import Evidence
from workbench.cases.findings import workspace_communities, workspace_leads
from workbench.cases.model import Case, CaseItem  # noqa: F401  (CaseItem: the doctest)
from workbench.screens.privacy import pseudonym, workspace_key

#: Events listed in a package at most (beyond: counted in ``Evidence.capped``).
MAX_EVENTS = 100_000
#: Other leads and communities flagging the members, at most.
MAX_FLAGGING = 500

#: The events query: the case codes' events, the events of (institution, product) pairs of product-level
#: leads, of the institutions and persons the case names; inside the span. Codes first, then by time.
EVENTS_SQL = """
SELECT e.event_id, e.event_time, e.event_type, e.trace_code, e.med_list_codg, e.product_name, e.institution_code,
       e.institution_type, e.region_code, e.psn_no, e.psn_name, e.certno, e.setl_id, e.quantity, e.unit_price,
       e.amount, e.supplier, e.batch_no, e.source_file, e.source_line, c.value IS NOT NULL AS by_code
FROM events e LEFT JOIN case_codes c ON c.value = e.trace_code
WHERE (c.value IS NOT NULL
       OR e.institution_code IN (SELECT value FROM case_institutions)
       OR (e.institution_code, e.med_list_codg) IN (SELECT (institution, product) FROM case_pairs)
       OR e.psn_no IN (SELECT value FROM case_person_numbers))
  AND ($first IS NULL OR e.event_time >= $first) AND ($last IS NULL OR e.event_time <= $last)
ORDER BY by_code DESC, e.event_time, e.event_id
"""


#: Item kinds that are members themselves, and the member list each goes to.
_MEMBER_KINDS = {"code": "codes", "institution": "institutions", "person": "persons", "product": "products"}


def members_of(case: Case) -> dict[str, list[str]]:
    """Codes, institutions, persons and products the case names directly or through its evidence, each
    in first-seen order."""
    found = {"codes": [], "institutions": [], "persons": [], "products": []}
    for item in case.items:
        row = item.snapshot or {}
        if item.kind in _MEMBER_KINDS:
            found[_MEMBER_KINDS[item.kind]].append(item.key)
        found["codes"] += _split(row.get("trace_code")) + _split(row.get("trace_codes"))
        found["institutions"] += _split(row.get("institution_code")) + _split(row.get("institutions"))
        found["persons"] += _split(row.get("persons"))
        found["products"] += _split(row.get("med_list_codg"))
    return {name: list(dict.fromkeys(values)) for name, values in found.items()}


def case_span(case: Case) -> tuple[datetime | None, datetime | None]:
    """The first and last time of the case's leads and communities (``None`` when none has times)."""
    firsts = [_time(row.get("first_time")) for kind in ("lead", "community") for row in case.snapshots(kind)]
    lasts = [_time(row.get("last_time")) for kind in ("lead", "community") for row in case.snapshots(kind)]
    firsts, lasts = [t for t in firsts if t], [t for t in lasts if t]
    return (min(firsts) if firsts else None, max(lasts) if lasts else None)


def gather(ws: Workspace, case: Case, reveal: bool = False, max_events: int = MAX_EVENTS) -> Evidence:
    """The evidence of ``case`` in ``ws``."""
    members = members_of(case)
    span = case_span(case)
    key = workspace_key(ws.root)
    named = case.keys("person")  # a community's persons are reached through its codes
    numbers = _person_numbers(ws, named, key) if named else {}
    events, total = _events(ws, case, members, numbers, span, max_events)
    sources = tuple(sorted({name for name in events.column("source_file").to_pylist() if name}))
    events = _persons(events, key, reveal)
    leads, communities = _flagging(ws, case, members)
    if reveal:
        communities = _revealed_communities(communities, events, key)
    return Evidence(case=case, leads=leads, communities=communities, events=events, span=_event_span(events, span),
                    reveal=reveal, capped={"events": total - events.num_rows} if total > events.num_rows else {},
                    institutions=_institutions(ws, events, members["institutions"]),
                    products=_products(ws, events, members["products"]), sources=sources)


def _events(ws, case, members, numbers, span, max_events) -> tuple[pa.Table, int]:
    pair_leads = [row for row in case.snapshots("lead") if not row.get("trace_code") and row.get("med_list_codg")]
    pairs = pa.table({"institution": [r["institution_code"] for r in pair_leads],
                      "product": [r["med_list_codg"] for r in pair_leads]}, schema=_PAIRS)
    # an institution-level lead (no code, no product: a collection gap) shows the institution's events
    direct_institutions = case.keys("institution") + [r["institution_code"] for r in case.snapshots("lead")
                                                      if not r.get("trace_code") and not r.get("med_list_codg")]
    con = duckdb.connect()
    try:
        con.read_parquet(ws.event_files()).create_view("events")
        for name, values in (("case_codes", members["codes"]), ("case_institutions", direct_institutions),
                             ("case_person_numbers", list(numbers.values()))):
            con.register(name, pa.table({"value": pa.array(values, pa.string())}))
        con.register("case_pairs", pairs)
        con.execute(f"CREATE TEMP TABLE found AS {EVENTS_SQL}", {"first": span[0], "last": span[1]})
        total = con.execute("SELECT count(*) FROM found").fetchall()[0][0]
        table = con.sql("SELECT * EXCLUDE (by_code) FROM found LIMIT $n", params={"n": max_events}).to_arrow_table()
    finally:
        con.close()
    return table, total


_PAIRS = pa.schema([("institution", pa.string()), ("product", pa.string())])


def _persons(events: pa.Table, key: bytes, reveal: bool) -> pa.Table:
    """The events as ``EVENT_COLUMNS``: ``person`` the pseudonym (or the number when revealed)."""
    rows = events.to_pylist()
    out = []
    for row in rows:
        number = row.get("psn_no")
        plain = {name: row.get(name) for name in Evidence.EVENT_COLUMNS if name in row}
        plain["person"] = (number if reveal else pseudonym(number, key)) if number else None
        plain["person_name"] = row.get("psn_name") if reveal else None
        plain["person_id_no"] = row.get("certno") if reveal else None
        plain["source_file"] = Path(row["source_file"]).name if row.get("source_file") else None  # no local paths
        out.append(plain)
    return pa.Table.from_pylist(out, schema=_EVENT_SCHEMA)


_EVENT_SCHEMA = pa.schema([(name, pa.timestamp("us") if name == "event_time" else pa.float64()
                            if name in ("quantity", "unit_price", "amount") else pa.int64()
                            if name == "source_line" else pa.string()) for name in Evidence.EVENT_COLUMNS])


def _person_numbers(ws: Workspace, pseudonyms: list[str], key: bytes) -> dict[str, str]:
    """Pseudonym → person number for the given pseudonyms (every person number of the events is hashed)."""
    wanted = set(pseudonyms)
    con = duckdb.connect()
    try:
        con.read_parquet(ws.event_files()).create_view("events")
        numbers = con.execute("SELECT DISTINCT psn_no FROM events WHERE psn_no IS NOT NULL").fetchall()
    finally:
        con.close()
    found = {}
    for (number,) in numbers:
        name = pseudonym(number, key)
        if name in wanted:
            found[name] = number
    return found


def _flagging(ws: Workspace, case: Case, members: dict) -> tuple[list[dict], list[dict]]:
    """The case's own leads and communities, then the others that flag its codes or institutions."""
    own_leads, own_communities = case.snapshots("lead"), case.snapshots("community")
    codes, institutions = set(members["codes"]), set(members["institutions"])
    held = {row.get("lead_id") for row in own_leads} | {row.get("community_id") for row in own_communities}

    def flags(row: dict) -> bool:
        row_codes = set(_split(row.get("trace_code")) + _split(row.get("trace_codes")))
        row_places = set(_split(row.get("institution_code")) + _split(row.get("institutions")))
        return bool(row_codes & codes or (not row_codes and row_places & institutions))

    others = [row for row in workspace_leads(ws) if row.get("lead_id") not in held and flags(row)]
    rings = [row for row in workspace_communities(ws) if row.get("community_id") not in held and flags(row)]
    return own_leads + others[:MAX_FLAGGING], own_communities + rings[:MAX_FLAGGING]


def _revealed_communities(communities: list[dict], events: pa.Table, key: bytes) -> list[dict]:
    """Communities whose persons appear in the events shown by their numbers (others stay pseudonyms)."""
    numbers = {pseudonym(n, key): n for n in set(events.column("person").to_pylist()) if n}
    revealed = []
    for row in communities:
        persons = [numbers.get(name, name) for name in _split(row.get("persons"))]
        revealed.append({**row, "persons": "|".join(persons)})
    return revealed


def _institutions(ws: Workspace, events: pa.Table, named: list[str]) -> dict:
    codes = set(named) | set(events.column("institution_code").to_pylist())
    found = {}
    path = ws.reference_path("institutions")
    if path.is_file():
        for row in pq.read_table(path).to_pylist():
            if row.get("code") in codes:
                found[row["code"]] = {"institution_name": row.get("name"), "institution_type": row.get("type"),
                                      "region_code": row.get("region")}
    for row in events.select(["institution_code", "institution_type", "region_code"]).to_pylist():
        found.setdefault(row["institution_code"], {"institution_name": None, "institution_type": row["institution_type"],
                                                   "region_code": row["region_code"]})
    for code in named:
        found.setdefault(code, {"institution_name": None, "institution_type": None, "region_code": None})
    return found


def _products(ws: Workspace, events: pa.Table, named: list[str]) -> dict:
    found = {row["med_list_codg"]: row["product_name"] for row in
             events.select(["med_list_codg", "product_name"]).to_pylist() if row["med_list_codg"]}
    path = ws.reference_path("products")
    if path.is_file():
        wanted = set(named) | set(found)
        for row in pq.read_table(path).to_pylist():
            if row.get("med_list_codg") in wanted and row.get("name"):
                found[row["med_list_codg"]] = row["name"]
    return found


def _event_span(events: pa.Table, span: tuple) -> tuple:
    if span != (None, None) or not events.num_rows:
        return span
    times = [t for t in events.column("event_time").to_pylist() if t]
    return (min(times), max(times)) if times else span


def _split(value: object) -> list[str]:
    return [part for part in str(value).split("|") if part] if value not in (None, "") else []


def _time(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    try:
        return datetime.fromisoformat(str(value)) if value not in (None, "") else None
    except ValueError:
        return None

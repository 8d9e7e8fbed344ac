"""Evidence built by hand for the graph-file and HTML-view tests: a confirmed case holding a reflux lead, its
ring, a code and an institution without events; ten events (a hospital's sale and a pharmacy's resale of the
same code, to two persons) with hostile text where names and codes go; and a generated big ring for the
aggregation tests."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pyarrow as pa

from workbench.cases.evidence import Evidence
from workbench.cases.model import Case, CaseItem, Change, Note

HOSPITAL, PHARMACY, QUIET = "H50011600001", "P50011600002", "P50011699999"
CODE = "81000000000000000001"
SCRIPT_CODE = "<script>alert(1)</script>"
CONTROL_CODE = "8100000000000000\x07\x00" + "99"
PRODUCT = "XA01AAA0001"
PERSON_A, PERSON_B = "PSN-" + "a" * 32, "PSN-" + "b" * 32
HOSPITAL_NAME = '=HYPERLINK("http://x")'
PHARMACY_NAME = '"康宁"大药房\n江津店'
PRODUCT_NAME = "@阿莫西林\t胶囊"
TITLE = "回流：<b>药店</b> & '转售'"
NOTE = "+86 138 <img src=x onerror=alert(1)>"


def sample_evidence(reveal: bool = False, capped: dict | None = None) -> Evidence:
    """The hand-built case (persons as pseudonyms; ``reveal``: with names and ID numbers)."""
    lead = {"lead_id": "LEAD-1", "scenario": "reflux", "rule_id": "reflux.resale", "score": 0.93,
            "trace_code": CODE, "institution_code": PHARMACY, "institutions": f"{HOSPITAL}|{PHARMACY}",
            "med_list_codg": PRODUCT, "first_time": datetime(2025, 6, 2, 10), "last_time": datetime(2025, 6, 5, 15),
            "event_count": 2, "amount": 47.0, "explanation_zh": f"药店再次销售 {SCRIPT_CODE}",
            "explanation_en": "resold\x01 by a pharmacy"}
    ring = {"community_id": "RING-1", "kind": "reflux_ring", "rank": "1", "score": "0.8",
            "institutions": f"{HOSPITAL}|{PHARMACY}", "persons": f"{PERSON_A}|{PERSON_B}",
            "trace_codes": f"{CODE}|{SCRIPT_CODE}", "code_count": "2", "event_count": "6", "amount": "141.0",
            "first_time": "2025-06-01 09:00:00", "last_time": "2025-06-08T12:00:00", "algorithm": "leiden",
            "explanation_zh": "医院 → 参保人 → 药店", "explanation_en": "hospital → persons → pharmacy"}
    case = Case("CASE-20261204-0a1b2c", TITLE, "confirmed", "张三", "=证据充分", "2026-12-04T10:00:00+08:00", "ana",
                "2026-12-05T10:00:00+08:00",
                items=(CaseItem("lead", "LEAD-1", lead, "2026-12-04T10:00:00+08:00", "ana"),
                       CaseItem("community", "RING-1", ring), CaseItem("code", CODE), CaseItem("institution", QUIET)),
                notes=(Note("2026-12-04T11:00:00+08:00", "ana", NOTE),),
                history=(Change("2026-12-04T10:00:00+08:00", "ana", "create", {"title": TITLE}),
                         Change("2026-12-05T10:00:00+08:00", "bo", "status", {"from": "open", "to": "confirmed"})))
    sites = {HOSPITAL: {"institution_name": HOSPITAL_NAME, "institution_type": "hospital", "region_code": "500116"},
             PHARMACY: {"institution_name": PHARMACY_NAME, "institution_type": "pharmacy", "region_code": "500116"}}
    return Evidence(case, [lead], [ring], _events(reveal), span=(datetime(2025, 6, 1, 9), datetime(2025, 6, 10, 12)),
                    reveal=reveal, capped=capped or {}, institutions=sites, products={PRODUCT: PRODUCT_NAME})


#: (day, hour, type, institution, code, person) of the ten events.
PLAN = [(1, 9, "purchase", HOSPITAL, CODE, None), (2, 10, "sale", HOSPITAL, CODE, PERSON_A),
        (5, 15, "sale", PHARMACY, CODE, PERSON_B), (1, 9, "purchase", HOSPITAL, SCRIPT_CODE, None),
        (3, 11, "sale", HOSPITAL, SCRIPT_CODE, PERSON_A), (7, 16, "sale", PHARMACY, SCRIPT_CODE, PERSON_B),
        (8, 12, "sale_return", PHARMACY, SCRIPT_CODE, PERSON_B), (4, 8, "transfer_out", HOSPITAL, CONTROL_CODE, None),
        (9, 9, "inventory", PHARMACY, CONTROL_CODE, None), (10, 12, "sale", PHARMACY, "", PERSON_B)]


def _events(reveal: bool) -> pa.Table:
    names = {PERSON_A: ("50011600000000000000000123", "张三", "500116199001011234"),
             PERSON_B: ("50011600000000000000000999", "=李四", "@500116")}
    rows = []
    for index, (day, hour, kind, site, code, person) in enumerate(PLAN, start=1):
        number, name, id_no = names.get(person, (None, None, None))
        rows.append({"event_id": f"E{index:02d}", "event_time": datetime(2025, 6, day, hour), "event_type": kind,
                     "trace_code": code, "med_list_codg": PRODUCT, "product_name": PRODUCT_NAME,
                     "institution_code": site, "institution_type": "hospital" if site == HOSPITAL else "pharmacy",
                     "region_code": "500116", "person": (number if reveal else person) if person else None,
                     "person_name": name if reveal else None, "person_id_no": id_no if reveal else None,
                     "quantity": 1.0, "unit_price": 23.5, "amount": 23.5 if kind != "inventory" else None,
                     "source_line": index})
    return events_table(rows)


def events_table(rows: list[dict]) -> pa.Table:
    """Rows as an events table of ``Evidence.EVENT_COLUMNS`` with their types."""
    def kind(name: str) -> pa.DataType:
        if name == "event_time":
            return pa.timestamp("us")
        if name == "source_line":
            return pa.int64()
        return pa.float64() if name in ("quantity", "unit_price", "amount") else pa.string()

    schema = pa.schema([(name, kind(name)) for name in Evidence.EVENT_COLUMNS])
    return pa.Table.from_pylist([{name: row.get(name) for name in schema.names} for row in rows], schema=schema)


def ring_evidence(codes: int = 300, sites: int = 6, persons: int = 120, resales: int = 5) -> Evidence:
    """A big ring: ``codes`` codes each bought and sold by a hospital to a person, then resold by a pharmacy
    ``resales`` times (to other persons); the case holds the ring and one lead of its first code."""
    hospitals = [f"H5001160{k:04d}" for k in range(sites // 2)]
    pharmacies = [f"P5001160{k:04d}" for k in range(sites - sites // 2)]
    start, rows = datetime(2025, 5, 1, 8), []
    for index in range(codes):
        code, product = f"8{index:019d}", f"XA{index % 7:09d}"
        steps = [("purchase", hospitals[index % len(hospitals)], None), ("sale", hospitals[index % len(hospitals)],
                 index % persons)]
        steps += [("sale", pharmacies[(index + k) % len(pharmacies)], (index + k + 1) % persons) for k in range(resales)]
        for step, (kind, site, who) in enumerate(steps):
            rows.append({"event_id": f"E{index:05d}-{step}", "event_time": start + timedelta(hours=index * 7 + step * 30),
                         "event_type": kind, "trace_code": code, "med_list_codg": product, "institution_code": site,
                         "institution_type": "hospital" if site[0] == "H" else "pharmacy", "region_code": "500116",
                         "person": f"PSN-{who:032x}" if who is not None else None, "quantity": 1.0, "amount": 10.0})
    table = events_table(rows)
    ring = {"community_id": "RING-BIG", "kind": "reflux_ring", "rank": 1, "score": 0.9,
            "institutions": "|".join(hospitals + pharmacies), "persons": "|".join(f"PSN-{k:032x}" for k in range(persons)),
            "trace_codes": "|".join(f"8{k:019d}" for k in range(0, codes, 3)), "code_count": codes}
    lead = {"lead_id": "LEAD-BIG", "scenario": "reflux", "score": 0.9, "trace_code": f"8{0:019d}",
            "institution_code": pharmacies[0], "institutions": f"{hospitals[0]}|{pharmacies[0]}"}
    case = Case("CASE-BIG", "大团伙", "investigating", "", "", "2026-01-01T00:00:00", "ana", "2026-01-01T00:00:00",
                items=(CaseItem("community", "RING-BIG", ring), CaseItem("lead", "LEAD-BIG", lead)))
    return Evidence(case, [lead], [ring], table)


#: The planted flow ring: 3 hospitals → 12 collectors → 8 pharmacies.
FLOW_HOSPITALS = [f"H5001169{k:04d}" for k in range(3)]
FLOW_PHARMACIES = [f"P5001169{k:04d}" for k in range(8)]
FLOW_COLLECTORS = [f"PSN-{k:032x}" for k in range(1, 13)]


def flow_ring_evidence(codes: int = 1000, seed: int = 5) -> Evidence:
    """A community-only case of a planted reflux ring like the case benchmark's: each of ``codes`` boxes bought
    by a hospital, sold to one of 12 collectors, resold 10–60 days later by one of 8 pharmacies to a buyer of
    its own; every third box first moved to the reselling pharmacy from another by 3502 transfer out and in
    (both at one moment). The ring lists every code, so its codes are too many to stay per code."""
    rng = random.Random(seed)
    start, rows, listed = datetime(2025, 3, 1, 9), [], []
    for n in range(codes):
        code, collector = f"8{rng.randrange(10**18, 10**19):019d}", rng.choice(FLOW_COLLECTORS)
        hospital, pharmacy = rng.choice(FLOW_HOSPITALS), rng.choice(FLOW_PHARMACIES)
        sold = start + timedelta(days=rng.randrange(120), minutes=rng.randrange(600))
        resold = sold + timedelta(days=rng.randrange(10, 60))
        steps = [(sold - timedelta(days=5), "purchase", hospital, None), (sold, "sale", hospital, collector)]
        if n % 3 == 0:
            mover = rng.choice([p for p in FLOW_PHARMACIES if p != pharmacy])
            moved = resold - timedelta(days=3)
            steps += [(moved, "transfer_in", pharmacy, None), (moved, "transfer_out", mover, None)]
        steps.append((resold, "sale", pharmacy, f"PSN-{10**6 + n:032x}"))
        for step, (moment, kind, site, who) in enumerate(steps):
            rows.append({"event_id": f"F{n:05d}-{step}", "event_time": moment, "event_type": kind, "trace_code": code,
                         "med_list_codg": "XA10BBC578A021418780007", "institution_code": site,
                         "institution_type": "hospital" if site[0] == "H" else "pharmacy", "region_code": "500116",
                         "person": who, "quantity": 1.0, "amount": 19.8 if kind == "sale" else None})
        listed.append(code)
    ring = {"community_id": "RING-FLOW", "kind": "reflux_ring", "rank": 1, "score": 0.95,
            "institutions": "|".join(FLOW_HOSPITALS + FLOW_PHARMACIES), "persons": "|".join(FLOW_COLLECTORS),
            "trace_codes": "|".join(listed), "code_count": codes, "event_count": len(rows)}
    case = Case("CASE-FLOW", "回流团伙", "investigating", "", "", "2026-01-01T00:00:00", "ana", "2026-01-01T00:00:00",
                items=(CaseItem("community", "RING-FLOW", ring),))
    return Evidence(case, [], [ring], events_table(rows))

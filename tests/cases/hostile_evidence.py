"""An ``Evidence`` built by hand for the package tests: a confirmed case with a lead and a ring, notes and
history, ten events of a 20-digit code (and one of a formula-like code), and hostile text everywhere a
name or a code can go."""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa

from workbench.cases.evidence import Evidence
from workbench.cases.model import Case, CaseItem, Change, Note

CODE = "83901234567890123456"  # 20 digits: more than a spreadsheet number keeps
ODD_CODE = "=1+1"
PHARMACY, HOSPITAL, NO_EVENTS = "P50011600012", "0500116001", "P50011699999"
PERSON_NUMBER = "50011600000000000000000123"
HOSTILE = ['=HYPERLINK("http://x")', "+1", "-1", "@SUM(A1)", "\t缩进 tab", "\r回车 CR", "<script>alert(1)</script>",
           '"引号" \'quotes\'', "第一行\n第二行", "控制\x01字符", "中文药店"]  # fmt: skip


def hostile_evidence(reveal: bool = False, capped: dict | None = None) -> Evidence:
    """The hand-built evidence; persons as pseudonyms, or (``reveal``) as person numbers with names."""
    lead = {"lead_id": "L-0001", "scenario": "reflux", "rule_id": "reflux.resale", "score": 0.93, "trace_code": CODE,
            "institution_code": PHARMACY, "institutions": f"{HOSPITAL}|{PHARMACY}", "med_list_codg": "-1",
            "first_time": datetime(2025, 6, 1, 9), "last_time": datetime(2025, 6, 20, 18), "event_count": 10,
            "amount": 235.0, "params": {"min_gap_days": 1}, "explanation_zh": HOSTILE[0],
            "explanation_en": HOSTILE[8]}  # fmt: skip
    ring = {"community_id": "RING-0001", "kind": "reflux_ring", "rank": "1", "score": "0.8",
            "institutions": f"{HOSPITAL}|{PHARMACY}", "persons": "PSN-aaaa|PSN-bbbb", "trace_codes": f"{CODE}|{ODD_CODE}",
            "code_count": "2", "event_count": "11", "amount": "258.5", "first_time": "2025-06-01T09:00:00",
            "last_time": "2025-06-21 10:00:00", "algorithm": "leiden", "params": '{"resolution": 1.0}',
            "explanation_zh": HOSTILE[3], "explanation_en": HOSTILE[6]}  # fmt: skip
    case = Case(
        "CASE-20261204-0a1b2c", HOSTILE[0], "confirmed", HOSTILE[1], HOSTILE[3], "2026-12-04T10:00:00+08:00", HOSTILE[2],
        "2026-12-05T10:00:00+00:00",
        items=(CaseItem("lead", "L-0001", lead), CaseItem("community", "RING-0001", ring), CaseItem("code", CODE),
               CaseItem("institution", NO_EVENTS)),
        notes=(Note("2026-12-04T11:00:00+00:00", "ana", HOSTILE[4] + HOSTILE[6]), Note("2026-12-04T12:00:00+00:00",
               "bo", HOSTILE[9])),
        history=(Change("2026-12-04T10:00:00+00:00", "ana", "create", {"title": HOSTILE[0]}),
                 Change("2026-12-05T10:00:00+00:00", "bo", "status", {"from": "open", "to": "confirmed"})))  # fmt: skip
    return Evidence(case, [lead], [ring], _events(reveal), span=(datetime(2025, 6, 1, 9), datetime(2025, 6, 21, 10)),
                    reveal=reveal, capped=capped or {},
                    institutions={PHARMACY: {"institution_name": HOSTILE[7], "institution_type": "pharmacy",
                                             "region_code": "500116"},
                                  HOSPITAL: {"institution_name": HOSTILE[4], "institution_type": "hospital",
                                             "region_code": "500116"}})  # fmt: skip


def _events(reveal: bool) -> pa.Table:
    """Ten events of ``CODE`` (bought, dispensed by the hospital, resold by the pharmacy, a return) and one
    of ``ODD_CODE``, in time order."""
    plan = [  # (day, hour, type, institution, person index or None, amount)
        (1, 9, "purchase", HOSPITAL, None, 100.0), (2, 10, "sale", HOSPITAL, 0, 23.5), (3, 22, "sale", PHARMACY, 1, 23.5),
        (5, 10, "sale", PHARMACY, 1, 23.5), (6, 10, "sale_return", PHARMACY, 1, 23.5), (8, 10, "sale", HOSPITAL, 0, 23.5),
        (10, 10, "sale", PHARMACY, 1, 23.5), (12, 10, "inventory", PHARMACY, None, None),
        (15, 10, "sale", PHARMACY, 0, 23.5), (20, 18, "sale", PHARMACY, 1, 23.5)]  # fmt: skip
    people = [("PSN-aaaa", PERSON_NUMBER, "张三", "500116199001011234"),
              ("PSN-bbbb", "-50011600000000000000000999", HOSTILE[0], "=1+1")]
    rows = []
    for index, (day, hour, kind, institution, who, amount) in enumerate(plan, start=1):
        rows.append(_event(f"E{index:02d}", datetime(2025, 6, day, hour), kind, CODE, institution,
                           people[who] if who is not None else None, amount, reveal, index))
    rows.append(_event("E11", datetime(2025, 6, 21, 10), "sale", ODD_CODE, PHARMACY, people[1], 23.5, reveal, 11))
    return pa.Table.from_pylist(rows, schema=SCHEMA)


def _event(event_id, time, kind, code, institution, person, amount, reveal, line) -> dict:
    pseudonym, number, name, id_no = person or (None, None, None, None)
    return {"event_id": event_id, "event_time": time, "event_type": kind, "trace_code": code,
            "med_list_codg": "-1", "product_name": HOSTILE[3], "institution_code": institution,
            "institution_type": "pharmacy" if institution == PHARMACY else "hospital", "region_code": "500116",
            "person": number if reveal else pseudonym, "person_name": name if reveal else None,
            "person_id_no": id_no if reveal else None, "setl_id": HOSTILE[1] if person else None,
            "quantity": 1.0, "unit_price": amount, "amount": amount, "supplier": HOSTILE[9], "batch_no": "-1",
            "source_file": HOSTILE[6], "source_line": line}  # fmt: skip


SCHEMA = pa.schema([(name, pa.timestamp("us") if name == "event_time" else pa.int64() if name == "source_line"
                     else pa.float64() if name in ("quantity", "unit_price", "amount") else pa.string())
                    for name in Evidence.EVENT_COLUMNS])  # fmt: skip

"""Training exercises from a generated district's truth: one per chosen planted case of the four scenarios
(串换, 回流, 空刷, 假药) and per legitimate look-alike (拆零, 退货重售, 连锁调拨, 重复上传), in an order fixed by
the seed. Each asks which candidate is suspicious, or whether all is legitimate, and says why: the
truth's note, and what the screens said (the lead's explanation, or the repeat ledger's bucket).

>>> from types import SimpleNamespace
>>> pattern = SimpleNamespace(candidates=["Code:A", "Code:B"], target="Code:A")
>>> case = {"kind": "split_sale", "note_zh": "拆零", "note_en": "split"}
>>> exercise = Exercise(case, pattern, True, "台账", "ledger")
>>> exercise.choices, exercise.check("Code:A"), exercise.check(LEGITIMATE)
(['Code:A', 'Code:B', 'legitimate'], False, True)
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from workbench.graph.store import GraphStore
from workbench.screens.ledger import buckets
from workbench.screens.rules import rules
from workbench.widgets.patterns import FAMILIES, Clean, Pattern

FRAUD = ("substitution", "reflux", "phantom_sale", "counterfeit")
LOOKALIKES = ("split_sale", "return_resale", "chain_transfer", "double_upload")
#: Each kind a trainer sees, in Chinese and English.
KIND_NAMES = {"substitution": ("串换", "substitution"), "reflux": ("回流", "reflux"),
              "phantom_sale": ("空刷", "phantom sale"), "counterfeit": ("假药", "counterfeit"),
              "split_sale": ("拆零", "split sale"), "return_resale": ("退货重售", "return and resale"),
              "chain_transfer": ("连锁调拨", "chain transfer"), "double_upload": ("重复上传", "double upload")}
LEGITIMATE = "legitimate"
#: What the screens say of a double upload the loader already collapsed (same record key: kept once).
DEDUPLICATED = ("载入时同一记录的重复上传只保留一条（载入报告计为重复），工作区中该码只售出一次，筛查不报线索",
                "ingest kept one copy of the record sent twice (counted as a duplicate in the ingest report), so "
                "the workspace holds one sale and the screens report no lead")


@dataclass(frozen=True)
class Exercise:
    """One planted case (its truth row) as a question."""

    case: Mapping
    pattern: Pattern
    legitimate: bool
    rule_zh: str
    rule_en: str

    @property
    def answer(self) -> str:
        """The right choice: the case's entity, or ``LEGITIMATE`` for a look-alike."""
        return LEGITIMATE if self.legitimate else self.pattern.target

    @property
    def choices(self) -> list[str]:
        """The candidates' node ids, then ``LEGITIMATE``."""
        return [*self.pattern.candidates, LEGITIMATE]

    def check(self, choice: str) -> bool:
        return choice == self.answer

    def why(self) -> tuple[str, str]:
        """Why the answer is right: the truth's note, then what the screens said."""
        zh, en = KIND_NAMES[self.case["kind"]]
        verdict = ("合法（看似可疑）", "legitimate look-alike") if self.legitimate else ("违规", "fraud")
        return (f"{zh}（{verdict[0]}）：{self.case['note_zh']}。{self.rule_zh}",
                f"{en} ({verdict[1]}): {self.case['note_en']}. {self.rule_en}")


def build_exercises(truth: Iterable[Mapping], store: GraphStore, leads: list[Mapping], ledger: list[Mapping] | None,
                    seed: int = 7, per_kind: int = 1) -> list[Exercise]:
    """``per_kind`` exercises per scenario and look-alike found in the truth, in a seeded order."""
    rng = random.Random(seed)
    rows = list(truth)
    clean = clean_of(rows, leads)
    exercises = []
    for kind in FRAUD + LOOKALIKES:
        cases = cases_of(rows, kind)
        for case in rng.sample(cases, min(per_kind, len(cases))):
            exercises.append(Exercise(case, FAMILIES[kind](store, case, clean, rng), kind in LOOKALIKES,
                                      *screen_text(case, leads, ledger or [])))
    rng.shuffle(exercises)
    return exercises


def cases_of(rows: list[Mapping], kind: str) -> list[Mapping]:
    """One truth row per case of ``kind`` (its first), with what its question needs."""
    needs = ("institution_code", "med_list_codg") if kind == "phantom_sale" else ("trace_code", "institution_code")
    first: dict[str, Mapping] = {}
    for row in rows:
        if row["kind"] == kind and all(row.get(name) for name in needs):
            first.setdefault(row["case_id"], row)
    return [first[case_id] for case_id in sorted(first)]


def clean_of(rows: list[Mapping], leads: list[Mapping]) -> Clean:
    """Codes a truth row or a lead names, and per scenario the institutions of its planted cases and leads:
    never offered as look-alike candidates."""
    codes = {row["trace_code"] for row in rows if row.get("trace_code")}
    codes |= {lead["trace_code"] for lead in leads if lead.get("trace_code")}
    places: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        if str(row.get("expect_lead")) == "1":
            places[row["scenario"]].update(place for place in (row.get("institutions") or "").split("|") if place)
    for lead in leads:
        places[lead["scenario"]].update(p for p in (lead.get("institutions") or "").split("|") if p)
        places[lead["scenario"]].add(lead.get("institution_code") or "")
    return Clean(frozenset(codes), {scenario: frozenset(found) for scenario, found in places.items()})


def screen_text(case: Mapping, leads: list[Mapping], ledger: list[Mapping]) -> tuple[str, str]:
    """What the screens said of the case: its lead's explanation, else its repeat-ledger bucket, else the
    rule's title."""
    lead = matching_lead(case, leads)
    if lead is not None:
        return f"筛查线索：{lead['explanation_zh']}", f"The screen's lead: {lead['explanation_en']}"
    entry = next((row for row in ledger if row.get("trace_code") == case.get("trace_code")), None)
    if entry is None and case["kind"] == "double_upload":
        return DEDUPLICATED
    name = entry["bucket"] if entry and entry.get("bucket") in buckets() else case["kind"]
    if name in buckets():
        bucket = buckets()[name]
        return (f"筛查未报线索；重复码台账：{bucket.zh}，核查：{bucket.check_zh}",
                f"No lead; the repeat ledger: {bucket.en}; check: {bucket.check_en}")
    rule = rules().get(case["scenario"])
    return (f"规则：{rule.title_zh}", f"Rule: {rule.title_en}") if rule else ("", "")


def matching_lead(case: Mapping, leads: list[Mapping]) -> Mapping | None:
    """The strongest lead of the case's scenario about its code (or, without one, its institution and
    product)."""
    for lead in sorted(leads, key=lambda lead: -(lead.get("score") or 0.0)):
        if lead["scenario"] != case["scenario"]:
            continue
        if case.get("trace_code") and lead.get("trace_code") == case["trace_code"]:
            return lead
        if not case.get("trace_code") and lead.get("institution_code") == case["institution_code"] \
                and lead.get("med_list_codg") == case["med_list_codg"]:
            return lead
    return None

"""The institution self-inspection report on a generated district: a substitution pharmacy, the reselling
pharmacy of a reflux ring and the hospital that dispensed its boxes, a pharmacy with a collection gap.
Its leads, what each says and asks, the monthly collection rate against a direct count of the events, the
XLSX (sheets, no formula) and the HTML page (offline, escaped), no person of another institution (nor any
raw personal value) in either file, and ``tcw selfcheck``."""

from __future__ import annotations

import json
import re
import shutil
import string
import zipfile
from collections import Counter
from pathlib import Path

import duckdb
import openpyxl
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from loaders.errors import BadInput
from loaders.ingest import ingest
from loaders.workspace import Workspace
from tests.workbench.test_cli import tcw
from workbench.cases.findings import workspace_leads
from workbench.report.offline import ensure_offline
from workbench.screens.privacy import PERSONAL, pseudonym, workspace_key
from workbench.screens.rules import rules
from workbench.selfcheck import self_inspection, write_self_inspection
from workbench.selfcheck.texts import scenario_name, texts
from workbench.synth import generate

SHEETS = ["概要", "线索", "采集率", "待说明追溯码"]
HOSTILE_NAME = '=HYPERLINK("http://x")</td><script>alert(1)</script>'
ANY_PSEUDONYM = re.compile(r"PSN-[0-9a-f]{8,}")
#: Facts a sentence may name besides a rule's detail columns (``texts.yaml``).
LEAD_FACTS = {"trace_code", "med_list_codg", "first_date", "last_date", "first_at", "last_at", "first_month",
              "event_count", "amount", "scenario_name", "own_sales", "own_returns", "own_first", "own_last",
              "own_amount", "earlier", "later_n", "others_n"}


@pytest.fixture(scope="module")
def district(tmp_path_factory) -> tuple[Workspace, list[dict]]:
    root = tmp_path_factory.mktemp("selfcheck")
    generate(root / "data", seed=7, scale="tiny")
    ws = Workspace(root / "ws")
    ingest([root / "data" / "uploads", root / "data" / "reference"], ws, workers=1)
    return ws, workspace_leads(ws)


@pytest.fixture(scope="module")
def picked(district) -> dict[str, str]:
    """Institutions by what the screen found there."""
    _, leads = district
    reflux = Counter(lead["institution_code"] for lead in leads if lead["scenario"] == "reflux")
    reseller = reflux.most_common(1)[0][0]
    hospital = next(json.loads(lead["details"])["first_seller"] for lead in leads
                    if lead["scenario"] == "reflux" and lead["institution_code"] == reseller)
    return {"substitution": next(lead["institution_code"] for lead in leads if lead["scenario"] == "substitution"),
            "reseller": reseller, "hospital": hospital,
            "gap": next(lead["institution_code"] for lead in leads if lead["rule_id"] == "missing_codes")}


@pytest.fixture(scope="module")
def written(district, picked, tmp_path_factory) -> dict[str, tuple[Path, Path]]:
    """Each picked institution's report as XLSX and as HTML."""
    ws, _ = district
    folder = tmp_path_factory.mktemp("reports")
    files = {}
    for institution in set(picked.values()):
        report = self_inspection(ws, institution)
        files[institution] = (folder / f"{institution}.xlsx", folder / f"{institution}.html")
        for path in files[institution]:
            write_self_inspection(report, path)
    return files


def test_substitution_pharmacy_sees_its_code_and_what_to_check(district, picked):
    ws, leads = district
    report = self_inspection(ws, picked["substitution"])
    lead = next(lead for lead in leads if lead["scenario"] == "substitution"
                and lead["institution_code"] == picked["substitution"])
    item = next(item for item in report.codes if item.lead_id == lead["lead_id"])
    sales = json.loads(lead["details"])["sales"]
    assert item.trace_code == lead["trace_code"] and item.role == "main"
    assert f"同一追溯码在本机构医保结算 {sales} 次" in item.happened
    assert item.check == texts()["check"]["substitution"]["any"]
    assert report.profile.code == picked["substitution"] and report.profile.type == "pharmacy"


def test_every_lead_of_the_institution_and_no_other(district, picked):
    ws, leads = district
    for institution in (picked["reseller"], picked["hospital"]):
        report = self_inspection(ws, institution)
        expected = {lead["lead_id"] for lead in leads if lead["institution_code"] == institution
                    or institution in lead["institutions"].split("|")}
        assert {item.lead_id for item in report.leads} == expected and expected
        assert sum(len(items) for items in report.by_scenario.values()) == len(report.leads)


def test_the_reseller_is_told_where_the_box_came_from_and_the_hospital_not_who_resold(district, picked):
    ws, leads = district
    resold = self_inspection(ws, picked["reseller"])
    dispensed = self_inspection(ws, picked["hospital"])
    mine = [item for item in resold.leads if item.scenario == "reflux" and item.role == "main"]
    assert mine and all(picked["hospital"] in item.happened or "医疗机构 H" in item.happened for item in mine)
    assert all(item.check == texts()["check"]["reflux"]["main"] for item in mine)
    theirs = [item for item in dispensed.leads if item.scenario == "reflux"]
    assert theirs and all(item.role == "involved" and "另一家机构" in item.happened for item in theirs)
    resellers = {lead["institution_code"] for lead in leads if lead["scenario"] == "reflux"}
    assert not any(code in item.happened for item in theirs for code in resellers)


def test_monthly_rates_match_a_direct_count_of_the_events(district, picked):
    ws, leads = district
    for institution in picked.values():
        report = self_inspection(ws, institution)
        direct = direct_rates(ws, institution)
        assert {m.month: (m.insured_sales, m.coded_sales) for m in report.months} == direct
        assert all(0.0 <= m.rate <= 1.0 for m in report.months)
    gap = next(lead for lead in leads if lead["rule_id"] == "missing_codes" and lead["institution_code"] == picked["gap"])
    missing = json.loads(gap["details"])["missing"]
    rate = self_inspection(ws, picked["gap"]).overall_rate
    assert rate == pytest.approx(1 - missing / gap["event_count"]) and rate < 0.7


def direct_rates(ws: Workspace, institution: str) -> dict:
    """Insured sale records per month, and those with a valid code: one record, one sale, whatever codes
    it carried; exempt items (the products table's flag, the gap rule's default prefix) left out."""
    exempt = set()
    if ws.reference_path("products").exists():
        products = pq.read_table(ws.reference_path("products")).to_pylist()
        exempt = {row["med_list_codg"] for row in products if str(row.get("exempt") or "").lower() in ("1", "true", "是")}
    prefix = rules()["missing_codes"].params["exempt_prefix"].default
    rows = duckdb.sql("""
        SELECT source_record, min(event_time) AS t, max(med_list_codg) AS med,
               bool_or(code_scheme IN ('nmpa20', 'gs1', 'other')) AS coded
        FROM read_parquet($files) WHERE institution_code = $i AND event_type = 'sale' AND coalesce(settle_type, '1') = '1'
        GROUP BY source_record""", params={"files": ws.event_files(), "i": institution}).fetchall()
    found: dict = {}
    for _, moment, med, coded in rows:
        if (med or "") in exempt or (med or "").startswith(prefix):
            continue
        month = moment.date().replace(day=1)
        sales, with_code = found.get(month, (0, 0))
        found[month] = (sales + 1, with_code + int(bool(coded)))
    return found


def test_workbook_has_the_sheets_and_no_formula(written):
    for xlsx, _ in written.values():
        book = openpyxl.load_workbook(xlsx)
        assert book.sheetnames == SHEETS
        cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row]
        assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
        rates = [row[4] for row in book["采集率"].iter_rows(min_row=2, values_only=True)]
        assert rates and all(isinstance(rate, float | int) and 0 <= rate <= 1 for rate in rates)
        codes = [row[0] for row in book["待说明追溯码"].iter_rows(min_row=2, values_only=True)]
        assert all(isinstance(code, str) and code for code in codes)


def test_page_is_offline(written):
    for _, html in written.values():
        page = html.read_text(encoding="utf-8")
        assert ensure_offline(page) == page and "<script" not in page
        assert "Content-Security-Policy" in page and "采集率" in page


def test_no_other_persons_and_no_personal_value_in_either_file(district, picked, written):
    ws, _ = district
    key = workspace_key(ws.root)
    persons = duckdb.sql("SELECT DISTINCT institution_code, psn_no, certno, psn_name FROM read_parquet($f)",
                         params={"f": ws.event_files()}).fetchall()
    raw = {value for row in persons for value in row[1:] if value}
    for institution, files in written.items():
        others = {pseudonym(psn, key) for inst, psn, _, _ in persons if psn} - \
                 {pseudonym(psn, key) for inst, psn, _, _ in persons if psn and inst == institution}
        for path in files:
            text = file_text(path)
            assert not [p for p in others if p in text or p[:12] in text], path
            assert not ANY_PSEUDONYM.search(text), path
            assert not [value for value in raw if value in text], path


def file_text(path: Path) -> str:
    """A page's text, or every XML part of a workbook (the shared strings and the sheets) joined."""
    if path.suffix == ".html":
        return path.read_text(encoding="utf-8")
    with zipfile.ZipFile(path) as book:
        return "\n".join(book.read(name).decode("utf-8") for name in book.namelist() if name.endswith(".xml"))


def test_hostile_names_stay_text(district, picked, tmp_path):
    ws, _ = district
    copy = Workspace(tmp_path / "ws")
    shutil.copytree(ws.root, copy.root)
    institutions = pq.read_table(copy.reference_path("institutions"))
    names = pc.if_else(pc.equal(institutions["code"], picked["substitution"]), HOSTILE_NAME, institutions["name"])
    pq.write_table(institutions.set_column(institutions.column_names.index("name"), "name", names),
                   copy.reference_path("institutions"))
    report = self_inspection(copy, picked["substitution"])
    write_self_inspection(report, tmp_path / "r.xlsx")
    write_self_inspection(report, tmp_path / "r.html")
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    cell = openpyxl.load_workbook(tmp_path / "r.xlsx")["概要"]["B3"]
    assert cell.value == "'" + HOSTILE_NAME and cell.data_type == "s"


def test_unknown_institution_is_bad_input_naming_similar_codes(district, picked):
    ws, _ = district
    with pytest.raises(BadInput) as raised:
        self_inspection(ws, picked["reseller"][:-1])
    assert picked["reseller"][:-1] in str(raised.value) and picked["reseller"] in raised.value.hint


def test_texts_name_no_person_and_cover_every_rule():
    declared = texts()
    for rule in rules().values():
        assert rule.scenario in declared["check"] and rule.scenario in declared["scenarios"]
        assert rule.id in declared["happened"], rule.id
    for spec in declared["happened"].values():
        for template in templates(spec):
            fields = {name for _, name, _, _ in string.Formatter().parse(template) if name}
            assert fields and not fields & PERSONAL, template


def templates(spec: dict) -> list[str]:
    """A rule's sentences and fragments (per role or for any)."""
    found = [text for role, text in spec.items() if role != "fragments"]
    for fragment in spec.get("fragments", {}).values():
        found += [fragment] if isinstance(fragment, str) else list(fragment.values())
    return found


def test_every_rule_has_its_own_sentence_for_each_role(district):
    ws, leads = district
    seen = set()
    for lead in leads:
        for institution in dict.fromkeys([lead["institution_code"], *lead["institutions"].split("|")]):
            role = "main" if institution == lead["institution_code"] else "involved"
            if (lead["rule_id"], role) in seen:
                continue
            seen.add((lead["rule_id"], role))
            item = next(i for i in self_inspection(ws, institution).leads if i.lead_id == lead["lead_id"])
            assert not item.happened.startswith(f"{scenario_name(item.scenario)}线索："), item.happened
            fields = {name for t in templates(texts()["happened"][lead["rule_id"]])
                      for _, name, _, _ in string.Formatter().parse(t) if name}
            assert fields <= LEAD_FACTS | set(json.loads(lead["details"])), lead["rule_id"]
    assert {rule for rule, _ in seen} == set(rules()), "the district has leads of every rule"


def test_command_writes_the_report_and_refuses_an_unknown_institution(district, picked, tmp_path):
    ws, _ = district
    out = tmp_path / "自查" / "report.xlsx"
    done = tcw("selfcheck", picked["reseller"], "--out", str(out), "--workspace", str(ws.root))
    assert done.returncode == 0, done.stderr
    assert out.is_file() and picked["reseller"] in done.stdout
    for args in (["P0000000000", "--out", str(tmp_path / "x.html")], [picked["reseller"], "--out", str(tmp_path / "x.pdf")]):
        refused = tcw("selfcheck", *args, "--workspace", str(ws.root))
        assert refused.returncode == 2 and "Traceback" not in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert not (tmp_path / "x.html").exists()

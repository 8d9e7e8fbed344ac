"""The case package's HTML view: one offline page (nothing outside itself, three inline scripts only),
hostile text escaped everywhere it lands (header, tables, timeline, the graph's JSON), the header's facts,
the per-code timeline in time order with its cap, and the tables."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from html import escape
from html.parser import HTMLParser

import pytest

from tests.cases.graph_sample import (
    CODE,
    HOSPITAL_NAME,
    NOTE,
    PERSON_B,
    PHARMACY,
    QUIET,
    SCRIPT_CODE,
    TITLE,
    events_table,
    sample_evidence,
)
from workbench.cases.case_html import write_case_html
from workbench.cases.evidence import Evidence
from workbench.cases.model import Case, CaseItem
from workbench.cases.subgraph import case_graph
from workbench.report.offline import ensure_offline, external_references


class Elements(HTMLParser):
    """Start tags, the text of each section, and the JSON data element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.data = ""
        self._in_json = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_json = tag == "script" and dict(attrs).get("type") == "application/json"

    def handle_endtag(self, tag):
        self._in_json = False

    def handle_data(self, data):
        if self._in_json:
            self.data += data
        else:
            self.text.append(data)


def page_of(evidence, tmp_path, name="case.html"):
    path = tmp_path / name
    write_case_html(evidence, case_graph(evidence), path)
    return path.read_text(encoding="utf-8")


def parsed(page: str) -> Elements:
    elements = Elements()
    elements.feed(page)
    elements.close()
    return elements


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    return page_of(sample_evidence(), tmp_path_factory.mktemp("html"))


def test_the_page_is_offline_and_runs_only_its_own_scripts(page):
    assert ensure_offline(page) == page and external_references(page) == []
    assert 'http-equiv="Content-Security-Policy"' in page and "default-src 'none'" in page
    scripts = [attrs for tag, attrs in parsed(page).tags if tag == "script"]
    assert len(scripts) == 3 and scripts[0] == {"type": "application/json", "id": "tcw-graphs"}
    assert not any(attrs.get("src") for attrs in scripts)
    assert not [tag for tag, _ in parsed(page).tags if tag in ("img", "link", "iframe", "object", "b")]


def test_hostile_text_is_escaped_everywhere(page):
    assert "<script>alert(1)" not in page and "<img src=x" not in page and "<b>药店" not in page
    assert escape(SCRIPT_CODE) in page  # the code, as text, in the timeline and the tables
    assert escape(NOTE) in page and escape(TITLE) in page and escape(HOSPITAL_NAME) in page
    text = "".join(parsed(page).text)
    assert SCRIPT_CODE in text and NOTE in text and TITLE in text  # what a reader sees is the text as given


def test_the_graph_data_is_json_a_script_cannot_break_out_of(page):
    raw = parsed(page).data
    assert "<" not in raw and ">" not in raw and "\\u003cscript\\u003e" in raw
    graphs = json.loads(raw)
    ids = {node["id"] for node in graphs[0]["nodes"]}
    assert {f"Code:{CODE}", f"Code:{SCRIPT_CODE}", f"Institution:{QUIET}", "Case:CASE-20261204-0a1b2c"} <= ids
    labels = {edge.get("label") for edge in graphs[0]["edges"]}
    assert {"销售", "售予", "采购"} <= labels
    assert graphs[0]["options"]["layout"]["randomSeed"] == 7


def test_the_header_says_what_the_case_is(page):
    header = page[page.index("<header>"):page.index("</header>")]
    for expected in ("CASE-20261204-0a1b2c", "已确认 confirmed", "张三", "2025-06-01 09:00 – 2025-06-10 12:00",
                     "化名", "pseudonymised", "10 条 listed", "未合并"):
        assert expected in header, expected
    # sales less returns: five sales of 23.5 less one return
    assert "sales less returns 94.00 元" in header and escape("the case's leads 47.00 元") in header


def test_the_timeline_lists_each_code_in_time_order(page):
    section = page[page.index('<section id="timeline">'):page.index("</section>", page.index('id="timeline"'))]
    assert section.count('<g class="lane">') == 3
    assert section.index(f">{CODE}<") < section.index(escape(SCRIPT_CODE))  # the case's own code first
    details = section[section.index(f"<summary><code>{escape(SCRIPT_CODE)}</code>"):]
    details = details[:details.index("</details>")]
    rows = re.findall(r"<tr><td>(2025-[^<]*)</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td>", details)
    assert [row[0] for row in rows] == ["2025-06-01 09:00", "2025-06-03 11:00", "2025-06-07 16:00", "2025-06-08 12:00"]
    assert [row[1] for row in rows] == ["采购 purchase", "销售 sale", "销售 sale", "销售退货 sale return"]
    assert rows[1][2] == f"{escape(HOSPITAL_NAME)}（H50011600001）" and rows[3][3] == PERSON_B
    assert "医院 hospital" in section and "药店 pharmacy" in section


def test_the_tables_hold_leads_rings_institutions_persons_notes_and_history(page):
    for anchor, count in (("leads", 1), ("rings", 1), ("institutions", 3), ("persons", 2), ("notes", 1),
                          ("history", 2)):
        start = page.index(f'<section id="{anchor}">')
        section = page[start:page.index("</section>", start)]
        assert f"（{count}）" in section, anchor
        assert section.count("<tr>") == count + 1, anchor
    assert QUIET in page and PHARMACY in page and PERSON_B in page


def test_a_revealed_package_shows_names_and_says_so(tmp_path):
    page = page_of(sample_evidence(reveal=True), tmp_path)
    assert "明文" in page and "in clear" in page
    assert "姓名 name" in page and "=李四" in page and "50011600000000000000000999" in page
    assert ensure_offline(page) == page


def test_past_fifty_codes_the_timeline_stops_and_says_how_many_more(tmp_path):
    start = datetime(2025, 6, 1)
    rows = [{"event_id": f"E{k}", "event_time": start + timedelta(hours=k), "event_type": "sale", "trace_code": f"C{k:03d}",
             "institution_code": "P1", "institution_type": "pharmacy"} for k in range(60)]
    case = Case("CASE-2", "多码", "open", "", "", "2026-01-01T00:00:00", "ana", "2026-01-01T00:00:00",
                items=(CaseItem("code", "C059"),))
    page = page_of(Evidence(case, [], [], events_table(rows), capped={"events": 12034}), tmp_path)
    section = page[page.index('<section id="timeline">'):]
    assert section.count('<g class="lane">') == 50 and "（50 / 60）" in section
    assert "另有 10 个追溯码未列出" in section and "10 more codes" in section
    assert section.index(">C059<") < section.index(">C000<")  # the case's own code first
    assert ">C048<" in section and ">C049<" not in section  # the latest codes are the ones left out
    assert "12,034" in page[:page.index("</header>")]

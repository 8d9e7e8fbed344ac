"""The offline HTML report on a generated district: each lead's subgraph (what it flags, the code's events,
the node cap), the page (self-contained, escaped, styled from the schema, no personal data) and the demo
printing where the report is."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import datetime
from html.parser import HTMLParser

import duckdb
import pytest

from tests.workbench.test_screen_synth import district  # noqa: F401 - the generated district, seed chosen below
from workbench.graph.elements import Context, event_elements, lead_elements
from workbench.graph.load import load_workspace
from workbench.graph.memory import MemoryStore
from workbench.graph.schema import schema
from workbench.graph.store import entity, node_id
from workbench.report.build import PER_SCENARIO, report_from_store, top_leads
from workbench.report.offline import external_references, vis_assets
from workbench.report.pyvis_render import FONT_FAMILY
from workbench.report.subgraph import MAX_NODES, lead_graph
from workbench.screens.leads import leads_table

ONE_SEED = pytest.mark.parametrize("district", [7], indirect=True)
#: Text an upload or a lead may carry that must stay text in the page.
HOSTILE = """</script><script>alert("x")</script><img src=x onerror=alert(1)> ' " & <!-- """
HOSTILE_CODE = "8123</script><b>x</b>"


@pytest.fixture(scope="module")
def store(district):  # noqa: F811 - the imported fixture
    ws, _, leads, _ = district
    loaded = MemoryStore()
    load_workspace(loaded, ws, leads_table(leads))
    return loaded


@pytest.fixture(scope="module")
def page(store, district, tmp_path_factory):  # noqa: F811
    path = report_from_store(store, district[2], tmp_path_factory.mktemp("report") / "report.html")
    return path.read_text(encoding="utf-8")


def hostile_store() -> tuple[MemoryStore, list[dict]]:
    """A store whose names, code and lead texts try to break out of the page."""
    context, store = Context(key=b"k" * 32), MemoryStore()
    rows = [{"event_id": f"e{day}", "event_type": "sale", "event_time": datetime(2025, 6, day, 9), "quantity": 1.0,
             "trace_code": HOSTILE_CODE, "institution_code": "P1", "institution_name": HOSTILE, "psn_no": f"psn{day}",
             "med_list_codg": "X1", "product_name": HOSTILE} for day in (1, 2, 3)]
    store.write(event_elements(rows, context))
    lead = {"lead_id": "SUB-\"'</script>", "scenario": "substitution", "rule_id": "substitution", "score": 0.9,
            "trace_code": HOSTILE_CODE, "institution_code": "P1", "institutions": "P1", "med_list_codg": "X1",
            "first_time": datetime(2025, 6, 1, 9), "last_time": datetime(2025, 6, 3, 9), "event_count": 3,
            "amount": 1.0, "params": "{}", "explanation_zh": HOSTILE, "explanation_en": HOSTILE, "details": "{}"}
    store.write(lead_elements([lead], context))
    return store, [lead]


@ONE_SEED
def test_a_code_lead_shows_what_it_flags_and_the_codes_events(store, district):  # noqa: F811
    drawn = [lead for lead in top_leads(district[2], PER_SCENARIO) if lead["trace_code"]]
    assert {lead["scenario"] for lead in drawn} >= {"substitution", "reflux", "counterfeit"}
    for lead in drawn:
        shown = lead_graph(store, lead)
        nodes = set(shown.graph)
        assert set(store.neighbourhood("Lead", lead["lead_id"], hops=1)) <= nodes, lead["lead_id"]
        history = store.code_history(lead["trace_code"])
        assert shown.events_shown == shown.events_found == len(history) <= MAX_NODES
        for row in history:
            assert {node_id("Event", row["event_id"]), node_id("Institution", row["institution"])} <= nodes
            assert row["patient"] is None or node_id("Patient", row["patient"]) in nodes
        assert len(nodes) <= MAX_NODES


@ONE_SEED
def test_a_lead_without_a_code_shows_its_institutions_events_within_the_cap(store, district):  # noqa: F811
    for lead in (lead for lead in district[2] if not lead["trace_code"]):
        shown = lead_graph(store, lead)
        main = node_id("Institution", lead["institution_code"])
        events = [node for node, label in shown.graph.nodes(data="label") if label == "Event"]
        assert main in shown.graph and 0 < len(events) == shown.events_shown <= shown.events_found
        assert len(shown.graph) <= MAX_NODES and shown.events_shown < shown.events_found
        for event in events:
            data = shown.graph.nodes[event]
            assert shown.graph.has_edge(event, main, "AT")
            assert lead["first_time"].isoformat() <= data["event_time"] <= lead["last_time"].isoformat()
            if lead["med_list_codg"]:  # a phantom sale: only the flagged product's events
                assert shown.graph.has_edge(event, node_id("Product", lead["med_list_codg"]), "OF_PRODUCT")


@ONE_SEED
def test_the_node_cap_holds_and_the_rest_is_counted_on_the_page(store, district, tmp_path):  # noqa: F811
    lead = next(lead for lead in district[2] if lead["scenario"] == "substitution")
    flagged = len(store.neighbourhood("Lead", lead["lead_id"], hops=1))
    small = lead_graph(store, lead, max_nodes=flagged + 3)
    assert len(small.graph) <= flagged + 3 and 0 < small.events_shown < small.events_found
    text = report_from_store(store, [lead], tmp_path / "r.html", max_nodes=flagged + 3).read_text(encoding="utf-8")
    assert f"显示相关事件 {small.events_shown} / {small.events_found}" in text
    assert f"最多 {flagged + 3} 个节点" in text


@ONE_SEED
def test_the_page_is_self_contained_with_system_cjk_fonts(page):
    script, style = vis_assets()
    assert external_references(page) == []
    assert script in page and style in page  # vis-network inlined from the pyvis package's own files
    assert "<link" not in page and "bootstrap" not in page.lower() and "@font-face" not in page
    assert FONT_FAMILY in page and "Content-Security-Policy" in page
    data = json.loads(_element_text(page, "script", "tcw-graphs"))
    assert len(data) == page.count('<div class="graph"') > 0
    assert all(graph["options"]["nodes"]["font"]["face"] == FONT_FAMILY for graph in data)


@ONE_SEED
def test_events_show_their_time_and_the_styling_and_legend_come_from_the_schema(page):
    graphs = json.loads(_element_text(page, "script", "tcw-graphs"))
    nodes = [node for graph in graphs for node in graph["nodes"]]
    for node in nodes:
        label = schema().label(entity(node["id"])[0])
        assert (node["color"], node["shape"]) == (label.colour, label.shape)
        if label.name == "Event":
            assert re.search(r"\n2025-\d\d-\d\d \d\d:\d\d$", node["label"]), node["label"]
    for label in schema().labels:
        assert f"{label.caption_zh} {label.caption_en}" in page and f'fill="{label.colour}"' in page
    assert any(edge.get("label") == "主要机构" for graph in graphs for edge in graph["edges"])


@ONE_SEED
def test_no_personal_data_reaches_the_page(page, district):  # noqa: F811
    ws = district[0]
    persons = duckdb.sql("SELECT DISTINCT psn_no, certno, psn_name FROM read_parquet($p)",
                         params={"p": ws.event_files()}).fetchall()
    values = {value for row in persons for value in row if value}
    assert len(values) > 100
    assert not [value for value in values if value in page]
    assert "PSN-" in page


def test_hostile_text_stays_text(tmp_path):
    store, leads = hostile_store()
    text = report_from_store(store, leads, tmp_path / "r.html").read_text(encoding="utf-8")
    tags = _tags(text)
    assert tags.count("script") == 3 and "img" not in tags and "b" not in tags
    assert _element_text(text, "p", None, css="zh") == HOSTILE
    (graph,) = json.loads(_element_text(text, "script", "tcw-graphs"))
    assert node_id("Code", HOSTILE_CODE) in {node["id"] for node in graph["nodes"]}
    assert any(node["label"] == HOSTILE_CODE for node in graph["nodes"])


def test_pyvis_own_inline_page_would_not_be_offline_and_the_check_says_so():
    from pyvis.network import Network

    net = Network(cdn_resources="in_line")
    net.add_node("a", label="药品")
    found = external_references(net.generate_html())
    assert any("bootstrap" in reference for reference in found)


def test_the_same_leads_give_the_same_page(tmp_path):
    store, leads = hostile_store()
    first = report_from_store(store, leads, tmp_path / "1.html").read_bytes()
    assert report_from_store(store, leads, tmp_path / "2.html").read_bytes() == first


def test_the_demo_prints_where_the_report_is(tmp_path):
    done = subprocess.run([sys.executable, "-m", "workbench.cli", "demo", "--out", str(tmp_path / "demo"), "--scale",
                           "tiny"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("报告 report") and last.endswith(str(tmp_path / "demo" / "report.html"))
    text = (tmp_path / "demo" / "report.html").read_text(encoding="utf-8")
    assert external_references(text) == [] and text.count('<article class="lead">') >= 5 * 2


class _Collector(HTMLParser):
    """Start tags in order, and the text of the first element matching a tag, id and class."""

    def __init__(self, tag: str | None = None, id_: str | None = None, css: str | None = None) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.want, self.text, self._depth = (tag, id_, css), None, 0

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attributes = dict(attrs)
        tag_, id_, css = self.want
        if self.text is None and tag == tag_ and (id_ is None or attributes.get("id") == id_) and (
                css is None or css in (attributes.get("class") or "").split()):
            self.text, self._depth = "", 1

    def handle_endtag(self, tag):
        if self._depth and tag == self.want[0]:
            self._depth = 0

    def handle_data(self, data):
        if self._depth:
            self.text += data


def _element_text(page: str, tag: str, id_: str | None, css: str | None = None) -> str:
    collector = _Collector(tag, id_, css)
    collector.feed(page)
    assert collector.text is not None, f"no <{tag} id={id_} class={css}>"
    return collector.text


def _tags(page: str) -> list[str]:
    collector = _Collector()
    collector.feed(page)
    return collector.tags

"""The offline HTML report on a generated district: each lead's subgraph (what it flags, the code's events,
the node cap), the page (self-contained, escaped, styled from the schema, no personal data), the rings and
clusters of an analysis (hand-made events: a section each, members, explanations, the flow in columns; no
part without flows) and the demo printing where the report is."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import datetime
from html.parser import HTMLParser

import duckdb
import pytest

from loaders.workspace import Workspace
from tests.analytics.test_analyse import H1, P1, P3, P4, cluster_rows, code, ring_rows
from tests.workbench.events_builder import event as hand_event
from tests.workbench.events_builder import write
from tests.workbench.test_screen_synth import district  # noqa: F401 - the generated district, seed chosen below
from workbench.analytics.run import analyse_workspace
from workbench.demo import _analyse
from workbench.graph.elements import Context, event_elements, lead_elements
from workbench.graph.load import load_workspace
from workbench.graph.memory import MemoryStore
from workbench.graph.schema import schema
from workbench.graph.store import entity, node_id
from workbench.report.build import PER_SCENARIO, report_from_store, top_leads
from workbench.report.networks import COLUMN_GAP, capped, network_part
from workbench.report.offline import external_references, vis_assets
from workbench.report.pyvis_render import FONT_FAMILY
from workbench.report.subgraph import MAX_NODES, lead_graph
from workbench.screens.leads import leads_table
from workbench.screens.privacy import short_pseudonym

ONE_SEED = pytest.mark.parametrize("district", [7], indirect=True)
#: Text an upload or a lead may carry that must stay text in the page.
HOSTILE = """</script><script>alert("x")</script><img src=x onerror=alert(1)> ' " & <!-- """
HOSTILE_CODE = "8123</script><b>x</b>"
#: An onward store whose code tries to close an attribute and open an element.
HOSTILE_STORE = 'P4"><img src=x onerror=alert(2)>'


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


def networks_report(tmp_path, rows: list[dict], **options) -> tuple[str, object]:
    """The report of no leads and the analysis of ``rows`` (the page's text, the analysis)."""
    ws = write(Workspace(tmp_path / "ws"), rows)
    analysis, store = analyse_workspace(ws), MemoryStore()
    load_workspace(store, ws)
    page = report_from_store(store, [], tmp_path / "report.html", analysis=analysis, **options)
    return page.read_text(encoding="utf-8"), analysis


def hostile_ring_rows() -> list[dict]:
    """The ring and cluster of the analysis tests, the first hospital named and an onward store coded with
    text that tries to break out of the page."""
    rows = ring_rows() + cluster_rows()
    for row in rows:
        if row["institution_code"] == H1:
            row["institution_name"] = HOSTILE
        elif row["institution_code"] == P4:
            row["institution_code"] = HOSTILE_STORE
    return rows


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


def test_each_ring_and_cluster_has_a_section_with_its_members_and_explanations(tmp_path):
    page, analysis = networks_report(tmp_path, ring_rows() + cluster_rows())
    rows = analysis.community_rows()
    assert sorted(row["kind"] for row in rows) == ["counterfeit_cluster", "reflux_ring"]
    assert _tags(page).count("article") == 2 and 'id="networks"' in page
    graphs = json.loads(_element_text(page, "script", "tcw-graphs"))
    for index, (row, community) in enumerate(zip(rows, analysis.communities, strict=True)):
        card = _element_text(page, "article", row["community_id"])
        assert row["explanation_zh"] in card and row["explanation_en"] in card and row["community_id"] in card
        assert all(code in card for code in community.institutions + community.trace_codes)
        assert all(short_pseudonym(person) in card for person in community.persons)
        assert f'data-graph="{index}" data-community="{row["community_id"]}"' in page
        drawn = {node["id"] for node in graphs[index]["nodes"]}
        assert {f"Institution:{code}" for code in community.institutions} <= drawn
    assert "回流团伙 reflux ring #" in page and "假药网络 counterfeit cluster #" in page
    brokers = _element_text(page, "table", None, css="brokers")
    collector = next(row for row in analysis.brokers if row["role"] == "source_patient")
    assert "来源参保人" in brokers and "转售机构" in brokers and short_pseudonym(collector["entity"]) in brokers
    assert collector["entity"] not in brokers.replace(short_pseudonym(collector["entity"]), "")


def test_a_rings_flow_reads_left_to_right_with_edges_as_wide_as_their_boxes(tmp_path):
    page, analysis = networks_report(tmp_path, ring_rows())
    (graph,) = json.loads(_element_text(page, "script", "tcw-graphs"))
    x = {node["id"]: node["x"] for node in graph["nodes"]}
    persons = [node for node in x if node.startswith("Patient:")]
    assert x[node_id("Institution", H1)] == 0 and {x[p] for p in persons} == {COLUMN_GAP}
    assert x[node_id("Institution", P1)] == 2 * COLUMN_GAP
    assert x[node_id("Institution", P3)] == x[node_id("Institution", P4)] == 3 * COLUMN_GAP  # transfer, resale
    flow = analysis.ring_flow(analysis.communities[0].community_id)
    widths = {(e["from"], e["to"]): e["width"] for e in graph["edges"]}
    assert len(widths) == flow.number_of_edges()
    most = max(n for _, _, n in flow.edges(data="codes"))
    for start, end, boxes in flow.edges(data="codes"):  # in proportion, 8 px at most, 2 px a box at most
        assert widths[(start, end)] == pytest.approx(max(1.0, min(2.0, 8 / most) * boxes))
    titles = [e["title"] for e in graph["edges"]]
    assert any("3502 调拨 transfer" in t for t in titles) and any(f"{most} 盒 boxes" in t for t in titles)
    shapes = {node["id"].split(":")[0]: (node["color"], node["shape"]) for node in graph["nodes"]}
    for label in ("Institution", "Patient"):
        assert shapes[label] == (schema().label(label).colour, schema().label(label).shape)
    assert graph["options"]["physics"] == {"enabled": False}


def test_a_clusters_outlets_are_coloured_by_region_and_joined_to_their_codes(tmp_path):
    page, analysis = networks_report(tmp_path, cluster_rows())
    (graph,) = json.loads(_element_text(page, "script", "tcw-graphs"))
    outlets = [node for node in graph["nodes"] if node["id"].startswith("Institution:")]
    fills = {node["color"]["background"] for node in outlets}
    assert len(outlets) == 3 and len(fills) == 3 and {node["x"] for node in outlets} == {0}
    assert {node["color"]["border"] for node in outlets} == {schema().label("Institution").colour}
    codes = {node["id"] for node in graph["nodes"] if node["id"].startswith("Code:")}
    assert codes == {node_id("Code", code(n)) for n in (60, 61, 62)} and len(graph["edges"]) == 9
    assert all(f'fill="{fill}"' in page for fill in fills)  # the regions' swatches


def test_hostile_names_and_codes_stay_text_in_the_rings(tmp_path):
    page, analysis = networks_report(tmp_path, hostile_ring_rows())
    assert external_references(page) == []
    assert _tags(page).count("script") == 3 and "img" not in _tags(page) and "b" not in _tags(page)
    ring = next(c for c in analysis.communities if c.kind == "reflux_ring")
    card = _element_text(page, "article", ring.community_id)
    assert HOSTILE in card and HOSTILE_STORE in card
    graphs = json.loads(_element_text(page, "script", "tcw-graphs"))
    assert node_id("Institution", HOSTILE_STORE) in {node["id"] for graph in graphs for node in graph["nodes"]}


def test_past_the_limit_the_rest_is_counted_and_big_graphs_are_cut(tmp_path):
    page, analysis = networks_report(tmp_path, ring_rows() + cluster_rows())
    part = network_part(analysis, {}, "workspace/analysis/communities.csv", limit=1)
    assert len(part.graphs) == 1 and part.total == 2
    from workbench.report.html import render_page

    text = render_page([], {}, networks=part)
    assert "另有 1 个未显示" in text and "workspace/analysis/communities.csv" in text
    ring = next(c for c in analysis.communities if c.kind == "reflux_ring")
    flow = analysis.ring_flow(ring.community_id)
    kept = capped(flow, "codes", 4)
    assert len(kept) == 4 and node_id("Institution", P1) in kept  # P1 carried the most boxes


def test_without_flows_the_demo_says_so_and_the_report_has_no_rings(tmp_path):
    ws = write(Workspace(tmp_path / "ws"), [hand_event(n, code=code(n)) for n in range(1, 4)])  # each sold once
    said: list[str] = []
    assert _analyse(ws, said.append) is None
    assert len(said) == 2 and "报告不含团伙与网络" in said[1]
    store, leads = hostile_store()
    text = report_from_store(store, leads, tmp_path / "r.html", analysis=None).read_text(encoding="utf-8")
    assert 'id="networks"' not in text and "团伙与网络" not in text


def test_an_analysis_without_rings_says_none_were_found(tmp_path):
    rows = [hand_event(n, code=code(1), day=n, institution_code=P1 if n % 2 else H1) for n in range(1, 3)]
    page, analysis = networks_report(tmp_path, rows)
    assert analysis.communities == [] and "未发现回流团伙或假药网络" in page and "（显示 shown 0 / 0）" in page


def test_the_demo_prints_where_the_report_is(tmp_path):
    done = subprocess.run([sys.executable, "-m", "workbench.cli", "demo", "--out", str(tmp_path / "demo"), "--scale",
                           "tiny"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("报告 report") and last.endswith(str(tmp_path / "demo" / "report.html"))
    text = (tmp_path / "demo" / "report.html").read_text(encoding="utf-8")
    assert external_references(text) == [] and text.count('<article class="lead">') >= 5 * 2
    analysis = tmp_path / "demo" / "workspace" / "analysis"
    assert (analysis / "communities.csv").is_file() and (analysis / "brokers.csv").is_file()
    assert "4/5 团伙分析" in done.stdout and "回流团伙 reflux rings:" in done.stdout
    assert 'id="networks"' in text and text.count('<article class="community reflux_ring"') >= 1


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

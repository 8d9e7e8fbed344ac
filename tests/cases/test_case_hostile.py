"""Hostile names and codes uploaded to a workspace survive a case package as text: a formula never runs in
the CSV or the workbook, markup never runs in the HTML view (checked in headless Chromium, which also sees
no request leave the page), GraphML and GEXF give the exact text back."""

from __future__ import annotations

import csv
import zipfile

import networkx as nx
import openpyxl
import pytest

from loaders.ingest import ingest
from loaders.workspace import Workspace
from tests.browser import chromium
from workbench.cases.actions import new_case
from workbench.cases.package import export_case

INSTITUTION = '=HYPERLINK("HTTP://X")'  # institution codes are upper-cased by the loader
NAME = "<script>alert(1)</script>药房"
PRODUCT = '@SUM(A1) "引号"\t制表'
CODE = "81200571660099990001"
PERSON_NAMES = ("=张三", "-李四")
HEADERS = ["接口编号", "定点医药机构编码", "定点医药机构名称", "医保药品编码", "药品名称", "人员编号", "人员姓名",
           "证件号码", "结算ID", "销售/退货数量", "销售时间", "最终成交单价", "追溯码", "定点医药机构批次流水号"]


@pytest.fixture(scope="module")
def package(case_district, tmp_path_factory):
    import shutil

    root = tmp_path_factory.mktemp("hostile")
    ws = Workspace(shutil.copytree(case_district / "workspace", root / "workspace"))
    upload = root / "hostile.csv"
    with open(upload, "w", encoding="utf-8", newline="") as handle:
        rows = [["3505", INSTITUTION, NAME, "XA10BBC578A021418780007", PRODUCT, f"5001169900{i}", person,
                 f"50011619800101001{i}", f"S{i}", "1", f"2025-06-0{i + 1} 10:00:00", "19.80", CODE, f"B{i}"]
                for i, person in enumerate(PERSON_NAMES)]
        csv.writer(handle).writerows([HEADERS, *rows])
    ingest([upload], ws, workers=1)
    case_id = new_case(ws, [("institution", INSTITUTION), ("code", CODE)], title=NAME)
    return export_case(ws, case_id, root / "package")[0]


def test_graphml_and_gexf_give_the_hostile_text_back_exactly(package):
    for graph in (nx.read_graphml(package / "case.graphml"), nx.read_gexf(package / "case.gexf")):
        keys = {data.get("key", data.get("key_")) for _, data in graph.nodes(data=True)}  # GEXF: key_
        assert INSTITUTION in keys and CODE in keys
        assert any(NAME in (data.get("label") or "") for _, data in graph.nodes(data=True))


def test_csv_and_workbook_cells_are_text_never_formulas(package):
    with open(package / "nodes.csv", encoding="utf-8-sig", newline="") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    assert f"'{INSTITUTION}" in cells and INSTITUTION not in cells
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    book = openpyxl.load_workbook(package / "case.xlsx")
    values = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f"
                if isinstance(cell.value, str):
                    values.append(cell.value)
    assert f"'{INSTITUTION}" in values and not [v for v in values if v[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert any(PRODUCT.split("\t")[0] in value for value in values)


def test_the_hostile_persons_names_are_not_in_the_default_package(package):
    texts = [p.read_text(encoding="utf-8-sig") for p in package.iterdir() if p.suffix != ".xlsx"]
    with zipfile.ZipFile(package / "case.xlsx") as book:
        texts += [book.read(n).decode("utf-8") for n in book.namelist() if n.endswith(".xml")]
    for name in PERSON_NAMES:
        assert not [text for text in texts if name in text]


def test_the_html_view_runs_no_markup_and_makes_no_outside_request(package):
    page_text = (package / "case.html").read_text(encoding="utf-8")
    assert "<script>alert(1)" not in page_text
    with chromium() as browser:
        page = browser.new_page()
        requests, dialogs = [], []
        page.on("request", lambda request: requests.append(request.url))
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto((package / "case.html").as_uri())
        page.wait_for_timeout(1500)
        shown = page.inner_text("body")
        page.close()
    assert requests and all(url.startswith(("file:", "data:", "blob:", "about:")) for url in requests), requests
    assert dialogs == []
    assert NAME in shown and "药房" in shown

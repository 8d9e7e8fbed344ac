"""Case packages end to end on a generated district: a case from each scenario's lead and from a ring,
exported and checked as the receiving side would (GraphML and GEXF read back by networkx, the workbook by
openpyxl, ``tcw case verify``); no raw personal data in a default package; ``--reveal`` recorded."""

from __future__ import annotations

import csv
import json
import shutil
import zipfile
from pathlib import Path

import duckdb
import networkx as nx
import openpyxl
import pytest

from tests.cases.conftest import first_lead
from tests.cases.test_case_cli import tcw
from workbench.cases.actions import new_case
from workbench.cases.findings import workspace_communities
from workbench.cases.package import export_case, package_files
from workbench.cases.verify import verify_package

SCENARIOS = ("substitution", "reflux", "phantom_sale", "counterfeit", "collection_gap", "repeat")
SHEETS = {"概要", "线索", "每码时间线", "机构", "人员", "事件"}


@pytest.fixture(scope="module")
def packages(case_district, tmp_path_factory):
    """One package per scenario's strongest lead and one of the strongest ring, from one workspace copy."""
    from loaders.workspace import Workspace

    root = tmp_path_factory.mktemp("packages")
    ws = Workspace(Path(shutil.copytree(case_district / "workspace", root / "workspace")))
    made = {}
    for scenario in SCENARIOS:
        case_id = new_case(ws, [("lead", first_lead(ws, scenario)["lead_id"])])
        made[scenario] = export_case(ws, case_id, root / scenario)[0]
    ring = next(row for row in workspace_communities(ws) if row["kind"] == "reflux_ring")
    case_id = new_case(ws, [("community", ring["community_id"])])
    made["ring"] = export_case(ws, case_id, root / "ring", as_zip=True)[0]
    return ws, made


@pytest.mark.parametrize("kind", [*SCENARIOS, "ring"])
def test_graphml_gexf_and_csv_hold_the_same_graph_with_chinese_labels_and_times(packages, kind):
    folder = packages[1][kind]
    assert sorted(p.name for p in folder.iterdir()) == sorted(package_files())
    graphml, gexf = nx.read_graphml(folder / "case.graphml"), nx.read_gexf(folder / "case.gexf")
    with open(folder / "nodes.csv", encoding="utf-8-sig", newline="") as handle:
        csv_nodes = {row["id"] for row in csv.DictReader(handle)}
    assert set(graphml.nodes) == set(gexf.nodes) == csv_nodes
    assert graphml.number_of_edges() == gexf.number_of_edges() > 0
    types = {data["type"] for _, data in graphml.nodes(data=True)}
    assert {"Case", "Code", "Institution"} <= types
    labels = [data.get("label", "") for _, data in graphml.nodes(data=True)]
    assert any(any("\u4e00" <= ch <= "\u9fff" for ch in label) for label in labels)
    assert {gexf.nodes[n].get("label") for n in gexf.nodes} == {graphml.nodes[n].get("label") for n in graphml.nodes}
    times = [data.get("time") or data.get("first_time") for *_, data in graphml.edges(data=True)]
    assert any(t and t[:2] == "20" for t in times)


@pytest.mark.parametrize("kind", [*SCENARIOS, "ring"])
def test_the_workbook_opens_with_its_sheets_and_no_live_formula(packages, kind):
    book = openpyxl.load_workbook(packages[1][kind] / "case.xlsx")
    assert {name.split()[0] for name in book.sheetnames} >= SHEETS
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)


def test_a_package_verifies_and_any_changed_missing_or_extra_file_is_named(packages, tmp_path):
    original = packages[1]["ring"]
    assert verify_package(original) == [] and verify_package(original.with_name("ring.zip")) == []
    assert "校验通过" in tcw("case", "verify", str(original)).stdout
    for name, spoil in (("case.xlsx", _flip_byte), ("nodes.csv", Path.unlink),
                        ("extra.txt", lambda p: p.write_text("x"))):
        copy = Path(shutil.copytree(original, tmp_path / f"copy-{name}"))
        spoil(copy / name)
        done = tcw("case", "verify", str(copy), ok=False)
        assert done.returncode == 2 and name in done.stderr
        assert name in " ".join(verify_package(copy))


def test_a_zip_with_one_changed_byte_fails(packages, tmp_path):
    archive = packages[1]["ring"].with_name("ring.zip")
    spoiled = tmp_path / "spoiled.zip"
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(spoiled, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith("case.html"):
                data = data[:-2] + bytes([data[-2] ^ 1]) + data[-1:]
            target.writestr(info, data)
    assert any("case.html" in problem for problem in verify_package(spoiled))


def test_no_raw_person_number_id_number_or_name_is_in_a_default_package(packages):
    ws, made = packages
    persons = duckdb.sql("SELECT DISTINCT psn_no, certno, psn_name FROM read_parquet($p)",
                         params={"p": ws.event_files()}).fetchall()
    values = {value for row in persons for value in row if value and len(value) >= 2}
    assert len(values) > 100
    for folder in made.values():
        for text in _texts(folder):
            assert not [value for value in values if value in text]
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["pseudonymisation"] == "pseudonymised"
    assert any("PSN-" in text for text in _texts(made["ring"]))


def test_reveal_includes_identities_and_is_recorded_in_the_manifest_and_the_audit_log(ws, tmp_path):
    from workbench import audit

    lead = first_lead(ws, "reflux")
    case_id = new_case(ws, [("lead", lead["lead_id"])])
    folder = export_case(ws, case_id, tmp_path / "revealed", reveal=True)[0]
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["pseudonymisation"] == "revealed" and manifest["case"]["id"] == case_id
    numbers = {row[0] for row in duckdb.sql("SELECT DISTINCT psn_no FROM read_parquet($p) WHERE trace_code = $c",
                                            params={"p": ws.event_files(), "c": lead["trace_code"]}).fetchall()}
    assert numbers and all(any(number in text for text in _texts(folder)) for number in numbers)
    (entry,) = [e for e in audit.entries(ws.root) if e["action"] == "case export"]
    assert entry["case_id"] == case_id and entry["detail"]["reveal"] is True
    assert audit.verify(ws.root) == []


def test_the_manifest_names_inputs_parameters_and_every_file(packages):
    ws, made = packages
    manifest = json.loads((made["reflux"] / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["files"]) == set(package_files()) - {"manifest.json"}
    assert {entry["path"] for entry in manifest["inputs"]} >= {Path(p).relative_to(ws.root).as_posix()
                                                              for p in ws.event_files()}
    assert manifest["tool"]["name"] == "tcw" and manifest["queries"]["events"].startswith("SELECT")
    uploads = [entry for entry in manifest["inputs"] if "/uploads/" in entry["path"]]
    assert uploads and all(len(entry["sha256"]) == 64 for entry in uploads)  # the uploads behind the events
    (params,) = manifest["parameters"]["leads"].values()
    assert "min_span_days" in params or params  # the lead's own parameters travel with it


def test_export_refuses_a_folder_that_holds_other_files_and_leaves_nothing_half_written(ws, tmp_path):
    case_id = new_case(ws, [("lead", first_lead(ws, "substitution")["lead_id"])])
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "mine.txt").write_text("keep")
    done = tcw("case", "export", case_id, "--out", str(busy), "-w", str(ws.root), ok=False)
    assert done.returncode == 2 and "not empty" in done.stderr
    assert [p.name for p in busy.iterdir()] == ["mine.txt"]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


def _flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def _texts(folder: Path) -> list[str]:
    """Every file's text; the workbook's XML parts unzipped."""
    texts = []
    for path in folder.iterdir():
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                texts += [book.read(name).decode("utf-8") for name in book.namelist() if name.endswith(".xml")]
        else:
            texts.append(path.read_text(encoding="utf-8-sig"))
    return texts

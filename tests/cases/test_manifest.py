"""The package manifest and its check: what the manifest holds, a written package verifying clean as a
folder and as a zip, and every change (a byte, a file removed or added, the manifest itself, an unsafe
zip member) named."""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from datetime import datetime, timezone
from importlib.metadata import version

import pytest

from loaders.errors import BadInput
from tests.cases.hostile_evidence import hostile_evidence
from workbench.cases.manifest import package_manifest, read_manifest, write_manifest
from workbench.cases.verify import verify_package, zip_package
from workbench.cases.workbook import write_case_workbook


@pytest.fixture
def inputs(tmp_path):
    """Two input files under a workspace root: one over a hashing block (1 MiB), one small."""
    root = tmp_path / "workspace"
    (root / "events").mkdir(parents=True)
    big = root / "events" / "a.parquet"
    big.write_bytes(os.urandom((1 << 20) + 123))
    small = root / "reference.csv"
    small.write_text("code,名称\n1,药店\n", encoding="utf-8")
    return root, [big, small]


@pytest.fixture
def package(tmp_path, inputs):
    """A package folder: the workbook, a CSV, a file in a subfolder, and the manifest."""
    root, files = inputs
    folder = tmp_path / "CASE-1"
    (folder / "extra").mkdir(parents=True)
    evidence = hostile_evidence()
    write_case_workbook(evidence, folder / "case.xlsx")
    (folder / "nodes.csv").write_text("id,label\n83901234567890123456,追溯码\n", encoding="utf-8")
    (folder / "extra" / "说明.txt").write_text("附件\n", encoding="utf-8")
    write_manifest(folder, {"case": evidence.case, "pseudonymisation": "pseudonymised",
                            "parameters": {"max_events": 100}, "queries": {"events": "SELECT 1"},
                            "inputs": files, "input_root": root})
    return folder


def test_the_manifest_holds_the_tool_the_case_the_inputs_and_every_file(package, inputs):
    manifest = read_manifest(package)
    assert manifest["format"] == "tcw-case-package/1"
    assert manifest["tool"] == {"name": "tcw", "version": version("tcw")}
    created = datetime.fromisoformat(manifest["created_at"])
    assert created.utcoffset().total_seconds() == 0 and abs(datetime.now(timezone.utc) - created).total_seconds() < 60
    assert manifest["case"] == {"id": "CASE-20261204-0a1b2c", "title": '=HYPERLINK("http://x")', "status": "confirmed",
                                "assignee": "+1"}
    assert manifest["pseudonymisation"] == "pseudonymised" and manifest["parameters"] == {"max_events": 100}
    root, files = inputs
    assert manifest["inputs"] == [{"path": "events/a.parquet", "sha256": hashlib.sha256(files[0].read_bytes()).hexdigest(),
                                   "bytes": files[0].stat().st_size},
                                  {"path": "reference.csv", "sha256": hashlib.sha256(files[1].read_bytes()).hexdigest(),
                                   "bytes": files[1].stat().st_size}]
    assert list(manifest["files"]) == ["case.xlsx", "extra/说明.txt", "nodes.csv"]
    data = (package / "nodes.csv").read_bytes()
    assert manifest["files"]["nodes.csv"] == {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    text = (package / "manifest.json").read_text(encoding="utf-8")
    assert "说明.txt" in text and text == json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=2) + "\n"


def test_a_bad_mode_or_an_unreadable_input_is_bad_input(package, tmp_path):
    with pytest.raises(BadInput, match="pseudonymisation"):
        package_manifest(package, {"pseudonymisation": "clear"})
    with pytest.raises(BadInput, match="input file"):
        package_manifest(package, {"inputs": [tmp_path / "gone.parquet"]})


def test_a_written_package_verifies_clean(package):
    assert verify_package(package) == []


def test_one_changed_byte_is_named(package):
    data = bytearray((package / "case.xlsx").read_bytes())
    data[len(data) // 2] ^= 0x01
    (package / "case.xlsx").write_bytes(bytes(data))
    assert verify_package(package) == ["已改动 / changed: case.xlsx (SHA-256 不符 / SHA-256 differs)"]


def test_a_changed_size_is_named(package):
    with open(package / "extra" / "说明.txt", "a", encoding="utf-8") as handle:
        handle.write("多")
    problems = verify_package(package)
    assert len(problems) == 1 and problems[0].startswith("已改动 / changed: extra/说明.txt (大小 size > 7")


def test_a_removed_file_and_an_added_file_are_named(package):
    (package / "nodes.csv").unlink()
    (package / "extra" / "new.csv").write_text("x\n")
    assert verify_package(package) == ["缺少 / missing: nodes.csv", "多出 / extra: extra/new.csv"]


def test_a_tampered_manifest_is_a_problem(package):
    path = package / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["files"]["nodes.csv"]["sha256"] = "0" * 64
    path.write_text(json.dumps(manifest), encoding="utf-8")
    assert verify_package(package) == ["已改动 / changed: nodes.csv (SHA-256 不符 / SHA-256 differs)"]
    path.write_text(json.dumps(manifest)[:-5], encoding="utf-8")
    assert verify_package(package)[0].startswith("清单格式错误 / manifest.json is malformed")
    manifest["files"]["../../etc/passwd"] = manifest["files"].pop("nodes.csv")
    path.write_text(json.dumps(manifest), encoding="utf-8")
    assert verify_package(package) == ["清单中的路径不安全 / unsafe path in the manifest: ../../etc/passwd"]
    path.write_text(json.dumps({**manifest, "format": "other/1"}), encoding="utf-8")
    assert verify_package(package) == ["不是 tcw-case-package/1 清单 / not a tcw-case-package/1 manifest"]
    path.unlink()
    assert verify_package(package)[0] == "缺少清单 / manifest.json is missing"


def test_a_link_in_the_folder_is_a_problem(package):
    (package / "link.csv").symlink_to(package / "nodes.csv")
    assert verify_package(package) == ["不是普通文件 / not a regular file: link.csv"]


def test_the_folder_unpacked_with_its_top_folder_verifies(package, tmp_path):
    with zipfile.ZipFile(zip_package(package)) as archive:
        for info in archive.infolist():
            target = tmp_path / "unpacked" / info.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(info))
    assert (tmp_path / "unpacked" / "CASE-1" / "manifest.json").is_file()
    assert verify_package(tmp_path / "unpacked") == []


def test_the_zip_is_deterministic_and_verifies_clean(package):
    path = zip_package(package)
    assert path == package.with_name("CASE-1.zip")
    first = path.read_bytes()
    os.utime(package / "nodes.csv", (1_000_000_000, 1_000_000_000))
    assert zip_package(package).read_bytes() == first
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        assert names == sorted(names) and all(name.startswith("CASE-1/") for name in names)
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert verify_package(path) == []


def rewrite(source, target, change=None, drop=(), add=None, rename=None):
    """A copy of the zip ``source`` at ``target``: members' bytes changed, dropped, added or renamed."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            if info.filename in drop:
                continue
            data = old.read(info)
            if change and info.filename in change:
                data = change[info.filename](data)
            new.writestr((rename or {}).get(info.filename, info.filename), data)
        for name, data in (add or {}).items():
            new.writestr(name, data)
    return target


def flip(data: bytes) -> bytes:
    return data[:10] + bytes([data[10] ^ 0x01]) + data[11:]


def test_a_modified_zip_names_what_changed(package, tmp_path):
    path = zip_package(package)
    assert verify_package(rewrite(path, tmp_path / "a.zip", change={"CASE-1/nodes.csv": flip})) == \
        ["已改动 / changed: nodes.csv (SHA-256 不符 / SHA-256 differs)"]
    assert verify_package(rewrite(path, tmp_path / "b.zip", drop={"CASE-1/case.xlsx"})) == \
        ["缺少 / missing: case.xlsx"]
    assert verify_package(rewrite(path, tmp_path / "c.zip", add={"CASE-1/more.csv": b"x"})) == \
        ["多出 / extra: more.csv"]
    assert verify_package(rewrite(path, tmp_path / "d.zip", add={"elsewhere.txt": b"x"})) == \
        ["多出 / extra: elsewhere.txt"]


def test_a_tampered_manifest_in_a_zip_is_a_problem(package, tmp_path):
    path = zip_package(package)

    def forge(data: bytes) -> bytes:
        manifest = json.loads(data)
        manifest["files"]["extra/说明.txt"]["bytes"] += 1
        return json.dumps(manifest).encode("utf-8")

    problems = verify_package(rewrite(path, tmp_path / "a.zip", change={"CASE-1/manifest.json": forge}))
    assert problems == ["已改动 / changed: extra/说明.txt (大小 size 7, 清单 listed 8)"]
    assert verify_package(rewrite(path, tmp_path / "b.zip", drop={"CASE-1/manifest.json"}))[0] == \
        "缺少清单 / manifest.json is missing"
    broken = rewrite(path, tmp_path / "c.zip", change={"CASE-1/manifest.json": lambda data: b"{not json"})
    assert verify_package(broken)[0].startswith("清单格式错误 / manifest.json is malformed")


def test_unsafe_zip_members_are_problems_and_never_extracted(package, tmp_path):
    path = zip_package(package)
    hostile = rewrite(path, tmp_path / "a.zip", add={"../evil.txt": b"x", "/tmp/evil.txt": b"x",
                                                     "CASE-1/../../evil.txt": b"x"})
    assert verify_package(hostile) == ["不安全的成员路径 / unsafe member path: ../evil.txt",
                                       "不安全的成员路径 / unsafe member path: /tmp/evil.txt",
                                       "不安全的成员路径 / unsafe member path: CASE-1/../../evil.txt"]
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path.parent / "evil.txt").exists()


def test_a_zip_with_the_manifest_at_its_root_verifies(package, tmp_path):
    path = zip_package(package)
    with zipfile.ZipFile(path) as archive:
        renames = {name: name.removeprefix("CASE-1/") for name in archive.namelist()}
    assert verify_package(rewrite(path, tmp_path / "flat.zip", rename=renames)) == []


def test_not_a_zip_is_a_problem_and_no_package_is_bad_input(tmp_path):
    (tmp_path / "x.zip").write_bytes(b"PK not really")
    assert verify_package(tmp_path / "x.zip")[0].startswith("不是可读的 zip / not a readable zip")
    with pytest.raises(BadInput, match="no package"):
        verify_package(tmp_path / "missing")


def test_zipping_needs_the_manifest(tmp_path):
    (tmp_path / "pkg").mkdir()
    with pytest.raises(BadInput, match="manifest"):
        zip_package(tmp_path / "pkg")

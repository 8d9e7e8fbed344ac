"""The ``tcw`` command as a user runs it: exit codes, one-line errors, the demo."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import CODE_A, envelope, sale, write_ndjson

TCW = [sys.executable, "-m", "workbench.cli"]


def tcw(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "TCW_DEBUG"}
    return subprocess.run([*TCW, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=600)


def test_ingest_prints_reconciled_counts(tmp_path):
    path = write_ndjson(tmp_path / "a.ndjson", [envelope("3505", "selinfo", sale("S1", [CODE_A])), "{bad"])
    result = tcw("ingest", str(path), "--workspace", str(tmp_path / "ws"))
    assert result.returncode == 0, result.stderr
    assert "读取 read 2 条记录 = 接收 accepted 1 + 拒收 rejected 1 + 重复 duplicates 0" in result.stdout


def test_unreadable_input_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "x.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    for args in (["ingest", str(tmp_path / "missing.ndjson")], ["ingest", str(tmp_path / "x.csv")],
                 ["generate", "--out", str(tmp_path / "g"), "--scale", "lots"]):
        result = tcw(*args, "--workspace", str(tmp_path / "ws")) if args[0] == "ingest" else tcw(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_bad_usage_exits_2(tmp_path):
    result = tcw("ingest")
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_workspace_defaults_to_env_then_cwd(tmp_path):
    path = write_ndjson(tmp_path / "a.ndjson", [envelope("3505", "selinfo", sale("S1", [CODE_A]))])
    result = tcw("ingest", str(path), cwd=tmp_path)
    assert result.returncode == 0 and any((tmp_path / "tcw-workspace" / "events").glob("*.parquet"))


def test_demo_generates_ingests_and_summarises(tmp_path):
    result = tcw("demo", "--out", str(tmp_path / "demo"), "--scale", "tiny")
    assert result.returncode == 0, result.stderr
    assert "接收 accepted" in result.stdout and "按码制 by code scheme" in result.stdout
    assert "substitution" in result.stdout and "reflux" in result.stdout
    assert any((tmp_path / "demo" / "workspace" / "events").glob("*.parquet"))


def test_damaged_workbook_and_mixed_encoding_csv_are_one_line_exit_2(tmp_path):
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    header = "接口编号,定点医药机构编码,医保药品编码,批次流水号,销售/退货数量,销售/退货时间,追溯码\n"
    good = "".join(f"3505,P50011600012,XA01,S{i},1,2025-06-01 10:00:00,{CODE_A}\n" for i in range(40_000))
    bad = "3505,P50011600012,XA01,SX,1,2025-06-01 10:00:00,奥美拉唑\n".encode("gb18030")
    (tmp_path / "mixed.csv").write_bytes(header.encode("utf-8") + good.encode("utf-8") + bad)
    for name in ("broken.xlsx", "mixed.csv"):
        result = tcw("ingest", str(tmp_path / name), "--workspace", str(tmp_path / "ws"))
        assert result.returncode == 2, (name, result.stderr)
        assert name in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not any((tmp_path / "ws" / "events").glob("*.parquet"))  # nothing half-loaded


def test_a_folder_with_other_files_loads_the_uploads_and_lists_the_rest(tmp_path):
    data = tmp_path / "export"
    data.mkdir()
    write_ndjson(data / "a.ndjson", [envelope("3505", "selinfo", sale("S1", [CODE_A]))])
    (data / "summary.json").write_text('{"seed": 7}', encoding="utf-8")
    (data / "truth.csv").write_text("case_id,kind\nC1,reflux\n", encoding="utf-8")
    result = tcw("ingest", str(data), "--workspace", str(tmp_path / "ws"))
    assert result.returncode == 0, result.stderr
    assert "接收 accepted 1" in result.stdout
    assert "跳过 skipped" in result.stdout and "truth.csv" in result.stdout and "summary.json" in result.stdout
    named = tcw("ingest", str(data / "truth.csv"), "--workspace", str(tmp_path / "ws"))
    assert named.returncode == 2 and "truth.csv" in named.stderr


def test_an_empty_file_named_on_the_command_line_is_bad_input(tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    result = tcw("ingest", str(tmp_path / "empty.csv"), "--workspace", str(tmp_path / "ws"))
    assert result.returncode == 2 and "empty" in result.stderr


def test_format_choices_are_the_loaders_formats():
    from loaders.detect import FORMAT_NAMES
    from workbench import cli

    assert cli.FORMAT_NAMES == FORMAT_NAMES


def test_graph_import_files_writes_the_files_and_the_command(tmp_path):
    path = write_ndjson(tmp_path / "a.ndjson", [envelope("3505", "selinfo", sale("S1", [CODE_A]))])
    assert tcw("ingest", str(path), "--workspace", str(tmp_path / "ws")).returncode == 0
    result = tcw("graph", "--workspace", str(tmp_path / "ws"), "--import-files", str(tmp_path / "imp"))
    assert result.returncode == 0, result.stderr
    assert "1 事件 events" in result.stdout and "neo4j-admin database import full neo4j" in result.stdout
    assert "--nodes=Event=node-Event.csv" in result.stdout  # relative: runs in the folder, or mounted
    assert (tmp_path / "imp" / "node-Event.csv").read_text(encoding="utf-8").count("\n") == 2  # header and the sale
    empty = tcw("graph", "--workspace", str(tmp_path / "empty"), "--import-files", str(tmp_path / "imp2"))
    assert empty.returncode == 2 and "Traceback" not in empty.stderr and "tcw ingest" in empty.stderr

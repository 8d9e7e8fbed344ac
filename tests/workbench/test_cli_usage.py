"""Bad usage is exit 2 with one line, checked before any work: output paths that cannot be written, a
workspace that is a file, empty paths, out-of-range numbers. ``tcw screen --out`` replaces its file
atomically."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from tests.conftest import CODE_A, envelope, sale, write_ndjson
from workbench.cli import main

TCW = [sys.executable, "-m", "workbench.cli"]
ENV = {k: v for k, v in os.environ.items() if k != "TCW_DEBUG"}


@pytest.fixture
def loaded(tmp_path):
    """A workspace holding one sale, and a plain file."""
    upload = write_ndjson(tmp_path / "a.ndjson", [envelope("3505", "selinfo", sale("S1", [CODE_A]))])
    assert main(["ingest", str(upload), "--workspace", str(tmp_path / "ws"), "--workers", "1"]) == 0
    (tmp_path / "afile").write_text("not a folder", encoding="utf-8")
    return tmp_path


def _refused(args: list[str], capsys) -> str:
    """Run ``tcw args`` in this process; it must be exit 2 with one line (no internal error)."""
    code = main(args)
    error = capsys.readouterr().err
    assert code == 2, (args, error)
    assert "内部错误" not in error and "Traceback" not in error, error
    return error


def test_every_command_refuses_a_workspace_that_is_a_file(loaded, capsys):
    file = str(loaded / "afile")
    for args in (["ingest", str(loaded / "a.ndjson"), "--workers", "1"], ["screen", "--out", str(loaded / "l.csv")],
                 ["graph"], ["graph", "--import-files", str(loaded / "imp")], ["doctor"]):
        error = _refused([*args, "--workspace", file], capsys)
        assert file in error
    assert (loaded / "afile").read_text(encoding="utf-8") == "not a folder"


def test_empty_paths_are_refused_not_read_as_the_current_folder(loaded, capsys, monkeypatch):
    monkeypatch.chdir(loaded)
    for args in (["screen", "--workspace", ""], ["screen", "--workspace", "ws", "--out", ""],
                 ["ingest", "", "--workspace", "ws", "--workers", "1"], ["generate", "--out", ""],
                 ["graph", "--workspace", "ws", "--import-files", ""]):
        assert "empty" in _refused(args, capsys)


def test_outputs_under_a_file_or_of_an_unknown_kind_are_refused_before_screening(loaded, capsys):
    ws = str(loaded / "ws")
    for out, says in ((loaded / "afile" / "leads.csv", "under a file"), (loaded / "leads.txt", "must end in"),
                      (loaded / "leads", "must end in"), (loaded / "ws", "must end in")):
        assert says in _refused(["screen", "--workspace", ws, "--out", str(out)], capsys)
    for args in (["generate", "--out", str(loaded / "afile"), "--scale", "tiny"],
                 ["demo", "--out", str(loaded / "afile"), "--scale", "tiny"],
                 ["graph", "--workspace", ws, "--import-files", str(loaded / "afile")],
                 ["graph", "--workspace", ws, "--import-files", str(loaded / "afile" / "imp")]):
        assert str(loaded / "afile") in _refused(args, capsys)


@pytest.mark.parametrize("args", [["generate", "--scale", "0"], ["generate", "--scale", "-5"],
                                  ["generate", "--scale", "1e20"], ["generate", "--seed", "-1"],
                                  ["demo", "--seed", "-1"], ["demo", "--scale", "0"]])
def test_numbers_out_of_range_are_refused(args, tmp_path, capsys):
    _refused([*args, "--out", str(tmp_path / "out")], capsys)
    assert not (tmp_path / "out").exists()


def test_ingest_refuses_fewer_than_one_worker(loaded, capsys):
    _refused(["ingest", str(loaded / "a.ndjson"), "--workspace", str(loaded / "ws"), "--workers", "-3"], capsys)


def test_leads_into_a_folder_without_write_permission_are_exit_2(loaded, bound_runner):
    closed = loaded / "closed"
    closed.mkdir()
    closed.chmod(0o555)
    for out in (closed / "leads.csv", closed / "new" / "leads.csv"):
        done = bound_runner([*TCW, "screen", "--workspace", str(loaded / "ws"), "--out", str(out)], env=ENV)
        assert done.returncode == 2, done.stderr
        assert "no permission to write" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert list(closed.iterdir()) == []


def test_a_workspace_in_a_folder_without_write_permission_is_exit_2(loaded, bound_runner):
    closed = loaded / "closed"
    closed.mkdir()
    closed.chmod(0o555)
    done = bound_runner([*TCW, "ingest", str(loaded / "a.ndjson"), "--workspace", str(closed / "ws"), "--workers", "1"],
                        env=ENV)
    assert done.returncode == 2 and "no permission to write" in done.stderr, done.stderr


@pytest.mark.parametrize("name", ["leads.csv", "leads.json", "leads.parquet"])
def test_leads_killed_while_written_leave_the_old_file_whole(loaded, name):
    out, log = loaded / name, loaded / "checkpoints.log"
    out.write_text("the leads of yesterday", encoding="utf-8")
    screen = [*TCW, "screen", "--workspace", str(loaded / "ws"), "--out", str(out)]
    assert subprocess.run(screen, env={**ENV, "TCW_CHECKPOINT_LOG": str(log)}, timeout=600).returncode == 0
    stages = [line.split("\t") for line in log.read_text(encoding="utf-8").splitlines()]
    [rename] = [int(number) for number, _, stage in stages if stage == f"write {name}"]
    out.write_text("the leads of yesterday", encoding="utf-8")
    killed = subprocess.run(screen, env={**ENV, "TCW_KILL_AT": str(rename)}, timeout=600)
    assert killed.returncode == -signal.SIGKILL
    assert out.read_text(encoding="utf-8") == "the leads of yesterday", "the old file, whole"
    assert subprocess.run(screen, env=ENV, timeout=600).returncode == 0
    assert out.read_bytes() != b"the leads of yesterday"
    if name == "leads.json":
        assert json.loads(out.read_text(encoding="utf-8")) == []

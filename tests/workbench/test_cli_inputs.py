"""``tcw ingest`` on inputs it cannot read: a named path is exit 2 with one line naming it; in a folder,
everything not loaded is listed with the reason and the rest loads."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

from tests.conftest import CODE_A, CODE_B, envelope, sale, write_ndjson

TCW = [sys.executable, "-m", "workbench.cli"]
ENV = {k: v for k, v in os.environ.items() if k != "TCW_DEBUG"}


def _upload(path: Path, code: str = CODE_A) -> Path:
    return write_ndjson(path, [envelope("3505", "selinfo", sale(path.stem, [code]))])


def _skipped(stdout: str) -> dict[str, str]:
    """The ``跳过 skipped PATH: reason`` lines, by file name."""
    lines = [line.removeprefix("跳过 skipped ") for line in stdout.splitlines() if line.startswith("跳过 skipped ")]
    return {Path(path).name: reason for path, _, reason in (line.partition(": ") for line in lines)}


def test_a_named_file_without_read_permission_is_one_line_and_exit_2(tmp_path, bound_runner):
    locked = _upload(tmp_path / "locked.ndjson")
    locked.chmod(0)
    done = bound_runner([*TCW, "ingest", str(locked), "--workspace", str(tmp_path / "ws"), "--workers", "1"], env=ENV)
    assert done.returncode == 2, done.stderr
    assert str(locked) in done.stderr and "no permission to read" in done.stderr and "无读取权限" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_a_named_folder_that_cannot_be_opened_is_exit_2(tmp_path, bound_runner):
    folder = tmp_path / "locked"
    folder.mkdir()
    _upload(folder / "a.ndjson")
    folder.chmod(0o300)  # may be entered, not listed
    done = bound_runner([*TCW, "ingest", str(folder), "--workspace", str(tmp_path / "ws"), "--workers", "1"], env=ENV)
    assert done.returncode == 2 and "cannot open the folder" in done.stderr and str(folder) in done.stderr


def test_a_folder_lists_every_file_it_does_not_load_with_the_reason(tmp_path, bound_runner):
    data = tmp_path / "export"
    (data / "sub").mkdir(parents=True)
    _upload(data / "a.ndjson")
    _upload(data / "sub" / "b.ndjson", CODE_B)
    _upload(data / "unreadable.ndjson").chmod(0)
    (data / "closed").mkdir()
    _upload(data / "closed" / "inside.ndjson")
    (data / "closed").chmod(0)
    (data / "empty.csv").write_bytes(b"")
    _upload(data / ".hidden.ndjson")
    (data / ".cache").mkdir()
    (data / "truth.csv").write_text("case_id,kind\nC1,reflux\n", encoding="utf-8")
    (data / "loop").symlink_to(data / "loop")
    (data / "sub" / "up").symlink_to(data)
    (data / "gone").symlink_to(data / "nowhere")
    (data / "again.ndjson").symlink_to(data / "a.ndjson")
    os.mkfifo(data / "pipe")
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(data / "sock"))
        done = bound_runner([*TCW, "ingest", str(data), "--workspace", str(tmp_path / "ws"), "--workers", "1"], env=ENV)
    assert done.returncode == 0, done.stderr
    assert "接收 accepted 2 " in done.stdout, "a.ndjson and sub/b.ndjson load"
    skipped = _skipped(done.stdout)
    assert set(skipped) == {"unreadable.ndjson", "closed", "empty.csv", ".hidden.ndjson", ".cache", "truth.csv",
                            "loop", "up", "gone", "again.ndjson", "pipe", "sock"}, skipped
    expected = {"unreadable.ndjson": "no permission to read", "closed": "cannot open the folder",
                "empty.csv": "empty file", ".hidden.ndjson": "hidden", ".cache": "hidden",
                "truth.csv": "unknown format", "loop": "symbolic link loop", "up": "symbolic link loop",
                "gone": "broken link", "again.ndjson": "the same as", "pipe": "not a regular file",
                "sock": "not a regular file"}
    for name, reason in expected.items():
        assert reason in skipped[name], (name, skipped[name])


def test_an_empty_path_is_exit_2_not_the_current_folder(tmp_path, monkeypatch):
    from workbench.cli import main

    _upload(tmp_path / "a.ndjson")
    monkeypatch.chdir(tmp_path)
    assert main(["ingest", "", "--workspace", str(tmp_path / "ws"), "--workers", "1"]) == 2
    assert not (tmp_path / "ws" / "events").exists()

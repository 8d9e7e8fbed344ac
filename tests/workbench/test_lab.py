"""``tcw lab`` before JupyterLab starts: the shipped notebooks copied into the workspace and an edited copy
kept, the offline configuration under ``<workspace>/.lab``, the environment and the command line; bad
usage (a busy port, a workspace that is a file) is exit 2. The running server is tested in
tests/notebooks/test_lab_server.py."""

from __future__ import annotations

import json
import socket
import stat
import sys
from pathlib import Path

import pytest

from workbench import lab
from workbench.cli import main


def modes(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def shipped(tmp_path):
    folder = tmp_path / "shipped"
    folder.mkdir()
    for name in ("01-调查-investigate.ipynb", "02-培训-training.ipynb"):
        (folder / name).write_text(json.dumps({"name": name}), encoding="utf-8")
    (folder / "notes.txt").write_text("not a notebook", encoding="utf-8")
    return folder


@pytest.fixture
def busy_port():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def test_missing_notebooks_are_copied_and_edited_ones_kept(shipped, tmp_path):
    target = tmp_path / "ws" / "notebooks"
    assert lab.copy_notebooks(shipped, target) == (["01-调查-investigate.ipynb", "02-培训-training.ipynb"], [])
    assert modes(target) == 0o700 and all(modes(path) == 0o600 for path in target.iterdir())
    edited = target / "01-调查-investigate.ipynb"
    edited.write_text("my notes", encoding="utf-8")
    (target / "02-培训-training.ipynb").unlink()
    assert lab.copy_notebooks(shipped, target) == (["02-培训-training.ipynb"], ["01-调查-investigate.ipynb"])
    assert edited.read_text(encoding="utf-8") == "my notes"
    assert sorted(path.name for path in target.iterdir()) == ["01-调查-investigate.ipynb", "02-培训-training.ipynb"]


def test_the_repository_notebooks_are_the_shipped_ones():
    found = lab.shipped_notebooks()
    assert found is None or found == Path(lab.__file__).resolve().parents[1] / "notebooks"


def test_the_setup_is_offline_local_and_keeps_out_of_the_home_folder(shipped, tmp_path, monkeypatch):
    monkeypatch.delenv("TCW_BACKEND", raising=False)
    port = _free_port()
    setup = lab.prepare_lab(tmp_path / "ws", port=port, open_browser=False, source=shipped)
    root, lab_dir = (tmp_path / "ws").resolve(), (tmp_path / "ws").resolve() / ".lab"
    overrides = json.loads((lab_dir / "config" / "labconfig" / "default_setting_overrides.json").read_text("utf-8"))
    assert overrides["@jupyterlab/apputils-extension:notification"] == {"fetchNews": "false", "checkForUpdates": False}
    assert overrides["@jupyterlab/extensionmanager-extension:plugin"] == {"enabled": False}
    assert {"--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
            f"--ServerApp.root_dir={root}", "--ServerApp.open_browser=False", "--LabApp.extension_manager=readonly",
            "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"
            } <= set(setup.argv)
    assert setup.argv[:3] == [sys.executable, "-m", "jupyterlab"]
    assert len(setup.token) == 48 and not any(setup.token in argument for argument in setup.argv)
    assert setup.env["JUPYTER_TOKEN"] == setup.token and setup.env["TCW_WORKSPACE"] == str(root)
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTERLAB_SETTINGS_DIR", "JUPYTERLAB_WORKSPACES_DIR", "JUPYTER_RUNTIME_DIR",
                 "JUPYTER_DATA_DIR", "IPYTHONDIR"):
        assert Path(setup.env[name]).is_relative_to(lab_dir), name
    assert setup.url == f"http://127.0.0.1:{port}/lab/tree/notebooks?token={setup.token}"
    assert "TCW_BACKEND" not in setup.env  # the notebooks' default, the workspace in memory
    assert all(modes(path) & 0o077 == 0 for path in (root, *root.rglob("*")))


def test_neo4j_sets_the_uri_and_the_backend(shipped, tmp_path):
    setup = lab.prepare_lab(tmp_path / "ws", port=_free_port(), neo4j="bolt://10.0.0.5:7687", source=shipped)
    assert setup.env["NEO4J_URI"] == "bolt://10.0.0.5:7687" and setup.env["TCW_BACKEND"] == "neo4j"


def test_each_start_has_its_own_token(shipped, tmp_path):
    first, second = (lab.prepare_lab(tmp_path / "ws", port=_free_port(), source=shipped) for _ in range(2))
    assert first.token != second.token


def test_the_command_says_what_it_copied_and_where_to_browse(shipped, tmp_path, monkeypatch, capsys):
    started = []
    monkeypatch.setattr(lab, "shipped_notebooks", lambda: shipped)
    monkeypatch.setattr(lab, "run_lab", lambda setup: started.append(setup) or 0)
    port = str(_free_port())
    assert main(["lab", "--workspace", str(tmp_path / "ws"), "--port", port, "--no-browser"]) == 0
    out = capsys.readouterr().out
    (setup,) = started
    assert "--ServerApp.open_browser=False" in setup.argv
    assert f"copied notebook → {setup.workspace / 'notebooks' / '01-调查-investigate.ipynb'}" in out
    assert "holds no events yet" in out and setup.url in out
    for name in ("DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(lab.sys, "platform", "linux")
    assert main(["lab", "--workspace", str(tmp_path / "ws"), "--port", port]) == 0
    assert "--ServerApp.open_browser=False" in started[-1].argv and "no display here" in capsys.readouterr().out


def test_a_busy_port_or_a_workspace_that_is_a_file_is_exit_2(busy_port, tmp_path, capsys):
    assert main(["lab", "--workspace", str(tmp_path / "ws"), "--port", str(busy_port), "--no-browser"]) == 2
    error = capsys.readouterr().err
    assert f"port {busy_port}" in error and "--port" in error and "Traceback" not in error
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    assert main(["lab", "--workspace", str(tmp_path / "afile"), "--no-browser"]) == 2
    assert "is a file" in capsys.readouterr().err
    assert main(["lab", "--port", "0"]) == 2


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_compose_runs_tcw_lab_on_its_neo4j():
    """The compose lab is ``tcw lab`` (listening inside its container, published on 127.0.0.1 only) with the
    notebooks reading compose's Neo4j."""
    import yaml

    repo = Path(__file__).resolve().parents[2]
    service = yaml.safe_load((repo / "docker-compose.yml").read_text(encoding="utf-8"))["services"]["jupyterlab"]
    assert service["environment"]["TCW_BACKEND"] == "neo4j" and service["environment"]["NEO4J_URI"]
    assert service["ports"] == ["127.0.0.1:8888:8888"]
    command = [line for line in (repo / "docker" / "jupyter.Dockerfile").read_text(encoding="utf-8").splitlines()
               if line.startswith("CMD ")]
    assert json.loads(command[-1][4:]) == ["tcw", "lab", "--ip", "0.0.0.0", "--port", "8888", "--no-browser"]

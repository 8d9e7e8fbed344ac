"""``tcw lab``: JupyterLab on a workspace, set up for an offline intranet.

The shipped notebooks are copied into ``<workspace>/notebooks/`` when missing (an investigator's edited
copy is never overwritten) and JupyterLab opens that folder, with ``TCW_WORKSPACE`` (and with ``--neo4j``,
``NEO4J_URI`` and ``TCW_BACKEND=neo4j``) in the kernels' environment. Everything JupyterLab keeps (its
configuration, user settings, layouts, runtime files) goes under ``<workspace>/.lab/``, not the home
folder. The server listens on 127.0.0.1 behind a random token, fetches no news and checks for no updates,
and its extension manager is read-only. Files it writes are owner-only, like the rest of the workspace.

>>> sorted(SETTINGS_OVERRIDES)
['@jupyterlab/apputils-extension:notification', '@jupyterlab/extensionmanager-extension:plugin']
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from loaders.atomic import private_folder, write_atomic
from loaders.errors import BadInput

NOTEBOOKS = "notebooks"
#: JupyterLab's own files, inside the workspace (hidden: the file browser does not show it).
LAB_DIR = ".lab"
LOCAL = "127.0.0.1"
#: Settings every user of this lab starts from (the labconfig ``default_setting_overrides`` layer, which
#: wins over the schemas' defaults and any system-wide ``overrides.json``).
SETTINGS_OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/extensionmanager-extension:plugin": {"enabled": False},
}
#: Server options: no news feed, no update check, an extension manager that cannot install.
OFFLINE_OPTIONS = (
    "--LabApp.news_url=None",
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    "--LabApp.extension_manager=readonly",
)


@dataclass(frozen=True)
class LabSetup:
    """What ``run_lab`` starts: the command, its environment and where to point a browser."""

    workspace: Path
    host: str
    port: int
    token: str = field(repr=False)
    argv: list[str]
    env: dict[str, str] = field(repr=False)
    copied: list[str]
    kept: list[str]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/lab/tree/{NOTEBOOKS}?token={self.token}"


def shipped_notebooks() -> Path | None:
    """The notebooks that come with the workbench: the repository's ``notebooks/`` (a checkout or an
    editable install), else ``<prefix>/share/tcw/notebooks`` (an installed wheel); None if neither."""
    for folder in (Path(__file__).resolve().parents[1] / NOTEBOOKS, Path(sys.prefix) / "share" / "tcw" / NOTEBOOKS):
        if folder.is_dir() and any(folder.glob("*.ipynb")):
            return folder
    return None


def copy_notebooks(source: Path | None, target: Path) -> tuple[list[str], list[str]]:
    """Copy each ``*.ipynb`` of ``source`` into ``target`` (owner-only) unless a file of that name is
    there; returns the names copied and the names kept although the shipped version differs."""
    private_folder(target)
    copied, kept = [], []
    for notebook in sorted(source.glob("*.ipynb")) if source else []:
        mine = target / notebook.name
        if not mine.exists():
            write_atomic(mine, notebook.read_bytes())
            copied.append(notebook.name)
        elif mine.read_bytes() != notebook.read_bytes():
            kept.append(notebook.name)
    return copied, kept


def write_lab_config(lab_dir: Path) -> Path:
    """The configuration folder (``JUPYTER_CONFIG_DIR``) with the offline settings; returns it. Also
    IPython's startup folder: made by IPython, it would come with a README readable by everyone."""
    labconfig = private_folders(lab_dir, "config", "labconfig")
    write_atomic(labconfig / "default_setting_overrides.json",
                 json.dumps(SETTINGS_OVERRIDES, indent=2).encode())
    private_folders(lab_dir, "ipython", "profile_default", "startup")
    return labconfig.parent


def private_folders(root: Path, *names: str) -> Path:
    """``root/names…``, each level made owner-only (``mkdir -p`` would leave the middle ones open)."""
    folder = private_folder(root)
    for name in names:
        folder = private_folder(folder / name)
    return folder


def lab_environment(workspace: Path, token: str, neo4j: str | None,
                    environ: dict[str, str] | None = None) -> dict[str, str]:
    """The server's (and so the kernels') environment: the workspace, Neo4j when given, the token, and
    every Jupyter folder under ``<workspace>/.lab``."""
    lab_dir = workspace / LAB_DIR
    env = dict(os.environ if environ is None else environ)
    env.update({
        "TCW_WORKSPACE": str(workspace),
        "JUPYTER_TOKEN": token,
        "JUPYTER_CONFIG_DIR": str(lab_dir / "config"),
        "JUPYTERLAB_SETTINGS_DIR": str(lab_dir / "user-settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(lab_dir / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(lab_dir / "runtime"),
        "JUPYTER_DATA_DIR": str(lab_dir / "data"),
        "IPYTHONDIR": str(lab_dir / "ipython"),
    })
    if neo4j:
        env.update({"NEO4J_URI": neo4j, "TCW_BACKEND": "neo4j"})
    return env


def lab_arguments(workspace: Path, port: int, ip: str, open_browser: bool) -> list[str]:
    """The ``jupyter lab`` command line (nothing secret: the token travels in the environment)."""
    return [sys.executable, "-m", "jupyterlab", f"--ServerApp.ip={ip}", f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0", f"--ServerApp.root_dir={workspace}",
            f"--ServerApp.open_browser={open_browser}", f"--LabApp.default_url=/lab/tree/{NOTEBOOKS}",
            *OFFLINE_OPTIONS, *(["--ServerApp.allow_root=True"] if running_as_root() else [])]


def running_as_root() -> bool:
    """Whether this is the superuser (JupyterLab refuses to start as root unless told it may)."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def prepare_lab(workspace: Path, port: int = 8888, neo4j: str | None = None, open_browser: bool = True,
                ip: str = LOCAL, source: Path | None = None) -> LabSetup:
    """Check JupyterLab and the port, copy the notebooks, write the configuration; ``source``: the
    notebooks to copy (default ``shipped_notebooks()``)."""
    require_jupyterlab()
    require_free_port(ip, port)
    workspace = private_folder(workspace).resolve()
    copied, kept = copy_notebooks(source or shipped_notebooks(), workspace / NOTEBOOKS)
    write_lab_config(workspace / LAB_DIR)
    token = secrets.token_hex(24)
    host = LOCAL if ip in ("0.0.0.0", "", "::") else ip  # noqa: S104 - the address to browse to, not to bind
    return LabSetup(workspace, host, port, token, lab_arguments(workspace, port, ip, open_browser),
                    lab_environment(workspace, token, neo4j), copied, kept)


def require_jupyterlab() -> None:
    try:
        import jupyterlab  # noqa: F401
    except ImportError:
        raise BadInput("未安装 JupyterLab / JupyterLab is not installed", hint="pip install 'tcw[notebook]'") from None


def require_free_port(ip: str, port: int) -> None:
    """Bad usage when something already listens on ``ip:port`` (JupyterLab would otherwise pick another
    port and the printed address would be wrong)."""
    with socket.socket(socket.AF_INET6 if ":" in ip else socket.AF_INET) as probe:
        try:
            probe.bind((ip, port))
        except OSError as error:
            raise BadInput(f"端口 {port} 不可用 / port {port} on {ip} cannot be used: {error.strerror}",
                           hint=f"choose another, e.g. --port {port + 1}") from None


def display_available(environ: dict[str, str] | None = None, platform: str | None = None) -> bool:
    """Whether a browser window can open: on Linux only with an X or Wayland display (without one,
    Python's ``webbrowser`` would start a text browser in the terminal).

    >>> display_available({}, "linux"), display_available({"DISPLAY": ":0"}, "linux"), display_available({}, "win32")
    (False, True, True)
    """
    environ = os.environ if environ is None else environ
    return not (platform or sys.platform).startswith("linux") or bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def run_lab(setup: LabSetup) -> int:
    """Run JupyterLab with owner-only files: on POSIX the process becomes JupyterLab (Ctrl-C reaches it
    directly and it shuts its kernels down); elsewhere it runs as a child until it ends."""
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":
        os.umask(0o077)
        os.execve(setup.argv[0], setup.argv, setup.env)
    with subprocess.Popen(setup.argv, env=setup.env) as process:  # noqa: S603 - our own interpreter and arguments
        while True:
            try:
                return process.wait()
            except KeyboardInterrupt:
                continue  # JupyterLab got the Ctrl-C too and asks or stops itself


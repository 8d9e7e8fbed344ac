"""A real JupyterLab for the browser tests, started the way an investigator starts it: ``tcw lab
--no-browser`` on a workspace, on a free port of 127.0.0.1, with the token it prints. Its output goes to
a log file (shown when it does not come up); stopping it ends the server and, by process id, any kernel
it left behind."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import psutil

#: The line ``tcw lab`` prints: the address with the token.
PRINTED_URL = re.compile(r"(http://127\.0\.0\.1:(\d+))/lab/tree/notebooks\?token=([0-9a-f]+)")
LOG_TAIL = 3_000


@dataclass
class Lab:
    """A running JupyterLab: ``url`` (``http://127.0.0.1:PORT``), its ``token``, the ``process``, the
    workspace it serves (``root``; the notebooks are in ``root/notebooks``) and its log file."""

    url: str
    token: str
    process: subprocess.Popen
    root: Path
    log: Path

    def address(self, path: str) -> str:
        """``url + path`` with the token, e.g. ``lab.address("/lab/tree/notebooks/a.ipynb")``."""
        return f"{self.url}{path}{'&' if '?' in path else '?'}token={self.token}"

    def get(self, path: str, method: str = "GET") -> bytes:
        request = urllib.request.Request(self.address(path), method=method)
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - 127.0.0.1
            return answer.read()

    def end_sessions(self) -> None:
        """Shut down every notebook's kernel (between tests, so none keeps running)."""
        for session in json.loads(self.get("/api/sessions")):
            self.get(f"/api/sessions/{session['id']}", method="DELETE")


def kernel_output(lab: Lab, path: str, code: str, timeout: float = 30) -> str:
    """Run ``code`` in the kernel of notebook ``path`` (``notebooks/<name>``), beside the page, and return
    what it printed: how a test sees what Python holds after a click in the browser."""
    from jupyter_client import BlockingKernelClient

    sessions = [session for session in json.loads(lab.get("/api/sessions")) if session["path"] == path]
    assert sessions, f"no kernel for {path}"
    client = BlockingKernelClient(connection_file=str(
        lab.root / ".lab" / "runtime" / f"kernel-{sessions[0]['kernel']['id']}.json"))
    client.load_connection_file()
    client.start_channels()
    printed: list[str] = []
    try:
        reply = client.execute_interactive(code, timeout=timeout, output_hook=lambda message: printed.append(
            message["content"].get("text", "")) if message["msg_type"] == "stream" else None)
    finally:
        client.stop_channels()
    assert reply["content"]["status"] == "ok", reply["content"]
    return "".join(printed)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_lab(workspace: Path, log: Path, notebooks: Sequence[Path] = (), timeout: float = 90) -> Lab:
    """``tcw lab`` on ``workspace`` (with ``notebooks`` copied into its ``notebooks/`` first, beside the
    shipped ones ``tcw lab`` copies); returns once the server answers with the token."""
    folder = Path(workspace) / "notebooks"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    for notebook in notebooks:
        shutil.copyfile(notebook, folder / notebook.name)
        (folder / notebook.name).chmod(0o600)
    command = [sys.executable, "-m", "workbench.cli", "lab", "--workspace", str(workspace),
               "--port", str(free_port()), "--no-browser"]
    with open(log, "wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT,  # noqa: S603 - our command
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        return _answering(process, Path(workspace), log, time.monotonic() + timeout)
    except BaseException:
        stop_lab_process(process)
        raise


def _answering(process: subprocess.Popen, root: Path, log: Path, deadline: float) -> Lab:
    """Wait for the printed address, then for ``/api/status`` to answer."""
    lab = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"tcw lab ended with {process.returncode}:\n{log_tail(log)}")
        found = PRINTED_URL.search(log.read_text(encoding="utf-8", errors="replace"))
        if found and lab is None:
            lab = Lab(found.group(1), found.group(3), process, root, log)
        if lab is not None:
            try:
                lab.get("/api/status")
                return lab
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
        time.sleep(0.2)
    raise TimeoutError(f"JupyterLab did not answer in time:\n{log_tail(log)}")


def log_tail(log: Path) -> str:
    return log.read_text(encoding="utf-8", errors="replace")[-LOG_TAIL:] if log.exists() else ""


def stop_lab_process(process: subprocess.Popen, timeout: float = 20) -> None:
    """Stop the server (SIGTERM: it shuts its kernels down), then end, by id, whatever it started that
    is still there."""
    try:
        started = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        started = []
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)
    for child in started:
        with suppress(psutil.NoSuchProcess):
            child.kill()


@contextmanager
def running_lab(workspace: Path, log: Path, notebooks: Sequence[Path] = ()) -> Iterator[Lab]:
    """``start_lab`` for the length of a ``with`` block."""
    lab = start_lab(workspace, log, notebooks)
    try:
        yield lab
    finally:
        stop_lab_process(lab.process)

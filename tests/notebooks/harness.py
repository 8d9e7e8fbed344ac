"""Run a notebook headlessly, as an investigator's kernel under ``tcw lab`` would: nbclient, the ``python3``
kernel of this interpreter, ``TCW_WORKSPACE`` set to the workspace and, for the graph database,
``TCW_BACKEND=neo4j`` with the server's ``NEO4J_URI``/``NEO4J_USER``/``NEO4J_PASSWORD`` (the notebooks'
first cell reads them). A failing cell fails the test with that cell's source and error, not nbclient's
wall of text. Also: which notebooks ship, and what a committed notebook must not carry.

>>> strip_ansi("\\x1b[0;31mValueError\\x1b[0m: no")
'ValueError: no'
"""

from __future__ import annotations

import functools
import os
import re
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
TINY = FIXTURES / "tiny-widget.ipynb"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
#: How much of a cell's source and traceback a failure shows.
SOURCE_LINES, TRACEBACK_CHARS = 15, 4_000


def strip_ansi(text: str) -> str:
    return ANSI.sub("", text)


def shipped_notebooks() -> list[Path]:
    """The notebooks in the repository's ``notebooks/`` folder, by name."""
    return sorted(NOTEBOOKS.glob("*.ipynb"))


#: Why a test over the shipped notebooks has nothing to run.
NONE_YET = f"{NOTEBOOKS} 中还没有笔记本 / holds no notebook yet (test_the_notebooks_are_all_there fails then)"


def notebook_params(pattern: str = "*.ipynb") -> list:
    """One parameter per shipped notebook matching ``pattern``; none yet is one skip saying so."""
    found = sorted(NOTEBOOKS.glob(pattern))
    return [pytest.param(path, id=path.stem) for path in found] or [
        pytest.param(None, id="none", marks=pytest.mark.skip(reason=f"{pattern}: {NONE_YET}"))]


def notebook_env(workspace: Path, backend: str = "memory", neo4j=None) -> dict[str, str]:
    """The kernel's environment: ``TCW_WORKSPACE``; ``TCW_BACKEND=neo4j`` and the login of ``neo4j`` (a
    ``tests.neo4j_server.Neo4jSettings``) for the graph database, else no ``TCW_BACKEND`` (the default)."""
    env = {key: value for key, value in os.environ.items() if key != "TCW_BACKEND"}
    env["TCW_WORKSPACE"] = str(workspace)
    env["IPYTHONDIR"] = ipython_dir()  # no history in the home folder nor in the workspace
    if backend != "memory":
        env["TCW_BACKEND"] = backend
    if neo4j is not None:
        env.update(NEO4J_URI=neo4j.uri, NEO4J_USER=neo4j.user, NEO4J_PASSWORD=neo4j.password)
    return env


@functools.cache
def ipython_dir() -> str:
    """A private IPython folder for this test run's kernels."""
    return tempfile.mkdtemp(prefix="tcw-notebook-ipython-")


def run_notebook(path: Path, workspace: Path, backend: str = "memory", neo4j=None, cwd: Path | None = None,
                 timeout: int = 300) -> nbformat.NotebookNode:
    """Execute every cell of ``path`` (the file is not changed) and return the executed notebook; the
    kernel runs in ``cwd`` (default ``<workspace>/notebooks``, where ``tcw lab`` puts the notebooks)."""
    notebook = nbformat.read(path, as_version=4)
    cwd = Path(cwd or Path(workspace) / "notebooks")
    cwd.mkdir(parents=True, exist_ok=True, mode=0o700)
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(cwd)}})
    try:
        # in a thread of its own: nbclient runs an asyncio loop, and one left in the main thread would stop
        # every later test that drives a browser with Playwright's sync API
        with ThreadPoolExecutor(max_workers=1) as worker:
            worker.submit(client.execute, env=notebook_env(Path(workspace), backend, neo4j)).result()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as error:
        pytest.fail(failure(path, notebook, error), pytrace=False)
    return notebook


def failure(path: Path, notebook: nbformat.NotebookNode, error: Exception) -> str:
    """The failed cell (the first with an error output, else the last one executed): its number, source
    and error."""
    code = [(number, cell) for number, cell in enumerate(notebook.cells, 1) if cell.cell_type == "code"]
    failed = next(((n, c) for n, c in code if any(o.output_type == "error" for o in c.get("outputs", []))), None)
    if failed is None:
        ran = [(n, c) for n, c in code if c.get("execution_count") is not None or c.get("outputs")]
        failed = ran[-1] if ran else (code[0] if code else (0, None))
    number, cell = failed
    source = "\n".join(cell.source.splitlines()[:SOURCE_LINES]) if cell is not None else ""
    detail = error_text(cell) or strip_ansi(str(error))
    return (f"{path.name}: 第 {number} 个单元格出错 / cell {number} failed ({type(error).__name__})\n"
            f"--- 源码 source ---\n{source}\n--- 错误 error ---\n{detail[-TRACEBACK_CHARS:]}")


def error_text(cell) -> str:
    """A cell's error outputs (traceback without colours), and its stderr."""
    parts = []
    for output in cell.get("outputs", []) if cell is not None else []:
        if output.output_type == "error":
            parts.append(strip_ansi("\n".join(output.get("traceback", [])))
                         or f"{output.ename}: {output.evalue}")
        elif output.output_type == "stream" and output.name == "stderr":
            parts.append(output.text)
    return "\n".join(parts)


def text_outputs(notebook: nbformat.NotebookNode) -> str:
    """Everything the cells printed or returned as plain text."""
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                parts.append(output.text)
            elif "data" in output:
                parts.append(output.data.get("text/plain", ""))
    return "\n".join(parts)


def widget_views(notebook: nbformat.NotebookNode) -> list[str]:
    """The model ids of the widgets the cells displayed."""
    return [output.data[WIDGET_VIEW]["model_id"] for cell in notebook.cells for output in cell.get("outputs", [])
            if WIDGET_VIEW in output.get("data", {})]


def stored_state(path: Path) -> list[str]:
    """What a committed notebook must not carry: outputs, execution counts, saved widget state."""
    notebook = nbformat.read(path, as_version=4)
    found = ["metadata.widgets (saved widget state)"] if "widgets" in notebook.metadata else []
    for number, cell in enumerate(notebook.cells, 1):
        if cell.cell_type != "code":
            continue
        if cell.get("outputs"):
            found.append(f"cell {number}: outputs")
        if cell.get("execution_count") is not None:
            found.append(f"cell {number}: execution_count {cell.execution_count}")
    return found

"""The notebook harness itself, on the tiny test notebook: the kernel sees the workspace and the backend,
widgets are displayed, and a failing cell fails the test with that cell's source and error."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from tests.notebooks.harness import TINY, run_notebook, stored_state, text_outputs, widget_views


def test_the_tiny_notebook_reads_the_workspace_and_shows_its_widgets(demo_workspace):
    executed = run_notebook(TINY, demo_workspace)
    printed = text_outputs(executed)
    assert "backend=memory" in printed and "event_files=0" not in printed, printed
    assert len(widget_views(executed)) == 2  # the ipywidgets box and the anywidget
    assert "widgets" in executed.metadata  # the executed copy holds widget state; the file does not
    assert stored_state(TINY) == []


def test_the_backend_reaches_the_kernel(demo_workspace):
    assert "backend=neo4j" in text_outputs(run_notebook(TINY, demo_workspace, backend="neo4j"))


def test_a_failing_cell_fails_with_its_source_and_error(tmp_path, demo_workspace):
    notebook = new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}})
    notebook.cells = [new_code_cell("x = 1"), new_code_cell("# 第二格 second cell\nraise ValueError('找不到 lead L-1')"),
                      new_code_cell("never = True")]
    path = tmp_path / "failing.ipynb"
    nbformat.write(notebook, path)
    with pytest.raises(pytest.fail.Exception) as failed:
        run_notebook(path, demo_workspace, cwd=tmp_path)
    message = str(failed.value)
    assert "failing.ipynb" in message and "cell 2 failed" in message
    assert "# 第二格 second cell" in message and "ValueError: 找不到 lead L-1" in message
    assert "\x1b[" not in message and "never = True" not in message


def test_stored_state_finds_outputs_counts_and_widget_state(tmp_path, demo_workspace):
    executed = run_notebook(TINY, demo_workspace)
    path = tmp_path / "saved.ipynb"
    nbformat.write(executed, path)
    found = stored_state(path)
    assert "metadata.widgets (saved widget state)" in found
    assert any("outputs" in line for line in found) and any("execution_count" in line for line in found)

"""The shipped notebooks (``notebooks/*.ipynb``) run from top to bottom on a small demo workspace, the
investigation notebook also against the local Neo4j, and none is committed with outputs, execution
counts or widget state; the three notebooks (investigate, training, analyse) are all there."""

from __future__ import annotations

import pytest

from tests.notebooks.harness import (
    FIXTURES,
    NOTEBOOKS,
    notebook_params,
    run_notebook,
    shipped_notebooks,
    stored_state,
)

#: How many notebooks ship: 01 investigate, 02 training, 03 analyse.
EXPECTED = 3
def test_the_notebooks_are_all_there():
    names = sorted(path.name for path in shipped_notebooks())
    assert len(names) >= EXPECTED, f"{NOTEBOOKS} holds {names}, expected at least {EXPECTED} notebooks"
    assert [name.split("-")[0] for name in names[:EXPECTED]] == ["01", "02", "03"], names


@pytest.mark.parametrize("notebook", notebook_params())
def test_a_shipped_notebook_runs_on_the_workspace(notebook, demo_workspace, tmp_path):
    run_notebook(notebook, demo_workspace, cwd=tmp_path)


@pytest.mark.neo4j
@pytest.mark.parametrize("notebook", notebook_params("01-*.ipynb"))
def test_the_investigation_notebook_runs_against_neo4j(notebook, neo4j_graph, demo_workspace, tmp_path):
    run_notebook(notebook, demo_workspace, backend="neo4j", neo4j=neo4j_graph, cwd=tmp_path)


@pytest.mark.parametrize("notebook", [*shipped_notebooks(), *sorted(FIXTURES.glob("*.ipynb"))],
                         ids=lambda path: path.stem)
def test_a_committed_notebook_holds_no_outputs_or_widget_state(notebook):
    assert stored_state(notebook) == [], f"{notebook.name}: clear it (Edit → Clear Outputs of All Cells) and save"

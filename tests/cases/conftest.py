"""Fixtures of the case tests: a small generated district (``tcw demo --scale tiny --seed 7``, made once per
session) and a fresh copy of its workspace per test, so cases made by one test never reach another."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from loaders.workspace import Workspace


@pytest.fixture(scope="session")
def case_district(tmp_path_factory) -> Path:
    """The demo's output folder: ``data/`` (uploads, truth.csv) and ``workspace/`` with its findings kept."""
    from workbench.cases.findings import workspace_communities, workspace_leads
    from workbench.demo import run_demo

    out = tmp_path_factory.mktemp("case-district")
    run_demo(out, seed=7, scale="tiny", echo=lambda line: None)
    ws = Workspace(out / "workspace")
    workspace_leads(ws), workspace_communities(ws)  # kept in the workspace: every copy starts with them
    return out


@pytest.fixture
def ws(case_district, tmp_path) -> Workspace:
    """A copy of the district's workspace of this test's own."""
    return Workspace(Path(shutil.copytree(case_district / "workspace", tmp_path / "workspace")))


def first_lead(ws: Workspace, scenario: str) -> dict:
    """The strongest lead of a scenario."""
    from workbench.cases.findings import workspace_leads

    return next(lead for lead in workspace_leads(ws) if lead["scenario"] == scenario)

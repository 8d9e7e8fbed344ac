"""Fixtures of the case tests: the session's tiny demo district (``tests/conftest.py``) and a fresh copy
of its workspace per test, so cases made by one test never reach another."""

from __future__ import annotations

from pathlib import Path

import pytest

from loaders.workspace import Workspace
from tests.conftest import demo_copy


@pytest.fixture(scope="session")
def case_district(tiny_demo) -> Path:
    """The demo's output folder: ``data/`` (uploads, truth.csv), ``leads.csv`` and ``workspace/``."""
    return tiny_demo


@pytest.fixture
def ws(tiny_demo, tmp_path) -> Workspace:
    """A copy of the district's workspace of this test's own."""
    return demo_copy(tiny_demo, tmp_path)


def first_lead(ws: Workspace, scenario: str) -> dict:
    """The strongest lead of a scenario."""
    from workbench.cases.findings import workspace_leads

    return next(lead for lead in workspace_leads(ws) if lead["scenario"] == scenario)

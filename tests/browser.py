"""Headless Debian ``chromium`` through Playwright, for every browser test (the report, the graph widget,
JupyterLab): one way to launch it, one message when it is missing."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

MISSING = "需要 Debian 的 chromium 与 playwright / Debian's chromium and playwright needed: run make setup"


@contextmanager
def chromium() -> Iterator[object]:
    """Headless Debian chromium; without it (or Playwright) a skip with the fix, a failure under CI=true.
    Playwright's sync API allows one running instance per thread: open it for a module, not a session."""
    path = shutil.which("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        path = None
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(MISSING)
        pytest.skip(MISSING)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, headless=True)
        try:
            yield browser
        finally:
            browser.close()

"""Where the notebook tests leave what a person may want to look at: screenshots, server logs, and the
figures measured on the way (``timings.json``, the source of the notebook rows of docs/benchmarks.md).
The folder is ``$TCW_TEST_ARTEFACTS``, else ``test-artefacts/`` in the repository (git-ignored).

>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> record_figure("lab: run all → first widget", 1.25, folder=folder, notebook="tiny")["value"]
1.25
>>> sorted(json.loads((folder / FIGURES).read_text(encoding="utf-8")))
['lab: run all → first widget']
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

from tests.notebooks.harness import REPO

FIGURES = "timings.json"


def artefacts_folder() -> Path:
    """The artefacts folder, made when missing."""
    folder = Path(os.environ.get("TCW_TEST_ARTEFACTS") or REPO / "test-artefacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def record_figure(name: str, value: float, unit: str = "s", folder: Path | None = None, **details) -> dict:
    """Record one measured figure under ``name`` in ``timings.json`` (the latest run replaces the last
    one's figure of that name, others stay); returns the entry."""
    path = (folder or artefacts_folder()) / FIGURES
    figures = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    entry = {"value": round(value, 3), "unit": unit, "measured": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
             "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
             **details}
    figures[name] = entry
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, path)
    return entry

"""Shared helpers: real files in the real formats, a real workspace on disk."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from loaders.ingest import ingest
from loaders.workspace import Workspace

INSTITUTION = "P50011600012"
CODE_A = "81234560000000000012"
CODE_B = "81234560000000000013"


def sale(bchno: str, codes: list[str] | None = None, **fields) -> dict:
    """A 3505 record with sensible defaults; ``fields`` override."""
    record = {
        "med_list_codg": "XA01ABD075A002010100483", "fixmedins_hilist_id": "A1001",
        "fixmedins_hilist_name": "奥美拉唑肠溶胶囊", "fixmedins_bchno": bchno, "setl_id": f"SETL{bchno}",
        "psn_no": "50011600000000000000000123", "certno": "500116199001011234", "psn_name": "张三",
        "trdn_flag": "0", "finl_trns_pric": 23.5, "rtal_docno": f"R{bchno}", "sel_retn_cnt": len(codes or []) or 1,
        "sel_retn_time": "2025-06-01 10:30:12",
        "drugtracinfo": [{"drug_trac_codg": code} for code in (codes or [])],
    }  # fmt: skip
    record.update(fields)
    return record


def envelope(infno: str, node: str, record, inf_time: str = "2025-06-02 01:10:00", **extra) -> dict:
    return {"infno": infno, "msgid": f"{INSTITUTION}202506020110000001", "fixmedins_code": INSTITUTION,
            "fixmedins_name": "江津区某某大药房", "inf_time": inf_time, "input": {node: record}, **extra}


def write_ndjson(path: Path, envelopes: list, encoding: str = "utf-8") -> Path:
    lines = [e if isinstance(e, str) else json.dumps(e, ensure_ascii=False) for e in envelopes]
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path


def events(ws: Workspace, where: str = "true") -> list[dict]:
    """Events of a workspace as dicts, in file order."""
    if not ws.event_files():
        return []
    order = "ORDER BY source_file, source_line, record_index, code_position"
    sql = f"SELECT * FROM read_parquet($p) WHERE {where} {order}"  # noqa: S608 - test helper, fixed text
    relation = duckdb.sql(sql, params={"p": ws.event_files()})
    return [dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall()]


def rejects(ws: Workspace) -> list[dict]:
    parts = ws.parts("rejects")
    if not parts:
        return []
    relation = duckdb.sql("SELECT * FROM read_parquet($p) ORDER BY source_file, source_line", params={"p": parts})
    return [dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall()]


@pytest.fixture(scope="session")
def tiny_demo(tmp_path_factory) -> Path:
    """``tcw demo --scale tiny --seed 7``'s folder (``data/``, ``workspace/`` with its leads and communities
    kept in ``findings/``, ``report.html``), made once per session. Read it; a test that writes into the
    workspace (cases, packages, notebooks) works on ``demo_copy``."""
    from workbench.cases.findings import workspace_communities, workspace_leads
    from workbench.demo import run_demo

    out = tmp_path_factory.mktemp("tiny-demo") / "demo"
    run_demo(out, seed=7, scale="tiny", echo=lambda line: None)
    ws = Workspace(out / "workspace")
    workspace_leads(ws), workspace_communities(ws)  # kept: every copy starts with them
    return out


def demo_copy(tiny_demo: Path, folder: Path) -> Workspace:
    """A copy of the tiny demo (its data beside its workspace, as ``tcw demo`` lays them out) in ``folder``;
    its workspace."""
    import shutil

    return Workspace(Path(shutil.copytree(tiny_demo, folder / "demo", ignore=shutil.ignore_patterns("*.html")))
                     / "workspace")


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "ws")


@pytest.fixture
def load(workspace: Workspace):
    """Ingest paths into the test workspace (in-process, one worker) and return the report."""

    def _load(*paths, **options):
        options.setdefault("workers", 1)
        return ingest(list(paths), workspace, **options)

    return _load


@pytest.fixture(params=["duckdb", "spark"])
def engine(request, monkeypatch) -> str:
    """Run a screening test on each engine (``TCW_SCREEN_ENGINE``); Spark must be there, not skipped."""
    monkeypatch.setenv("TCW_SCREEN_ENGINE", request.param)
    return request.param


# The real Neo4j server for graph tests (tests/neo4j_server.py): settings, and a driver on an emptied database.
from tests.neo4j_server import neo4j_driver, neo4j_session_driver, neo4j_settings  # noqa: E402, F401

# Commands that file permissions bind, also as root (tests/permissions.py).
from tests.permissions import bound_runner  # noqa: E402, F401

"""``export_case``: a case into a package the receiving side opens without the workbench and checks.

The package is built in a temporary folder beside ``out`` and renamed into place when complete (a crash
leaves no half package under the given name). It holds ``case.graphml``, ``case.gexf``, ``nodes.csv``,
``edges.csv``, ``case.xlsx``, ``case.html`` and ``manifest.json`` (the SHA-256 of every other file, the
inputs' hashes, the parameters and queries used, the pseudonymisation mode); ``--zip`` also writes
``<out>.zip``. The export is recorded in the case's history and in the workspace's audit log.

>>> package_files()
('case.graphml', 'case.gexf', 'nodes.csv', 'edges.csv', 'case.xlsx', 'case.html', 'manifest.json')
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from loaders.atomic import fsync_folder, private_folder
from loaders.errors import BadInput
from loaders.workspace import Workspace
from workbench import audit
from workbench.cases.actions import case_store
from workbench.cases.gather import EVENTS_SQL, MAX_EVENTS, gather, members_of

PSEUDONYMISED, REVEALED = "pseudonymised", "revealed"


def package_files() -> tuple[str, ...]:
    """The files of a package, in the order they are written."""
    return ("case.graphml", "case.gexf", "nodes.csv", "edges.csv", "case.xlsx", "case.html", "manifest.json")


def export_case(ws: Workspace, case_id: str, out: str | Path, as_zip: bool = False, reveal: bool = False,
                max_events: int = MAX_EVENTS, user: str | None = None) -> list[Path]:
    """Write the package of ``case_id`` to the folder ``out`` (new or empty); the folder, and the zip when
    asked."""
    out = Path(out)
    _require_free(out)
    store = case_store(ws, user)
    case = store.case(case_id)
    evidence = gather(ws, case, reveal=reveal, max_events=max_events)
    private_folder(out.parent)  # packages may hold identities (--reveal): owner-only, as the workspace
    building = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    try:
        _write_files(evidence, building, _manifest_info(ws, evidence, max_events))
        if out.exists():
            out.rmdir()  # empty (checked above)
        os.replace(building, out)
        fsync_folder(out.parent)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    written = [out]
    if as_zip:
        from workbench.cases.verify import zip_package

        written.append(zip_package(out))
    _record(ws, store, case_id, written, reveal)
    return written


def _write_files(evidence, folder: Path, info: dict) -> None:
    from workbench.cases.case_html import write_case_html
    from workbench.cases.graph_files import write_graph_files
    from workbench.cases.manifest import write_manifest
    from workbench.cases.subgraph import case_graph
    from workbench.cases.workbook import write_case_workbook

    graph = case_graph(evidence)
    write_graph_files(graph, folder)
    write_case_workbook(evidence, folder / "case.xlsx")
    write_case_html(evidence, graph, folder / "case.html")
    if graph.graph.get("aggregation"):
        info["parameters"]["aggregation"] = graph.graph["aggregation"]
    write_manifest(folder, info)


def _manifest_info(ws: Workspace, evidence, max_events: int) -> dict:
    """What the manifest says besides the files: parameters, queries, inputs, mode."""
    case = evidence.case
    lead_params = {row["lead_id"]: row.get("params") for row in case.snapshots("lead")}
    ring_params = {row["community_id"]: row.get("params") for row in case.snapshots("community")}
    return {
        "case": case,
        "pseudonymisation": REVEALED if evidence.reveal else PSEUDONYMISED,
        "parameters": {"max_events": max_events, "leads": lead_params, "communities": ring_params,
                       "capped": evidence.capped,
                       "span": [t.isoformat(sep=" ") if t else None for t in evidence.span],
                       "audit_head": audit.head(ws.root)},  # anchors the workspace's audit log at this time
        "queries": {"events": EVENTS_SQL.strip(), "members": members_of(case),
                    "leads_and_communities": "tcw screen and tcw analyse with default parameters (WORKSPACE/findings)",
                    "uploads_not_found": [p for p in evidence.sources if not Path(p).is_file()]},
        "inputs": [Path(p) for p in ws.event_files()] + sorted((ws.root / "reference").glob("*.parquet"))
        + [Path(p) for p in evidence.sources if Path(p).is_file()],
        "input_root": ws.root,
    }


def _require_free(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BadInput("--out 已存在且不为空 / --out exists and is not empty", path=str(out),
                       hint="name a new folder (a package holds only its own files)")


def _record(ws: Workspace, store, case_id: str, written: list[Path], reveal: bool) -> None:
    from workbench.cases.manifest import read_manifest

    files = read_manifest(written[0])["files"]
    detail = {"out": str(written[0]), "zip": str(written[1]) if len(written) > 1 else None, "reveal": reveal,
              "files": {name: entry["sha256"] for name, entry in files.items()}}
    store.record(case_id, "export", detail)
    audit.record(ws.root, "case export", case_id, detail)

"""The bulk path for a first load: the elements ``tcw graph`` would write (pack relations, events, leads,
merged in the same order), as CSV files for ``neo4j-admin database import full`` into an empty, stopped
database; the constraints and indexes follow when the server is back (``Neo4jStore`` makes them).
Transactions are skipped altogether, so this is the fast way to put a large district into a new server;
every later load goes through ``tcw graph``.

Events are facts and are streamed to their files batch by batch (their ids must be unique); codes, persons,
institutions and the other dimensions are merged in memory first, as a store merges them.

>>> csv_value(True), csv_value(2.5), csv_value(None), csv_value(datetime(2025, 6, 1, 9))
('true', '2.5', '', '2025-06-01T09:00:00')
>>> header(schema().label("Product"))
['med_list_codg:ID(Product)', 'name:string']
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pyarrow as pa

from loaders.errors import BadInput
from loaders.workspace import Workspace
from workbench.graph.elements import Elements
from workbench.graph.load import graph_context, workspace_elements
from workbench.graph.neo4j_write import FACT_LABELS, identifier
from workbench.graph.schema import Label, Link, Relationship, schema

#: neo4j-admin column types of the schema's property types.
IMPORT_TYPES = {"string": "string", "integer": "long", "float": "double", "boolean": "boolean",
                "datetime": "localdatetime"}
ADMIN_CLASS = "org.neo4j.server.startup.Neo4jAdminCommand"


def csv_value(value: object) -> str:
    """A property value as an import file cell (absent: an empty cell, which the import leaves out)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float) and math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value if isinstance(value, str) else repr(value)


def cells(values: list, kind: str) -> list:
    """A column of one property type as the CSV writer takes it (``None`` is written as an empty cell;
    strings and whole numbers as they are).

    >>> cells([True, None], "boolean"), cells([float("inf"), 0.5], "float")
    (['true', ''], ['Infinity', '0.5'])
    """
    if kind in ("string", "integer"):
        return values
    return [csv_value(value) for value in values]


def header(label: Label) -> list[str]:
    """A node file's header: the key as the label's id, then every property with its type."""
    return [f"{identifier(label.key)}:ID({identifier(label.name)})"] + [
        f"{identifier(p.name)}:{IMPORT_TYPES[p.type]}" for p in label.properties if p.name != label.key]


def relationship_header(link: Link, declared: Relationship) -> list[str]:
    return [f":START_ID({identifier(link.start)})", f":END_ID({identifier(link.end)})"] + [
        f"{identifier(p.name)}:{IMPORT_TYPES[p.type]}" for p in declared.properties]


@dataclass
class ImportFiles:
    """The files written: node files per label, relationship files per type (one per link)."""

    folder: Path
    nodes: dict[str, Path] = field(default_factory=dict)
    relationships: list[tuple[str, Path]] = field(default_factory=list)
    events: int = 0

    def arguments(self) -> list[str]:
        """``neo4j-admin database import full`` options naming every file."""
        return ([f"--nodes={label}={path}" for label, path in self.nodes.items()]
                + [f"--relationships={type_}={path}" for type_, path in self.relationships])


class _Files:
    """One open CSV writer per label and per link, each file with its header."""

    def __init__(self, folder: Path, files: ImportFiles) -> None:
        self.folder, self.files, self._open = folder, files, {}

    def writer(self, name: object):
        if name not in self._open:
            if isinstance(name, Link):
                path = self.folder / f"rel-{name.type}-{name.start}-{name.end}.csv"
                first = relationship_header(name, schema().relationship(name.type))
                self.files.relationships.append((name.type, path))
            else:
                path = self.folder / f"node-{name}.csv"
                first = header(schema().label(name))
                self.files.nodes[name] = path
            handle = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed in close()
            self._open[name] = (handle, csv.writer(handle))
            self._open[name][1].writerow(first)
        return self._open[name][1]

    def nodes(self, label: str, rows: Iterable[dict]) -> None:
        declared = schema().label(label)
        rows = list(rows)
        kinds = [(declared.key, "string")] + [(p.name, p.type) for p in declared.properties if p.name != declared.key]
        columns = [cells([row.get(name) for row in rows], kind) for name, kind in kinds]
        self.writer(label).writerows(zip(*columns, strict=True))

    def links(self, link: Link, rows: Iterable[dict]) -> None:
        rows = list(rows)
        kinds = [(p.name, p.type) for p in schema().relationship(link.type).properties]
        columns = [[row["start"] for row in rows], [row["end"] for row in rows]]
        columns += [cells([row.get(name) for row in rows], kind) for name, kind in kinds]
        self.writer(link).writerows(zip(*columns, strict=True))

    def close(self) -> None:
        for handle, _ in self._open.values():
            handle.close()


class _Dimensions:
    """Dimension nodes and their relationships merged across batches (later values win)."""

    def __init__(self) -> None:
        self.nodes: dict[str, dict[str, dict]] = {}
        self.links: dict[Link, dict[tuple[str, str], dict]] = {}

    def add(self, elements: Elements, skip: frozenset[str] = FACT_LABELS) -> None:
        for label, rows in elements.nodes.items():
            if label not in skip:
                merged, key = self.nodes.setdefault(label, {}), schema().label(label).key
                for row in rows:
                    merged[row[key]] = {**merged[row[key]], **row} if row[key] in merged else row
        for link, rows in elements.relationships.items():
            if link.start not in skip:
                merged = self.links.setdefault(link, {})
                for row in rows:
                    ends = row["start"], row["end"]
                    merged[ends] = {**merged[ends], **row} if ends in merged else row


def write_import_files(ws: Workspace, folder: Path, leads: pa.Table | None = None,
                       batch_size: int = 20_000) -> ImportFiles:
    """Write the workspace's graph as import files under ``folder``; ``BadInput`` when an event id repeats
    (the transactional writer merges repeats; the import cannot)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = ImportFiles(folder)
    out, dimensions, seen = _Files(folder, files), _Dimensions(), set()
    try:
        for elements, _ in workspace_elements(ws, graph_context(ws), leads, batch_size):
            _add_events(elements, out, dimensions, seen)
        for label, rows in dimensions.nodes.items():
            out.nodes(label, rows.values())
        for link, rows in dimensions.links.items():
            out.links(link, rows.values())
    finally:
        out.close()
    files.events = len(seen)
    return files


def _add_events(elements: Elements, out: _Files, dimensions: _Dimensions, seen: set) -> None:
    """Facts straight to their files; every dimension merged into ``dimensions``."""
    for label in FACT_LABELS & elements.nodes.keys():
        key = schema().label(label).key
        ids = [row[key] for row in elements.nodes[label]]
        if not seen.isdisjoint(ids):
            raise BadInput("事件编号重复，无法批量导入 / an event id repeats, so the bulk import cannot be used",
                           hint="load with tcw graph, which merges repeats")
        seen.update(ids)
        out.nodes(label, elements.nodes[label])
    for link, rows in elements.relationships.items():
        if link.start in FACT_LABELS:
            out.links(link, rows)
    dimensions.add(elements)


def import_command(home: Path, files: ImportFiles, java: str = "java", database: str = "neo4j") -> list[str]:
    """The ``neo4j-admin database import full`` command for the server home ``home`` (run it with
    ``NEO4J_HOME`` and ``NEO4J_CONF`` set, the server stopped); it replaces the database. Its report of
    refused lines goes beside the import files."""
    return [java, "-cp", f"{home / 'lib'}/*", ADMIN_CLASS, *admin_arguments(files, database)]


def admin_arguments(files: ImportFiles, database: str = "neo4j") -> list[str]:
    """What follows ``neo4j-admin`` to import ``files`` into ``database`` (replacing it).

    >>> admin_arguments(ImportFiles(Path("imp"), {"Code": Path("imp/node-Code.csv")}))[:4]
    ['database', 'import', 'full', 'neo4j']
    """
    return ["database", "import", "full", database, "--overwrite-destination=true", "--multiline-fields=true",
            f"--report-file={files.folder / 'import.report'}", *files.arguments()]

"""The bulk path for a first load: the elements ``tcw graph`` would write (pack relations, events, leads,
merged in the same order), as CSV files for ``neo4j-admin database import full`` into an empty, stopped
database; the constraints and indexes follow when the server is back (``Neo4jStore`` makes them).
Transactions are skipped altogether, so this is the fast way to put a large district into a new server;
every later load goes through ``tcw graph``. The ``Community`` and ``Case`` nodes are not in the files:
communities come from analysing the whole workspace once it is loaded, and cases are kept in step with the
case store by every ``tcw graph``, so the run after the import writes both.

Every node gets its record number as its id (``--id-type=actual``: the import maps no keys): events are
numbered 0, 1, … as they stream to their file (their ids must be unique); codes, persons, institutions
and the other dimensions are merged in memory, numbered after the events in order of first sight and
written at the end. An event's relationships point at dimensions not yet numbered, so they wait in Arrow
stream files beside the CSV files until the end.

>>> files = ImportFiles(Path("imp"), {"Code": Path("imp/node-Code.csv")})
>>> files.arguments()
['--nodes=Code=imp/node-Code.csv']
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from loaders.errors import BadInput
from loaders.workspace import Workspace
from workbench.graph.bulk_parts import FactPart, ImportPart, import_parts, link_properties
from workbench.graph.elements import Elements
from workbench.graph.import_csv import CsvFiles, key_first, property_columns
from workbench.graph.load import BATCH_SIZE, event_total, graph_context, workspace_batches
from workbench.graph.schema import Link, schema

ADMIN_CLASS = "org.neo4j.server.startup.Neo4jAdminCommand"
MAX_WORKERS = 4


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


def write_import_files(ws: Workspace, folder: Path, leads: pa.Table | None = None,
                       batch_size: int = BATCH_SIZE, workers: int | None = None) -> ImportFiles:
    """Write the workspace's graph as import files under ``folder``, the batches built in ``workers``
    processes (default: one per core, at most ``MAX_WORKERS``, when there is more than one batch of
    events: beyond that the main process, which merges and writes, is the limit); ``BadInput`` when an
    event id repeats (the transactional writer merges repeats; the import cannot). Scripts that call it
    guard their main code with ``if __name__ == "__main__":`` (the workers are spawned)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = ImportFiles(folder)
    out, dimensions, facts = CsvFiles(folder, files), _Dimensions(), _Facts(folder)
    if workers is None:
        workers = min(MAX_WORKERS, len(os.sched_getaffinity(0))) if event_total(ws) > batch_size else 1
    try:
        for part in import_parts(workspace_batches(ws, leads, batch_size), graph_context(ws), workers):
            dimensions.add(part.dimensions)
            facts.add(part, dimensions, out)
        offsets = dimensions.offsets(first=facts.count)
        dimensions.write(out, offsets)
        facts.write_links(out, offsets)
    finally:
        out.close()
        facts.close()
    files.events = facts.count
    return files


def _ids(start: int, count: int) -> pa.Array:
    return pa.array(range(start, start + count), type=pa.int64())


class _Dimensions:
    """Dimension nodes and their relationships merged across batches (later values win); each node
    numbered from 0 within its label in order of first sight, moved past the events at the end."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, dict]] = {}
        self.ids: dict[str, dict[str, int]] = {}
        self.links: dict[Link, dict[tuple[str, str], dict]] = {}

    def add(self, elements: Elements) -> None:
        for label, rows in elements.nodes.items():
            self._add_nodes(label, rows)
        for link, rows in elements.relationships.items():
            merged = self.links.setdefault(link, {})
            for row in rows:
                ends = row["start"], row["end"]
                merged[ends] = {**merged[ends], **row} if ends in merged else row

    def _add_nodes(self, label: str, rows: list[dict]) -> None:
        merged, ids, key = self.rows.setdefault(label, {}), self.ids.setdefault(label, {}), schema().label(label).key
        for row in rows:
            if row[key] in merged:
                merged[row[key]] = {**merged[row[key]], **row}
            else:
                merged[row[key]], ids[row[key]] = row, len(ids)

    def offsets(self, first: int) -> dict[str, int]:
        """Each label's first id when the dimensions follow ``first`` numbers already given."""
        offsets = {}
        for label, ids in self.ids.items():
            offsets[label], first = first, first + len(ids)
        return offsets

    def write(self, out: CsvFiles, offsets: dict[str, int]) -> None:
        for label, merged in self.rows.items():
            columns = property_columns(key_first(schema().label(label)), list(merged.values()))
            out.nodes(label, _ids(offsets[label], len(merged)), columns)
        for link, merged in self.links.items():
            starts, ends = self.ids[link.start], self.ids[link.end]
            out.links(link, pa.array([offsets[link.start] + starts[start] for start, _ in merged], type=pa.int64()),
                      pa.array([offsets[link.end] + ends[end] for _, end in merged], type=pa.int64()),
                      link_properties(link, list(merged.values())))


class _Facts:
    """Events straight to their file, numbered 0, 1, … in the order they come; their relationships
    kept in an Arrow stream file per link (start id, the far end's number within its label, properties)
    until the dimensions are counted."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.count, self.seen = folder, 0, set()
        self._waiting: dict[Link, tuple[Path, pa.RecordBatchStreamWriter]] = {}

    def add(self, part: ImportPart, dimensions: _Dimensions, out: CsvFiles) -> None:
        first = {label: self._add_nodes(label, fact, out) for label, fact in part.facts.items()}
        for link, waiting in part.links.items():
            ends = dimensions.ids[link.end]
            self._wait(link, pa.record_batch(
                [pc.add(waiting.starts, first[link.start]), pa.array([ends[end] for end in waiting.ends], type=pa.int64()),
                 *waiting.properties],
                names=["start", "end", *(p.name for p in schema().relationship(link.type).properties)]))

    def _add_nodes(self, label: str, fact: FactPart, out: CsvFiles) -> int:
        """Write the facts; the id of the first."""
        if not self.seen.isdisjoint(fact.keys):
            raise BadInput("事件编号重复，无法批量导入 / an event id repeats, so the bulk import cannot be used",
                           hint="load with tcw graph, which merges repeats")
        self.seen.update(fact.keys)
        out.nodes(label, _ids(self.count, len(fact.keys)), fact.columns)
        self.count += len(fact.keys)
        return self.count - len(fact.keys)

    def _wait(self, link: Link, batch: pa.RecordBatch) -> None:
        if link not in self._waiting:
            path = self.folder / f".waiting-{link.type}-{link.start}-{link.end}.arrows"
            self._waiting[link] = path, pa.ipc.new_stream(str(path), batch.schema)
        self._waiting[link][1].write_batch(batch)

    def write_links(self, out: CsvFiles, offsets: dict[str, int]) -> None:
        """The waiting relationships, their far ends moved past the events."""
        for link, (path, writer) in self._waiting.items():
            writer.close()
            with pa.ipc.open_stream(str(path)) as reader:
                for batch in reader:
                    out.links(link, batch.column(0), pc.add(batch.column(1), offsets[link.end]), batch.columns[2:])

    def close(self) -> None:
        for path, writer in self._waiting.values():
            writer.close()
            path.unlink(missing_ok=True)


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
    return ["database", "import", "full", database, "--overwrite-destination=true", "--id-type=actual",
            "--multiline-fields=true",
            f"--report-file={files.folder / 'import.report'}", *files.arguments()]

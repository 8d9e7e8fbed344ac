"""Format C, ``events``: the workbench's own canonical events (Parquet or CSV) read back in.

Columns the file lacks are empty; without ``source_record`` each event is its own record.
"""

from __future__ import annotations

from pathlib import Path

from loaders.db import rows, run
from loaders.errors import BadInput
from loaders.normalize import EVENT_TYPES

REQUIRED = ("event_id", "event_type", "event_time", "institution_code")


def events_task(con, path: Path, found, work: Path, file_index: int):
    """A task that copies a canonical events file into a part (checked here, run by a worker)."""
    from loaders.executor import Task

    missing = [name for name in REQUIRED if name not in _columns(con, path, found.container)]
    if missing:
        raise BadInput(f"事件文件缺少列 {', '.join(missing)} / events file lacks columns {', '.join(missing)}",
                       path=str(path), line=1, hint="export events with tcw or add the columns")
    target = str(work / f"events-{file_index:06d}")
    return Task("events", target, path=str(path), container=found.container, file_index=file_index)


def write_events(con, path: str, container: str, target: str, file_index: int) -> None:
    """Copy an events file into a part file of kind ``event``."""
    present = set(_columns(con, Path(path), container))
    select = []
    for name, kind in EVENT_TYPES.items():
        select.append(f"CAST({_source_expression(name, present)} AS {kind}) AS {name}")
    select.append("$file_index::INTEGER AS file_index")
    sql = f"SELECT {', '.join(select)} FROM {_reader(container)}($path)"
    Path(target).mkdir(parents=True, exist_ok=True)
    run(con, f"COPY ({sql}) TO $target (FORMAT parquet, COMPRESSION snappy)",
        {"path": path, "target": str(Path(target) / "event.parquet"), "file_index": file_index})


def _source_expression(name: str, present: set[str]) -> str:
    assert name.isidentifier()
    if name in present:
        return name
    fallback = {"source_record": "event_id", "code_position": "1", "record_index": "1", "source_line": "0",
                "source_file": "$path"}
    return fallback.get(name, "NULL")


def _columns(con, path: Path, container: str) -> list[str]:
    described = rows(con, f"DESCRIBE SELECT * FROM {_reader(container)}($path)", {"path": str(path)})
    return [row[0] for row in described]


def _reader(container: str) -> str:
    return "read_parquet" if container == "parquet" else "read_csv"

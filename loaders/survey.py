"""Look at every file of a run before anything is written: detect its format and find its 3507
deletes, on the worker processes (a file at a time, many files per worker call).

A file named on the command line that cannot be read stops the run; one found by walking a folder
(a readme, a truth table) is skipped and reported, with what the walk passed over (``loaders.walk``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from loaders import nhsa_json
from loaders.detect import Detected, detect_format
from loaders.errors import BadInput
from loaders.pool import Workers, map_files
from loaders.table import field_positions, scan_table_deletes

#: (institution, fixmedins_bchno, inv_data_type, inf_time) of one 3507 delete found by a scan.
DeleteRow = tuple[str, str, str, str | None]


def survey(files: list[Path], named: set[Path], forced: str | None,
           workers: Workers) -> tuple[dict[Path, Detected], dict[str, str], list[DeleteRow]]:
    """(format of every readable file, skipped file → reason, deletes found), in file order; ``files``
    may be a ``Walk``, whose skipped entries come first."""
    detected: dict[Path, Detected] = {}
    skipped: dict[str, str] = dict(getattr(files, "skipped", {}))
    deletes: list[DeleteRow] = []
    for path, (found, rows) in zip(files, map_files(workers, look, [(path, forced) for path in files]), strict=True):
        if isinstance(found, BadInput):
            if path in named:
                raise found
            skipped[str(path)] = found.message
            continue
        detected[path] = found
        deletes.extend(rows)
    return detected, skipped, deletes


def look(item: tuple[Path, str | None]) -> tuple[Detected | BadInput, list[DeleteRow]]:
    """One file's format (or why it cannot be read) and the 3507 deletes a quick scan finds in it."""
    path, forced = item
    try:
        found = detect_format(path, forced)
        if found.kind == "table":
            field_positions(found.headers, path)
        return found, list(scan_deletes(path, found))
    except BadInput as error:
        return error, []
    except OSError as error:  # no permission, a disk error, a file gone since the walk
        return BadInput(f"无法读取 / cannot read the file: {error.strerror or error}", path=str(path),
                        hint="check that it exists and that you may read it"), []


def scan_deletes(path: Path, found: Detected) -> Iterator[DeleteRow]:
    """Deletes of line-delimited format-A files and CSV files (others are applied at consolidation)."""
    if found.container == "jsonl":
        return nhsa_json.scan_deletes(path, found.encoding)
    if found.kind == "table" and found.container == "csv":
        return scan_table_deletes(path, found.encoding, found.headers)
    return iter(())

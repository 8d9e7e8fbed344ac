"""Runs the reader fuzz test's cases: each mutated upload written to a file, ingested on one path
(the compiled fast path or ``TCW_NATIVE=0``) into a fresh workspace and checked; failures grouped by
class, failing inputs kept, and optionally cut down to the lines that still fail.

A longer campaign than the test's, with minimal reproducing files per failure class::

    .venv/bin/python -m tests.loaders.fuzz_campaign --cases 1000 --repros /tmp/fuzz-repros
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import time
from collections import Counter
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from loaders.workspace import Workspace
from tests.loaders.fuzz_oracle import Failure, check_upload
from tests.loaders.fuzz_uploads import Doc, Sheet
from tests.loaders.mutate import mutated
from tests.loaders.mutate_sheet import sheet_bytes

SUFFIXES = {"ndjson": ".ndjson", "csv": ".csv", "xlsx": ".xlsx"}
FORMATS = tuple(SUFFIXES)
PATHS = ("native", "sql")


@dataclass
class Campaign:
    """What a run found: cases run, and per failure class the cases (name, detail, kept input)."""

    cases: int = 0
    seconds: float = 0.0
    found: dict[str, list[tuple[str, str, Path]]] = field(default_factory=dict)

    def summary(self) -> str:
        failing = len({name for cases in self.found.values() for name, _, _ in cases})
        lines = [f"{self.cases} cases in {self.seconds:.1f} s, {failing} failing"]
        for check, cases in sorted(self.found.items()):
            name, detail, kept = cases[0]
            lines.append(f"  {check}: {len(cases)} case(s), e.g. {name}: {detail} [{kept}]")
        return "\n".join(lines)


@contextmanager
def reading_path(path: str):
    """Switch the compiled fast path on (``native``) or off (``sql``) for the cases run inside."""
    before = os.environ.get("TCW_NATIVE")
    os.environ["TCW_NATIVE"] = "0" if path == "sql" else "1"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TCW_NATIVE", None)
        else:
            os.environ["TCW_NATIVE"] = before


def write_upload(upload: Doc | Sheet, target: Path, seed: str) -> Path:
    """The upload's file (a workbook is saved, and damaged when the case says so)."""
    target.write_bytes(sheet_bytes(upload, random.Random(seed)) if isinstance(upload, Sheet) else upload.data)
    return target


def case_name(fmt: str, index: int, upload: Doc | Sheet) -> str:
    encoding = getattr(upload, "encoding", "xlsx")
    return f"{fmt}-{index:05d}-{encoding}-{'+'.join(upload.mutations)}"


def run_cases(fmt: str, path: str, cases: Iterable[int], seed: int, root: Path) -> Campaign:
    """Cases ``cases`` of ``fmt`` on ``path``; a failing case's input is kept under ``root/failing``."""
    campaign = Campaign()
    started = time.monotonic()
    with reading_path(path):
        for index in cases:
            upload = mutated(fmt, seed, index)
            name = case_name(fmt, index, upload)
            file = write_upload(upload, root / f"{name[:120]}{SUFFIXES[fmt]}", f"{seed}:{index}")
            failures = _checked(upload, file, Workspace(root / "ws"))
            shutil.rmtree(root / "ws", ignore_errors=True)
            campaign.cases += 1
            if failures:
                kept = root / "failing" / path / file.name
                kept.parent.mkdir(parents=True, exist_ok=True)
                file.replace(kept)
                for failure in failures:
                    campaign.found.setdefault(failure.check, []).append((name, failure.detail, kept))
            else:
                file.unlink()
    campaign.seconds = time.monotonic() - started
    return campaign


def _checked(upload: Doc | Sheet, file: Path, workspace: Workspace) -> list[Failure]:
    try:
        return check_upload(upload, file, workspace)
    except Exception as error:  # the test's own fault: reported, the campaign goes on
        return [Failure(f"test-oracle-error:{type(error).__name__}", str(error)[:300])]


def still_fails(upload: Doc, check: str, root: Path) -> bool:
    file = write_upload(upload, root / f"probe{SUFFIXES[upload.fmt]}", "probe")
    failures = _checked(upload, file, Workspace(root / "probe-ws"))
    shutil.rmtree(root / "probe-ws", ignore_errors=True)
    return any(f.check == check for f in failures)


def minimized(upload: Doc, check: str, root: Path) -> Doc:
    """The upload with as few lines as still fail ``check`` (the CSV header kept), removing halves,
    then quarters, down to single lines."""
    separator = b"\n"
    head = 1 if upload.fmt == "csv" else 0
    lines = upload.data.split(separator)
    chunk = max(1, (len(lines) - head) // 2)
    while chunk >= 1:
        start = head
        while start < len(lines):
            trial = lines[:start] + lines[start + chunk :]
            candidate = replace(upload, data=separator.join(trial))
            if trial != lines and still_fails(candidate, check, root):
                lines = trial
            else:
                start += chunk
        chunk //= 2
    return replace(upload, data=separator.join(lines))


def save_repros(campaign: Campaign, fmt: str, path: str, seed: int, target: Path, work: Path) -> None:
    """For each class, the first failing case (a text upload cut down to its failing lines), and a note of
    what went wrong, under ``target/<class>``."""
    for check, cases in campaign.found.items():
        name, detail, kept = cases[0]
        upload = mutated(fmt, seed, int(name.split("-")[1]))
        if isinstance(upload, Doc):
            with reading_path(path):
                data = minimized(upload, check, work).data
        else:
            data = kept.read_bytes()
        folder = target / check.replace(":", "_").replace("@", "_at_")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{path}-{name[:100]}{SUFFIXES[fmt]}").write_bytes(data)
        with open(folder / "cases.txt", "a", encoding="utf-8") as notes:
            notes.write(f"{path} {name} ({len(cases)} cases): {detail}\n")


def _append_report(report: Path, fmt: str, path: str, campaign: Campaign) -> None:
    with open(report, "a", encoding="utf-8") as handle:
        for check, cases in campaign.found.items():
            for name, detail, _ in cases:
                row = {"format": fmt, "path": path, "case": name, "check": check, "detail": detail}
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=200, help="cases per format")
    parser.add_argument("--seed", type=int, default=20250601)
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--paths", default=",".join(PATHS))
    parser.add_argument("--repros", type=Path, default=None, help="folder for minimal reproducing files")
    parser.add_argument("--work", type=Path, default=Path("/tmp/fuzz-work"))
    parser.add_argument("--report", type=Path, default=None, help="every failure as a JSON line")
    options = parser.parse_args()
    totals: Counter = Counter()
    for fmt in options.formats.split(","):
        for path in options.paths.split(","):
            work = options.work / f"{fmt}-{path}"
            work.mkdir(parents=True, exist_ok=True)
            campaign = run_cases(fmt, path, range(options.cases), options.seed, work)
            print(f"== {fmt} on the {path} path: {campaign.summary()}", flush=True)
            totals.update({check: len(cases) for check, cases in campaign.found.items()})
            if options.report is not None:
                _append_report(options.report, fmt, path, campaign)
            if options.repros is not None:
                save_repros(campaign, fmt, path, options.seed, options.repros, work)
    print("== failure classes:", dict(totals.most_common()))


if __name__ == "__main__":
    main()

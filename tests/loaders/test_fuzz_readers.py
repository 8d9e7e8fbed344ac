"""Fuzz test of the readers: valid uploads (NDJSON envelopes, CSV with Chinese headers in UTF-8 and
GB18030, XLSX) mutated by a seeded mutator (``mutate``), each ingested into a fresh workspace on the
compiled fast path and on the SQL path (``TCW_NATIVE=0``). For every case (``fuzz_oracle``): the outcome
is success or ``BadInput``; ``read = accepted + rejected + duplicates`` and ``read`` equals the test's
own count of the file's records; every non-blank line is in an event or a reject; no U+FFFD, non-finite
number or implausible year is accepted; every line whose meaning the test knows reads as it must.

Bounded: ``TCW_FUZZ_CASES`` mutated uploads per format (default 40), each read on both paths, seed
``TCW_FUZZ_SEED``; plus the cases of longer campaigns that found a class of failure (``PINNED``) and a
few uploads through ``tcw ingest``. A failing case's input is kept under the test's ``tmp_path``/failing;
longer campaigns with minimal reproducing files: ``python -m tests.loaders.fuzz_campaign --help``.
"""

from __future__ import annotations

import os
import re

import pytest

from loaders import native
from tests.loaders.fuzz_campaign import FORMATS, SUFFIXES, reading_path, run_cases, write_upload
from tests.loaders.fuzz_lines import physical_lines
from tests.loaders.fuzz_oracle import unraisable_kept
from tests.loaders.mutate import mutated, mutations
from workbench.cli import main

CASES = int(os.environ.get("TCW_FUZZ_CASES", "40"))
SEED = int(os.environ.get("TCW_FUZZ_SEED", "20250601"))
PINNED_SEED = 20250601
#: cases of longer campaigns (seed 20250601) that each found a class of failure, run every time: the
#: class after each index. Re-pick them with ``fuzz_campaign --report`` when the mutator changes.
PINNED = {
    "ndjson": [18, 262, 391, 287, 20, 48,  # non-finite, year 9999, U+FFFD, full-width ｜, duplicate key, made-up reject
               921, 121, 65, 53, 83, 1966,  # guessed code page, UTF-8 line in GB18030, U+3000 line (native),
               188],  # BOM + JSON array, GB18030 array cut, deep value in an array; a GB18030 array read whole
    "csv": [6, 41, 19, 17, 66,  # unbalanced quote, non-finite, year 1000, full-width separator, duplicate column
            32, 10, 48, 2060],  # CR line ends, one CR line end, bad bytes in a bad row, UTF-8 line in GB18030
    "xlsx": [31, 2, 244, 16, 7, 239],  # non-finite, year 0001, full-width, duplicate column, empty rows, damaged
}
#: uploads also run through ``tcw ingest``: (format, the case's first mutation, path)
CLI_CASES = [("csv", "cr_only", "sql"), ("csv", "duplicate_column", "native"), ("ndjson", "truncate_multibyte", "native"),
             ("ndjson", "non_object_line", "sql"), ("xlsx", "x_corrupt", "native"), ("xlsx", "x_empty_rows", "sql")]
SUMMARY = re.compile(r"读取 read ([\d,]+) 条记录 = 接收 accepted ([\d,]+) \+ 拒收 rejected ([\d,]+) \+ 重复 duplicates ([\d,]+)")


def _skip_without_native(path: str) -> None:
    if path == "native" and native.tcw_native is None:
        pytest.skip("the compiled fast path is not built")


@pytest.mark.parametrize("path", ["native", "sql"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_mutated_uploads_lose_nothing_and_garble_nothing(fmt, path, tmp_path, record_property):
    _skip_without_native(path)
    campaign = run_cases(fmt, path, range(CASES), SEED, tmp_path)
    record_property("fuzz_cases", campaign.cases)
    print(f"{fmt} on the {path} path (seed {SEED}): {campaign.summary()}")
    assert campaign.cases == CASES
    assert not campaign.found, campaign.summary()


@pytest.mark.parametrize("path", ["native", "sql"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_cases_that_found_a_failure_class_stay_fixed(fmt, path, tmp_path):
    _skip_without_native(path)
    campaign = run_cases(fmt, path, PINNED[fmt], PINNED_SEED, tmp_path)
    assert not campaign.found, campaign.summary()


@pytest.mark.parametrize(("fmt", "first", "path"), CLI_CASES)
def test_tcw_ingest_exits_0_or_2_and_counts_every_record(fmt, first, path, tmp_path, capsys):
    _skip_without_native(path)
    upload = mutated(fmt, SEED, list(mutations(fmt)).index(first))
    file = write_upload(upload, tmp_path / f"upload{SUFFIXES[fmt]}", f"{SEED}:cli")
    ignored: list = []
    with reading_path(path), unraisable_kept(ignored):
        status = main(["ingest", str(file), "--workspace", str(tmp_path / "ws"), "--workers", "1"])
    out, err = capsys.readouterr()
    assert status in (0, 2), f"{upload.mutations}: exit {status}: {err.strip()}"
    assert "Traceback" not in err and not ignored, (err, [info.exc_value for info in ignored])
    if status == 2:
        assert upload.bad_input_ok, f"{upload.mutations}: a row-level change stopped the file: {err.strip()}"
        assert len(err.strip().splitlines()) == 1 and err.startswith("错误 error: "), err
        return
    read, accepted, rejected, duplicates = (int(n.replace(",", "")) for n in SUMMARY.search(out).groups())
    assert read == accepted + rejected + duplicates
    lines = physical_lines(upload, file)
    if lines is not None and all(line.records is not None for line in lines):
        assert read == sum(line.records for line in lines), f"{upload.mutations}: {out}"

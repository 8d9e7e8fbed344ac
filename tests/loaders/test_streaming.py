"""Memory stays flat in file size: a file four times larger does not need four times the memory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import json, sys
from tests.memory import peak_rss_mib
from pathlib import Path
from loaders.ingest import ingest
from loaders.workspace import Workspace
n, folder = int(sys.argv[1]), Path(sys.argv[2])
path = folder / "big.ndjson"
with open(path, "w", encoding="utf-8") as out:
    for i in range(n):
        rec = {"med_list_codg": "XA01ABD075A002010100483", "fixmedins_hilist_name": "奥美拉唑肠溶胶囊",
               "fixmedins_bchno": f"S{i}", "psn_no": f"500116{i:020d}", "sel_retn_cnt": 1, "finl_trns_pric": 9.5,
               "sel_retn_time": "2025-06-01 10:30:12", "drugtracinfo": [{"drug_trac_codg": f"8{i:019d}"}]}
        env = {"infno": "3505", "fixmedins_code": "P50011600012", "inf_time": "2025-06-02 01:00:00",
               "input": {"selinfo": rec}}
        out.write(json.dumps(env, ensure_ascii=False) + "\n")
report = ingest([path], Workspace(folder / "ws"), workers=1)
assert report.counts.accepted == n, report.counts
print(peak_rss_mib())
"""


def peak_mib(records: int, folder) -> int:
    # small tasks and low caps, so that both files are many tasks long and every cap is reached
    env = {**os.environ, "TCW_MEMORY_LIMIT": "160MB", "TCW_WORKER_MEMORY_LIMIT": "160MB", "TCW_TASK_MB": "8"}
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(records), str(folder)], cwd=ROOT,
                            capture_output=True, text=True, timeout=900, check=True, env=env)
    return int(result.stdout.split()[-1])


@pytest.mark.slow
def test_peak_memory_does_not_grow_with_file_size(tmp_path):
    (tmp_path / "small").mkdir()
    (tmp_path / "large").mkdir()
    small = peak_mib(150_000, tmp_path / "small")
    large = peak_mib(600_000, tmp_path / "large")
    print(f"peak RSS MiB: {small} at 150k records, {large} at 600k")
    assert large < small * 1.3 + 50, (small, large)  # the file is 4x larger

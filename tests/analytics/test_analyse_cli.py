"""``tcw analyse`` on the command line: files by extension, one clear line and exit 2 for bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from loaders.workspace import Workspace
from tests.analytics.test_analyse import cluster_rows, ring_rows
from tests.neo4j_server import wipe
from tests.workbench.events_builder import event, write
from workbench.analytics.run import BROKER_COLUMNS, COMMUNITY_COLUMNS


def tcw(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "TCW_DEBUG"} | (env or {})
    return subprocess.run([sys.executable, "-m", "workbench.cli", *args], capture_output=True, text=True,
                          env=environ, timeout=600)


@pytest.fixture
def networks(tmp_path) -> Workspace:
    return write(Workspace(tmp_path / "ws"), ring_rows() + cluster_rows())


def test_writes_both_files_in_the_workspace_by_default(networks):
    done = tcw("analyse", "-w", str(networks.root))
    assert done.returncode == 0, done.stderr
    assert "回流团伙 reflux rings: 1" in done.stdout and "假药网络 counterfeit clusters: 1" in done.stdout
    communities = pacsv.read_csv(networks.root / "analysis" / "communities.csv")
    brokers = pacsv.read_csv(networks.root / "analysis" / "brokers.csv")
    assert tuple(communities.column_names) == COMMUNITY_COLUMNS and communities.num_rows == 2
    assert tuple(brokers.column_names) == BROKER_COLUMNS and brokers.num_rows >= 2
    assert (networks.root / "analysis" / "communities.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_named_files_take_their_format_from_the_extension(networks, tmp_path):
    rings, brokers = tmp_path / "out" / "rings.parquet", tmp_path / "out" / "brokers.json"
    done = tcw("analyse", "-w", str(networks.root), "--communities", str(rings), "--brokers", str(brokers),
               "--param", "min_codes=3", "--param", "resolution=0.05")
    assert done.returncode == 0, done.stderr
    table = pq.read_table(rings)
    assert table.num_rows == 2 and json.loads(table.column("params")[0].as_py())["resolution"] == 0.05
    assert {row["role"] for row in json.loads(brokers.read_text(encoding="utf-8"))} >= {"reseller"}


@pytest.mark.parametrize("params, says", [
    (["min_codes=1"], "min_codes must be within 2 – 10000"),
    (["resolution=0"], "resolution must be within"),
    (["seed=-1"], "seed must be within"),
    (["min_span_days=400"], "min_span_days must be below max_span_days"),
    (["colour=red"], "unknown parameter 'colour'"),
    (["method=louvain-networkx", "objective=cpm"], "optimises modularity only"),
    (["objective=density"], "objective must be one of modularity, cpm"),
    (["split_above=1"], "split_above must be within 2 – 10000000"),
    (["min_codes"], "--param must be NAME=VALUE"),
])
def test_bad_parameters_are_one_line_and_exit_2(networks, params, says):
    done = tcw("analyse", "-w", str(networks.root), *[x for p in params for x in ("--param", p)])
    assert done.returncode == 2 and says in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not (networks.root / "analysis" / "communities.csv").exists()


def test_an_empty_workspace_and_one_without_flows_are_bad_input(tmp_path):
    empty = tcw("analyse", "-w", str(tmp_path / "nothing"))
    assert empty.returncode == 2 and "no events" in empty.stderr and "tcw ingest" in empty.stderr
    once = write(Workspace(tmp_path / "once"), [event(n, code=f"8123456{n:013d}") for n in range(5)])
    done = tcw("analyse", "-w", str(once.root))
    assert done.returncode == 2 and "no valid trace code was sold twice" in done.stderr
    plain = write(Workspace(tmp_path / "plain"), [event(1), event(2, day=1)])  # one code sold twice, one shop
    done = tcw("analyse", "-w", str(plain.root))
    assert done.returncode == 2 and "no reflux" in done.stderr and "Traceback" not in done.stderr


def test_a_file_where_a_folder_is_wanted_is_bad_usage(networks, tmp_path):
    (tmp_path / "taken").write_text("x")
    done = tcw("analyse", "-w", str(networks.root), "--out", str(tmp_path / "taken"))
    assert done.returncode == 2 and "--out" in done.stderr
    done = tcw("analyse", "-w", str(networks.root), "--communities", str(tmp_path / "rings.txt"))
    assert done.returncode == 2 and ".csv, .parquet, .json" in done.stderr


@pytest.mark.neo4j
def test_from_neo4j_before_tcw_graph_says_to_run_it(networks, neo4j_settings, neo4j_session_driver):
    wipe(neo4j_session_driver)
    login = {"NEO4J_URI": neo4j_settings.uri, "NEO4J_USER": neo4j_settings.user,
             "NEO4J_PASSWORD": neo4j_settings.password}
    done = tcw("analyse", "-w", str(networks.root), "--from", "neo4j", env=login)
    assert done.returncode == 2 and "run tcw graph first" in done.stderr, done.stderr

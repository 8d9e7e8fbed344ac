"""The local Neo4j server is the real thing: 5.26 community, auth on, managed by ``scripts/neo4j-local``."""

from __future__ import annotations

import doctest
import importlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from neo4j import GraphDatabase
from neo4j.exceptions import AuthError, ServiceUnavailable

from tests.neo4j_server import REPO, Neo4jSettings, check_reachable, node_count, unreachable, wipe

SCRIPT = REPO / "scripts" / "neo4j-local"


def run_script(*arguments: str, **environment: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **environment}
    return subprocess.run([sys.executable, str(SCRIPT), *arguments], env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.neo4j
def test_server_is_neo4j_5_26_community(neo4j_driver):
    records = neo4j_driver.execute_query("CALL dbms.components() YIELD name, versions, edition "
                                         "RETURN name, versions, edition").records
    kernel = {record["name"]: record for record in records}["Neo4j Kernel"]
    assert kernel["versions"][0].startswith("5.26.")
    assert kernel["edition"] == "community"


@pytest.mark.neo4j
def test_auth_is_on(neo4j_settings):
    with GraphDatabase.driver(neo4j_settings.uri, auth=(neo4j_settings.user, neo4j_settings.password + "x")) as wrong, \
            pytest.raises(AuthError, match="unauthorized"):
        wrong.verify_connectivity()


@pytest.mark.neo4j
def test_status_reports_the_running_server(neo4j_settings):
    if not neo4j_settings.from_env_file:
        pytest.skip(f"the server comes from NEO4J_URI ({neo4j_settings.uri}), not from scripts/neo4j-local")
    done = run_script("status")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"running: {neo4j_settings.uri}" in done.stdout


@pytest.mark.neo4j
def test_wipe_leaves_an_empty_database(neo4j_driver):
    neo4j_driver.execute_query("CREATE CONSTRAINT lot_key FOR (n:Lot) REQUIRE n.key IS UNIQUE")
    neo4j_driver.execute_query("CREATE INDEX site_region FOR (n:Site) ON (n.region)")
    neo4j_driver.execute_query("CREATE (:Lot {key: 1})-[:AT]->(:Site {region: '500116'})")
    assert node_count(neo4j_driver) == 2
    wipe(neo4j_driver)
    assert node_count(neo4j_driver) == 0
    assert neo4j_driver.execute_query("SHOW CONSTRAINTS").records == []
    kinds = {record["type"] for record in neo4j_driver.execute_query("SHOW INDEXES YIELD type").records}
    assert kinds <= {"LOOKUP"}


def test_a_closed_port_fails_fast_and_names_the_address():
    port = free_port()
    settings = Neo4jSettings(f"bolt://127.0.0.1:{port}", "neo4j", "not-used", "test")
    began = time.monotonic()
    with pytest.raises(ServiceUnavailable, match=f"127.0.0.1:{port}"):
        check_reachable(settings, timeout=2)
    assert time.monotonic() - began < 5


def test_no_server_fails_in_ci_and_skips_elsewhere(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="scripts/neo4j-local start"):
        unreachable("nothing listens")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="scripts/neo4j-local start"):
        unreachable("nothing listens")


def test_status_without_a_server_exits_3(tmp_path):
    done = run_script("status", NEO4J_LOCAL_HOME=str(tmp_path))
    assert done.returncode == 3
    assert "not running" in done.stdout


def test_start_on_a_taken_port_says_so_in_one_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_script("start", NEO4J_LOCAL_HOME=str(tmp_path), NEO4J_LOCAL_PORT=str(port))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and f"127.0.0.1:{port} is taken" in done.stderr
    assert not (tmp_path / "lib").exists()  # nothing fetched before the check


def test_a_malformed_memory_size_says_so_in_one_line(tmp_path):
    done = run_script("start", NEO4J_LOCAL_HOME=str(tmp_path), NEO4J_LOCAL_PORT="7999", NEO4J_LOCAL_HEAP="lots")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "NEO4J_LOCAL_HEAP='lots'" in done.stderr
    assert not (tmp_path / "lib").exists()


@pytest.mark.parametrize("module", ["neo4j_home", "neo4j_runtime", "neo4j_local"])
def test_tool_docstring_examples(module, monkeypatch):
    monkeypatch.syspath_prepend(str(Path(REPO / "tools" / "neo4j")))
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0

"""``tcw graph`` against the real local Neo4j server: writing twice changes nothing, a load killed half
way and run again ends in the graph of a clean load, hostile text round-trips and harms nothing, and a
wrong password or a server that is not there stops the command with one line and exit code 2. The bulk
import files, imported by ``neo4j-admin`` into a second server, give exactly the same graph."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

from loaders.workspace import Workspace
from tests.conftest import CODE_A, CODE_B, envelope, sale, write_ndjson
from tests.neo4j_server import REPO, parse_env, wipe
from tests.workbench import test_screen_synth
from tests.workbench.events_builder import event, write
from workbench.graph.bulk_import import import_command, write_import_files
from workbench.graph.communities import workspace_analysis, write_communities
from workbench.graph.neo4j_store import Neo4jStore
from workbench.graph.schema import schema
from workbench.graph.writer import GraphSettings, graph_settings
from workbench.screens.run import screen

sys.path.insert(0, str(REPO / "tools" / "neo4j"))
from neo4j_runtime import find_java  # noqa: E402  (the Java 17/21 the local server runs on)

pytestmark = pytest.mark.neo4j
HOSTILE_CODE = "8'\"`}) DETACH DELETE n //"
HOSTILE_NAME = "药房'); MATCH (n) DETACH DELETE n; //`\n第二行 \\ \"引号\""
district = test_screen_synth.district  # the generated district (seed, truth, leads), reused


def tcw_graph(ws: Workspace, settings: GraphSettings, *options: str, wait: bool = True, env: dict | None = None):
    """``tcw graph`` as a subprocess with the server's address and login (and ``env``) in its environment."""
    env = {**os.environ, "NEO4J_URI": settings.uri, "NEO4J_USER": settings.user, "NEO4J_PASSWORD": settings.password,
           **(env or {})}
    command = [sys.executable, "-m", "workbench.cli", "graph", "--workspace", str(ws.root), *options]
    if not wait:
        return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)


def dump(driver) -> list[str]:
    """Every node and relationship, canonical: label, key and properties; ends by label and key."""
    keys = {label.name: label.key for label in schema().labels}
    nodes = driver.execute_query("MATCH (n) RETURN labels(n) AS labels, properties(n) AS props").records
    links = driver.execute_query("MATCH (a)-[r]->(b) RETURN labels(a)[0] AS a, properties(a) AS ap, type(r) AS type, "
                                 "properties(r) AS props, labels(b)[0] AS b, properties(b) AS bp").records
    rows = [repr((r["labels"], sorted(r["props"].items()))) for r in nodes]
    rows += [repr((r["a"], r["ap"][keys[r["a"]]], r["type"], r["b"], r["bp"][keys[r["b"]]], sorted(r["props"].items())))
             for r in links]
    return sorted(rows)


def csv_files(folder) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in folder.glob("*.csv")}


def event_count(driver) -> int:
    return driver.execute_query("MATCH (n:Event) RETURN count(n) AS n").records[0]["n"]


@pytest.fixture
def district_ws(district) -> Workspace:
    return district[0]


@pytest.mark.parametrize("district", [3], indirect=True)
def test_writing_the_same_workspace_twice_changes_nothing(district_ws, neo4j_settings, neo4j_driver):
    first = tcw_graph(district_ws, neo4j_settings)
    assert first.returncode == 0, first.stderr
    assert "Event" in first.stdout and "events/s" in first.stdout
    before = dump(neo4j_driver)
    assert event_count(neo4j_driver) > 1000
    second = tcw_graph(district_ws, neo4j_settings, "--batch-size", "3000")
    assert second.returncode == 0, second.stderr
    assert dump(neo4j_driver) == before
    assert second.stdout.splitlines()[2:] == first.stdout.splitlines()[2:], "the same counts printed"


@pytest.mark.parametrize("district", [3], indirect=True)
def test_a_load_killed_half_way_resumes_to_the_graph_of_a_clean_load(district_ws, neo4j_settings, neo4j_driver):
    assert tcw_graph(district_ws, neo4j_settings).returncode == 0
    clean = dump(neo4j_driver)
    total = event_count(neo4j_driver)
    neo4j_driver.execute_query("MATCH (n) DETACH DELETE n")
    process = tcw_graph(district_ws, neo4j_settings, "--batch-size", "100", wait=False)
    try:
        written = _wait_for_events(neo4j_driver, process, at_least=300)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    killed_at = event_count(neo4j_driver)
    assert written <= killed_at < total, "killed half way"
    assert killed_at % 100 == 0, "a batch is one transaction: whole batches only"
    assert dump(neo4j_driver) != clean
    resumed = tcw_graph(district_ws, neo4j_settings, "--batch-size", "100")
    assert resumed.returncode == 0, resumed.stderr
    assert dump(neo4j_driver) == clean


def test_a_3507_delete_takes_its_event_out_of_the_graph_on_the_next_load(tmp_path, load, workspace, neo4j_settings,
                                                                        neo4j_driver, neo4j_session_driver):
    load(write_ndjson(tmp_path / "a.ndjson", [envelope("3505", "selinfo", sale("S1", [CODE_A])),
                                               envelope("3505", "selinfo", sale("S2", [CODE_B]))]))
    assert tcw_graph(workspace, neo4j_settings).returncode == 0 and event_count(neo4j_driver) == 2
    load(write_ndjson(tmp_path / "b.ndjson", [envelope("3507", "data", {"fixmedins_bchno": "S1", "inv_data_type": "4"},
                                                       inf_time="2025-06-09 00:00:00")]))
    again = tcw_graph(workspace, neo4j_settings)
    assert again.returncode == 0, again.stderr
    assert "移除 removed: 1 事件 events" in again.stdout
    after = dump(neo4j_driver)
    assert not any(CODE_A in row for row in after)
    wipe(neo4j_session_driver)
    assert tcw_graph(workspace, neo4j_settings).returncode == 0 and dump(neo4j_driver) == after


def test_a_graph_written_with_48_bit_pseudonyms_is_migrated_by_the_next_load(workspace, neo4j_settings, neo4j_driver):
    write(workspace, [event(0, institution_code="H50011600001", institution_type="hospital", psn_no="PATIENT-1"),
                      event(1, day=30, institution_code="P50011600002", institution_type="pharmacy", psn_no="BUYER-9")])
    assert tcw_graph(workspace, neo4j_settings).returncode == 0
    clean = dump(neo4j_driver)
    keys = "MATCH (p:Patient) RETURN p.pseudonym AS key ORDER BY key"
    assert [len(r["key"]) for r in neo4j_driver.execute_query(keys).records] == [36, 36], "PSN- and 128 bits"
    # the graph as the 48-bit form wrote it: the same HMAC, its first 12 hex digits (and a lead naming one)
    neo4j_driver.execute_query("MATCH (p:Patient) SET p.pseudonym = left(p.pseudonym, $old)", old=16)
    neo4j_driver.execute_query("MATCH (n:Lead) SET n.details = $details", details='{"patient": "PSN-0123456789ab"}')
    again = tcw_graph(workspace, neo4j_settings)
    assert again.returncode == 0, again.stderr
    assert "2 参保人 persons" in again.stdout
    assert dump(neo4j_driver) == clean, "no old-form Patient left, every event linked to its person once"


def _wait_for_events(driver, process: subprocess.Popen, at_least: int, timeout: float = 300) -> int:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        assert process.poll() is None, f"tcw graph ended before it could be killed: {process.stderr.read()}"
        written = event_count(driver)
        if written >= at_least:
            return written
        time.sleep(0.05)
    raise AssertionError("no events written in time")


def test_hostile_codes_and_names_round_trip_verbatim_and_harm_nothing(workspace, neo4j_settings, neo4j_driver):
    neo4j_driver.execute_query("CREATE (:Sentinel {name: 'still here'})")
    rows = [event(0, code=HOSTILE_CODE, institution_code="H50011600001", institution_type="hospital",
                  institution_name=HOSTILE_NAME, psn_no="PATIENT-1"),
            event(1, code=HOSTILE_CODE, day=30, institution_code=HOSTILE_CODE + "P", supplier="}) RETURN 1 //",
                  batch_no="`]` {x: 1}", source_file="a'b\"c`.json")]
    write(workspace, rows)
    done = tcw_graph(workspace, neo4j_settings)
    assert done.returncode == 0, done.stderr
    store = Neo4jStore.connect(neo4j_settings.uri, neo4j_settings.user, neo4j_settings.password)
    try:
        history = store.code_history(HOSTILE_CODE)
        assert [h["institution"] for h in history] == ["H50011600001", HOSTILE_CODE + "P"]
        graph = store.neighbourhood("Code", HOSTILE_CODE, hops=2)
        assert graph.nodes["Institution:H50011600001"]["caption"] == HOSTILE_NAME
        assert graph.nodes[f"Event:{rows[1]['event_id']}"]["batch_no"] == "`]` {x: 1}"
        assert graph.nodes[f"Event:{rows[1]['event_id']}"]["source_file"] == "a'b\"c`.json"
        assert "Institution:supplier:}) RETURN 1 //" in store.neighbourhood("Event", rows[1]["event_id"], hops=1)
        counts = store.counts()
        assert (counts["Event"], counts["Code"], counts["Institution"]) == (2, 1, 3)
    finally:
        store.close()
    sentinel = neo4j_driver.execute_query("MATCH (s:Sentinel) RETURN s.name AS name").records
    assert [r["name"] for r in sentinel] == ["still here"]


def test_a_wrong_password_is_one_line_and_exit_code_2(workspace, neo4j_settings, neo4j_driver):
    write(workspace, [event(0)])
    wrong = GraphSettings(neo4j_settings.uri, neo4j_settings.user, neo4j_settings.password + "-wrong")
    done = tcw_graph(workspace, wrong)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "password" in done.stderr and "口令" in done.stderr and neo4j_settings.uri in done.stderr
    assert wrong.password not in done.stderr
    assert event_count(neo4j_driver) == 0


def test_a_server_that_is_not_there_is_one_line_and_exit_code_2(workspace, neo4j_settings):
    write(workspace, [event(0)])
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    closed = GraphSettings(f"bolt://127.0.0.1:{port}", neo4j_settings.user, neo4j_settings.password)
    began = time.monotonic()
    done = tcw_graph(workspace, closed)
    assert done.returncode == 2 and time.monotonic() - began < 60
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "cannot reach Neo4j" in done.stderr and "无法连接" in done.stderr and f":{port}" in done.stderr


def test_settings_come_from_the_option_then_the_environment(workspace):
    environ = {"NEO4J_URI": "bolt://env:7687", "NEO4J_USER": "u", "NEO4J_PASSWORD": "secret"}
    assert graph_settings("bolt://option:7687", environ).uri == "bolt://option:7687"
    assert graph_settings(None, environ) == GraphSettings("bolt://env:7687", "u", "secret")
    assert "secret" not in repr(graph_settings(None, environ))
    write(workspace, [event(0)])
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
    done = subprocess.run([sys.executable, "-m", "workbench.cli", "graph", "--workspace", str(workspace.root)],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "NEO4J_PASSWORD" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("district", [3], indirect=True)
def test_the_bulk_import_files_give_the_graph_of_a_transactional_load(district_ws, neo4j_settings, neo4j_driver,
                                                                     tmp_path):
    ws = Workspace(tmp_path / "ws")
    shutil.copytree(district_ws.root, ws.root)
    write(ws, [event(0, code=HOSTILE_CODE, institution_code="H50011600001", institution_type="hospital",
                     institution_name=HOSTILE_NAME, psn_no="PATIENT-1", amount=float("inf")),
               event(1, code=HOSTILE_CODE, day=30, institution_code=HOSTILE_CODE + "P", supplier="}) RETURN 1 //",
                     batch_no="`]` {x: 1}", source_file="a'b\"c`.json", unit_price=float("-inf"))])
    assert tcw_graph(ws, neo4j_settings).returncode == 0
    transactional = dump(neo4j_driver)
    leads = screen(ws)
    files = write_import_files(ws, tmp_path / "import", leads, batch_size=1000, workers=2)
    assert files.events == event_count(neo4j_driver)
    alone = write_import_files(ws, tmp_path / "alone", leads, batch_size=1000, workers=1)
    assert csv_files(alone.folder) == csv_files(files.folder), "the same files built here or in two processes"
    assert not list(files.folder.glob(".waiting-*")), "the waiting relationships are cleaned up"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    home = tmp_path / "neo4j"
    env = {**os.environ, "NEO4J_LOCAL_HOME": str(home), "NEO4J_LOCAL_PORT": str(port)}
    local = [sys.executable, str(REPO / "scripts" / "neo4j-local")]
    subprocess.run([*local, "start"], env=env, check=True, capture_output=True, timeout=600)
    try:
        subprocess.run([*local, "stop"], env=env, check=True, capture_output=True, timeout=120)
        java, java_home = find_java(os.environ)
        imported = subprocess.run(import_command(home, files, java=str(java)), capture_output=True, text=True,
                                  env={**os.environ, "NEO4J_HOME": str(home), "NEO4J_CONF": str(home / "conf"),
                                       "JAVA_HOME": str(java_home)}, timeout=600)
        assert imported.returncode == 0, imported.stdout + imported.stderr
        assert (files.folder / "import.report").exists()  # beside the files, not in the working folder
        subprocess.run([*local, "start"], env=env, check=True, capture_output=True, timeout=600)
        login = parse_env((home / "env").read_text(encoding="utf-8"))
        store = Neo4jStore.connect(login["NEO4J_URI"], login["NEO4J_USER"], login["NEO4J_PASSWORD"])
        try:
            assert write_communities(store, workspace_analysis(ws))["removed_communities"] == 0  # tcw graph's last step
            assert dump(store.driver) == transactional
            assert store.code_history(HOSTILE_CODE)[0]["institution"] == "H50011600001"
        finally:
            store.close()
    finally:
        subprocess.run([*local, "stop"], env=env, capture_output=True, timeout=120)

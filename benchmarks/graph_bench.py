"""Graph write throughput and query latency on ≥ 1 M generated events, against a Neo4j server of its own
(``scripts/neo4j-local`` with home ``.bench/neo4j`` on port 7688, so the test server is left alone):

1. the naive baseline (``naive_graph_loader.py``: one event per transaction, a ``MERGE`` per element) on
   the first ``--naive-events`` events, into an empty database;
2. ``tcw graph`` on the whole workspace, into an empty database (events/s of the write, screens apart);
3. the bulk path for a first load: the same elements as import files, ``neo4j-admin database import
   full`` into the stopped server, then the constraints and indexes; the counts must equal step 2's;
4. on that graph, latency p50/p95 of ``code_history`` for ``--queries`` random codes, of the 2-hop
   neighbourhood of random codes as an investigator expands one (through events, institutions, persons,
   codes and leads; not through the product and region hubs every code shares), and of the 2-hop
   neighbourhood of every institution through its leads (no events: a busy institution has tens of
   thousands); one unrestricted 2-hop neighbourhood of the busiest institution shows why.

    python benchmarks/graph_bench.py [--records 700000] [--naive-events 20000] [--queries 200] [--skip-write]

Data: ``tcw generate --format json --seed 11`` and ``tcw ingest``, cached under ``.bench/``. The server
runs with the project's test settings (printed); ``NEO4J_LOCAL_HEAP`` and ``NEO4J_LOCAL_PAGECACHE`` in the
environment change its memory. Latencies are of a server in use: each query first runs on ``3 × --queries``
other random codes (the JIT compiled, the query plans cached), then is timed on the sample.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
from bench_data import BENCH, ROOT, TCW, checked, generated_workspace
from measure import measure

from loaders.workspace import Workspace

HOME = BENCH / "neo4j"
PORT = os.environ.get("GRAPH_BENCH_PORT", "7688")
#: What an investigator walks through from a code; and from an institution, through its leads.
CODE_WALK = ("Event", "Institution", "Patient", "Code", "Pack", "Lead")
LEAD_WALK = ("Lead", "Code", "Pack", "Institution", "Patient", "Product")


def server(command: str) -> None:
    env = {**os.environ, "NEO4J_LOCAL_HOME": str(HOME), "NEO4J_LOCAL_PORT": PORT}
    subprocess.run([sys.executable, str(ROOT / "scripts" / "neo4j-local"), command], env=env, check=True,
                   stdout=subprocess.DEVNULL)


def empty_database() -> dict[str, str]:
    """Restart the bench server on an empty ``neo4j`` database; its login as environment variables."""
    server("stop")
    for folder in ("databases", "transactions"):
        shutil.rmtree(HOME / "data" / folder / "neo4j", ignore_errors=True)
    server("start")
    return login()


def login() -> dict[str, str]:
    """The bench server's address and login (its env file) as environment variables."""
    values = dict(line.split("=", 1) for line in (HOME / "env").read_text().splitlines() if "=" in line
                  and not line.startswith("#"))
    return {name: values[name] for name in ("NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD")}


def naive(ws: Path, login: dict[str, str], events: int) -> tuple[int, float]:
    result = checked(measure([sys.executable, str(ROOT / "benchmarks" / "naive_graph_loader.py"), str(ws),
                             "--uri", login["NEO4J_URI"], "--events", str(events)], env={**os.environ, **login}))
    written, seconds, _ = result.stdout.split()[-3:]
    return int(written), float(seconds)


def tcw_graph(ws: Path, login: dict[str, str], batch_size: int):
    result = checked(measure([*TCW, "graph", "--workspace", str(ws), "--batch-size", str(batch_size)],
                            env={**os.environ, **login}))
    seconds = float(re.search(r"written: .*\(([\d.]+) s, [\d,]+ events/s\)", result.stdout).group(1))
    return result, seconds


def percentiles(run: Callable[[object], object], items: list) -> tuple[float, float, list]:
    """p50 and p95 in milliseconds of ``run`` over ``items`` (the caller warms the server first)."""
    times, answers = [], []
    for item in items:
        began = time.perf_counter()
        answers.append(run(item))
        times.append((time.perf_counter() - began) * 1000)
    cuts = statistics.quantiles(times, n=100)
    return cuts[49], cuts[94], answers


def memory_settings(store) -> str:
    query = "SHOW SETTINGS YIELD name, value WHERE name IN $names RETURN name, value"
    rows = store.driver.execute_query(query, names=["server.memory.heap.initial_size", "server.memory.heap.max_size",
                                                    "server.memory.pagecache.size", "db.memory.transaction.total.max"]
                                      ).records
    return ", ".join(f"{row['name']}={row['value']}" for row in rows)


def ping(store) -> None:
    """One auto-commit query that does nothing, as the store sends its reads."""
    with store.driver.session(database=store.database) as session:
        session.run("RETURN 1").consume()


def queries(store, ws: Path, count: int) -> None:
    rng = random.Random(11)
    events = {"p": str(ws / "events" / "*.parquet")}
    codes = [row[0] for row in duckdb.sql("SELECT DISTINCT trace_code FROM read_parquet($p) WHERE trace_code <> '' "
                                          "ORDER BY 1", params=events).fetchall()]
    picked = rng.sample(codes, 4 * count)
    warm, sample = picked[count:], picked[:count]
    for code in warm:  # a server in use: compiled, plans cached
        ping(store), store.code_history(code), store.neighbourhood("Code", code, 2, labels=CODE_WALK)
    places = [row[0] for row in duckdb.sql("SELECT institution_code, count(*) FROM read_parquet($p) GROUP BY 1 "
                                           "ORDER BY 2 DESC, 1", params=events).fetchall()]
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("| query | p50 ms | p95 ms | answers |")
    print("|---|---|---|---|")
    p50, p95, _ = percentiles(lambda _: ping(store), sample)
    print(f"| round trip alone (RETURN 1), for scale | {p50:.1f} | {p95:.1f} | |")
    p50, p95, answers = percentiles(store.code_history, sample)
    print(f"| code_history ({count} random codes) | {p50:.1f} | {p95:.1f} | "
          f"{statistics.mean(map(len, answers)):.1f} events on average |")
    p50, p95, answers = percentiles(lambda code: store.neighbourhood("Code", code, 2, labels=CODE_WALK), sample)
    print(f"| 2-hop neighbourhood of a code ({count} random codes; {', '.join(CODE_WALK)}) | {p50:.1f} | {p95:.1f} | "
          f"{statistics.mean(map(len, answers)):.1f} nodes on average, at most {max(map(len, answers))} |")
    chosen = (places * (count // len(places) + 1))[:count] if places else []
    p50, p95, answers = percentiles(lambda code: store.neighbourhood("Institution", code, 2, labels=LEAD_WALK),
                                    chosen)
    print(f"| 2-hop neighbourhood of an institution through its leads ({len(chosen)} queries over "
          f"{len(places)} institutions; {', '.join(LEAD_WALK)}) | {p50:.1f} | {p95:.1f} | "
          f"{statistics.mean(map(len, answers)):.1f} nodes on average, at most {max(map(len, answers))} |")
    began = time.perf_counter()
    whole = store.neighbourhood("Institution", places[0], 2)
    print(f"| unrestricted 2-hop neighbourhood of the busiest institution ({places[0]}), once | "
          f"{(time.perf_counter() - began) * 1000:,.0f} | | {len(whole):,} nodes, {whole.number_of_edges():,} "
          "relationships |")


def bulk(ws: Path, folder: Path) -> tuple[dict[str, float], dict[str, int]]:
    """Seconds of each step of the bulk path, and the graph's counts after it."""
    from workbench.graph.bulk_import import import_command, write_import_files
    from workbench.graph.neo4j_store import Neo4jStore
    from workbench.screens.run import screen

    sys.path.insert(0, str(ROOT / "tools" / "neo4j"))
    from neo4j_runtime import find_java

    empty_database()
    server("stop")
    seconds, began = {}, time.perf_counter()
    leads = screen(Workspace(ws))
    seconds["screens (not counted)"], began = time.perf_counter() - began, time.perf_counter()
    shutil.rmtree(folder, ignore_errors=True)
    files = write_import_files(Workspace(ws), folder, leads)
    seconds["import files"] = time.perf_counter() - began
    java, java_home = find_java(os.environ)
    env = {**os.environ, "NEO4J_HOME": str(HOME), "NEO4J_CONF": str(HOME / "conf"), "JAVA_HOME": str(java_home)}
    imported = checked(measure(import_command(HOME, files, java=str(java)), env=env))
    seconds["neo4j-admin import"], began = imported.seconds, time.perf_counter()
    server("start")
    seconds["server start (not counted)"], began = time.perf_counter() - began, time.perf_counter()
    settings = login()
    store = Neo4jStore.connect(settings["NEO4J_URI"], settings["NEO4J_USER"], settings["NEO4J_PASSWORD"])
    try:
        seconds["constraints and indexes"] = time.perf_counter() - began
        return seconds, store.counts()
    finally:
        store.close()


def write_figures(ws: Path, events: int, naive_events: int, batch_size: int) -> dict[str, int]:
    """Steps 1 and 2; the graph's counts after ``tcw graph``."""
    from workbench.graph.neo4j_store import Neo4jStore

    written, naive_seconds = naive(ws, empty_database(), naive_events)
    settings = empty_database()
    result, seconds = tcw_graph(ws, settings, batch_size)
    print("\n".join(line for line in result.stdout.splitlines() if line.strip()))
    print("| writer | events | seconds | events/s | peak RSS MiB (client) | ratio |")
    print("|---|---|---|---|---|---|")
    print(f"| naive: one event per transaction, MERGE per element | {written:,} | {naive_seconds:.1f} | "
          f"{written / naive_seconds:,.0f} | | 1.0× |")
    print(f"| tcw graph (batches of {batch_size:,}, UNWIND) | {events:,} | {seconds:.1f} | {events / seconds:,.0f} | "
          f"{result.peak_rss_mib:,.0f} | {events / seconds / (written / naive_seconds):.1f}× |")
    store = Neo4jStore.connect(settings["NEO4J_URI"], settings["NEO4J_USER"], settings["NEO4J_PASSWORD"])
    try:
        return store.counts()
    finally:
        store.close()


def bulk_figures(ws: Path, events: int, counts: dict[str, int] | None) -> None:
    """Step 3 (the bench server holds the imported graph afterwards)."""
    steps, bulk_counts = bulk(ws, BENCH / "graph-import")
    counted = sum(value for step, value in steps.items() if "not counted" not in step)
    print("| bulk path step | seconds |")
    print("|---|---|")
    for step, value in steps.items():
        print(f"| {step} | {value:.1f} |")
    print(f"| **bulk first load: {events / counted:,.0f} events/s** | {counted:.1f} |")
    print("graph after the bulk path: " + ", ".join(f"{label} {count:,}" for label, count in bulk_counts.items()))
    if counts is not None:
        print(f"graph after the bulk path: {'the same' if bulk_counts == counts else 'DIFFERENT'} counts as after "
              "tcw graph")


def query_figures(ws: Path, count: int) -> None:
    """Step 4, on the graph the bench server holds."""
    from workbench.graph.neo4j_store import Neo4jStore

    settings = login()
    store = Neo4jStore.connect(settings["NEO4J_URI"], settings["NEO4J_USER"], settings["NEO4J_PASSWORD"])
    try:
        print(f"Neo4j: {memory_settings(store)}")
        queries(store, ws, count)
    finally:
        store.close()


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=700_000)
    parser.add_argument("--naive-events", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=5_000)
    parser.add_argument("--skip-write", action="store_true", help="only the bulk path and the queries")
    parser.add_argument("--keep-server", action="store_true", help="leave the bench server running")
    args = parser.parse_args()
    ws = generated_workspace(args.records, "graph-ws")
    events = duckdb.sql("SELECT count(*) FROM read_parquet($p)", params={"p": str(ws / "events" / "*.parquet")}
                        ).fetchall()[0][0]
    print(f"machine: {os.cpu_count()} cores; {events:,} events")
    try:
        counts = None if args.skip_write else write_figures(ws, events, args.naive_events, args.batch_size)
        bulk_figures(ws, events, counts)
        query_figures(ws, args.queries)
    finally:
        if not args.keep_server:
            server("stop")


if __name__ == "__main__":
    main()

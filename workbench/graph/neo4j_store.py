"""``Neo4jStore``: the graph in a Neo4j 5 server over the official driver, answering the ``GraphStore``
protocol exactly as ``MemoryStore`` does. Every query is Cypher with bound parameters; labels, keys and
relationship types in the query text come only from the schema. Rows fetched here are shaped by the
helpers in ``store.py``; a neighbourhood is one query (``neo4j_walks``), and time-respecting paths fetch
the nodes near the target hop by hop, then leave the choosing to the code ``MemoryStore`` runs.

Connecting checks the server and the password at once and says what to do in one line::

    store = Neo4jStore.connect("bolt://127.0.0.1:7687", "neo4j", password)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import networkx as nx
from neo4j import Driver, GraphDatabase
from neo4j.exceptions import AuthError, ConfigurationError, DriverError, Neo4jError

from loaders.errors import BadInput
from loaders.faults import checkpoint
from workbench.graph import cypher_queries as q
from workbench.graph import neo4j_walks
from workbench.graph.elements import Elements
from workbench.graph.neo4j_write import check_elements, identifier, write_batch
from workbench.graph.schema import neo4j_constraints, schema
from workbench.graph.store import (
    CODED_SCHEMES,
    DISPENSERS,
    FLOW_EVENT_TYPES,
    STANDALONE,
    WEAK,
    Entity,
    GraphStore,
    allowed_labels,
    as_time,
    chain_order,
    chain_row,
    count_table,
    flow_order,
    flow_row,
    history_row,
    lead_order,
    lead_row,
    node_id,
    sorted_paths,
)

#: The URI schemes of the Bolt protocol the store speaks.
BOLT_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")
CONNECT_HINT = "start it (scripts/neo4j-local start, or docker compose up -d) or give its address with --neo4j / NEO4J_URI"


class Neo4jStore(GraphStore):
    """A graph store in a Neo4j database; ``driver`` is an open driver (see ``connect``)."""

    def __init__(self, driver: Driver, database: str | None = None) -> None:
        self.driver = driver
        self.database = database
        self.schema = schema()
        self._create_schema()

    def _create_schema(self) -> None:
        """Indexes and constraints before any write: the indexes fill in the background while the
        constraints are made two at a time (after a bulk import each one scans its label)."""
        statements = neo4j_constraints(self.schema)
        for statement in (s for s in statements if not s.startswith("CREATE CONSTRAINT")):
            self._run(statement)
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(self._run, [s for s in statements if s.startswith("CREATE CONSTRAINT")]))
        self._run("CALL db.awaitIndexes(300)")

    @classmethod
    def connect(cls, uri: str, user: str, password: str, database: str | None = None) -> Neo4jStore:
        """Open, check the server answers and accepts the password; ``BadInput`` (one line) if not."""
        return cls(open_driver(uri, user, password), database)

    def _run(self, query: str, **params) -> list[dict]:
        """One auto-commit query (a single round trip), its records as dicts."""
        with self.driver.session(database=self.database) as session:
            return [record.data() for record in session.run(query, params)]

    # writing

    def write(self, elements: Elements) -> None:
        check_elements(elements, self.schema)  # the whole batch first: a refused batch changes nothing
        with self.driver.session(database=self.database) as session:
            session.execute_write(write_batch, elements)
        checkpoint("graph batch")

    def counts(self) -> dict[str, int]:
        nodes = Counter({label.name: self._run(f"MATCH (n:{identifier(label.name)}) RETURN count(n) AS n")[0]["n"]
                         for label in self.schema.labels})
        relationships = Counter({r.type: self._run(f"MATCH ()-[r:{identifier(r.type)}]->() RETURN count(r) AS n")[0]["n"]
                                 for r in self.schema.relationships})
        return count_table(nodes, relationships)

    def clear(self) -> None:
        """Delete every relationship, then every node, 10,000 to a transaction (a busy node's relationships
        would not fit one); constraints and indexes stay."""
        with self.driver.session(database=self.database) as session:
            session.run("MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 10000 ROWS").consume()
            session.run("MATCH (n) CALL (n) { DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()

    def keys(self, label: str) -> set[str]:
        declared = self.schema.label(label)
        with self.driver.session(database=self.database) as session:  # streamed: a label may hold millions
            result = session.run(f"MATCH (n:{identifier(declared.name)}) RETURN n.{identifier(declared.key)} AS key")
            return {record[0] for record in result}

    def absent(self, label: str, keys: Iterable[str]) -> set[str]:
        declared = self.schema.label(label)
        query = (f"UNWIND $keys AS key OPTIONAL MATCH (n:{identifier(declared.name)} {{{identifier(declared.key)}: key}}) "
                 "WITH key, n WHERE n IS NULL RETURN key")
        keys, chunk = sorted(set(keys)), 100_000
        return {row["key"] for start in range(0, len(keys), chunk) for row in self._run(query, keys=keys[start:start + chunk])}

    def remove(self, label: str, keys: Iterable[str]) -> int:
        """``DETACH DELETE`` in transactions of 1,000 nodes (a busy node's relationships are many), their
        ends marked in the same transaction; then the marked nodes left unreferenced, hop by hop. A removal
        killed half way is finished by the next one (the marks are in the database)."""
        self._sweep()
        declared = self.schema.label(label)
        query = f"UNWIND $ids AS key MATCH (n:{identifier(declared.name)} {{{identifier(declared.key)}: key}})"
        rows = self._run_chunked(query + q.REMOVE, set(keys))
        self._sweep()
        return len(rows)

    def _sweep(self) -> None:
        """Remove what removals left unreferenced (``UNSWEPT`` nodes), a transaction per step."""
        while self._run(q.UNSWEPT_LEFT)[0]["left"]:
            self._run(q.SWEEP, standalone=list(STANDALONE), weak=list(WEAK))
            checkpoint("graph sweep")

    def _run_chunked(self, query: str, ids: Iterable[str], chunk: int = 100_000, **params) -> list[dict]:
        """``query`` over ``$ids`` a chunk at a time (a parameter list of millions is too large)."""
        ids = sorted(ids)
        found = []
        for start in range(0, len(ids), chunk):
            found.extend(self._run(query, ids=ids[start:start + chunk], **params))
            checkpoint("graph removal")
        return found

    def close(self) -> None:
        self.driver.close()

    # queries

    def code_history(self, code: str) -> list[dict]:
        rows = [native(row["event"]) for row in self._run(q.CODE_EVENTS, code=code)]
        return [history_row(row) for row in sorted(rows, key=q.by_time)]

    def neighbourhood(self, label: str, key: str, hops: int = 2, since: datetime | str | None = None,
                      until: datetime | str | None = None, labels: Iterable[str] | None = None) -> nx.MultiDiGraph:
        rule = neo4j_walks.Allowed(labels=allowed_labels(labels), since=as_time(since), until=as_time(until))
        return neo4j_walks.neighbourhood(self._run, label, key, hops, rule)

    def _element_id(self, label: str, key: str) -> str | None:
        declared = self.schema.label(label)
        rows = self._run(f"MATCH (n:{identifier(declared.name)} {{{identifier(declared.key)}: $key}}) "
                         "RETURN elementId(n) AS id", key=key)
        return rows[0]["id"] if rows else None

    def reflux_chains(self, code: str | None = None, min_span_days: float = 7) -> list[dict]:
        query = (q.CHAINS_OF_CODE if code is not None else q.CHAINS_OF_ALL) + q.CHAIN_PAIRS
        threshold = min_span_days * 86400
        rows = [native(row) for row in self._run(query, code=code, dispensers=list(DISPENSERS),
                                                  whole_seconds=int(threshold // 1))]
        chains = [chain_row(q.chain(row)) for row in rows
                  if (row["resale_time"] - row["first_time"]).total_seconds() > threshold]
        return sorted(chains, key=chain_order)

    def paths(self, a: Entity, b: Entity, max_hops: int = 6, time_respecting: bool = False,
              labels: Iterable[str] | None = None) -> list[list[str]]:
        ends = [self._element_id(label, key) for label, key in (a, b)]
        if None in ends:
            return []
        if ends[0] == ends[1]:
            return [[node_id(self.schema.label(a[0]).name, a[1])]]
        only = allowed_labels(labels)
        if not time_respecting:
            return sorted_paths(neo4j_walks.shortest_paths(self._run, ends, int(max_hops), only))
        entities = (node_id(self.schema.label(a[0]).name, a[1]), node_id(self.schema.label(b[0]).name, b[1]))
        return sorted_paths(neo4j_walks.time_respecting_paths(self._run, ends, int(max_hops), only, entities))

    def leads_of(self, label: str, key: str) -> list[dict]:
        declared = self.schema.label(label)
        rows = self._run(f"MATCH (n:{identifier(declared.name)} {{{identifier(declared.key)}: $key}})"
                         "<-[f:FLAGS]-(lead) RETURN properties(lead) AS lead, f.role AS role", key=key)
        return sorted((lead_row(native(row["lead"]), row["role"]) for row in rows), key=lead_order)

    def flow_events(self) -> list[dict]:
        rows = self._run(q.FLOW_EVENTS, schemes=list(CODED_SCHEMES), types=list(FLOW_EVENT_TYPES))
        return sorted((flow_row(native(row)) for row in rows), key=flow_order)

    def dispensed_codes(self, kind: str, keys: Iterable[str]) -> dict[str, int]:
        query = {"person": q.DISPENSED_TO_PERSONS, "institution": q.DISPENSED_BY_INSTITUTIONS}[kind]
        rows = self._run(query, keys=sorted(set(keys)), dispensers=list(DISPENSERS), schemes=list(CODED_SCHEMES))
        return {row["key"]: row["codes"] for row in rows if row["codes"]}


def native(values: dict) -> dict:
    """Neo4j temporal values as Python ones (``to_native``), everything else as it is."""
    return {name: value.to_native() if hasattr(value, "to_native") else value for name, value in values.items()}


def open_driver(uri: str, user: str, password: str) -> Driver:
    """A driver that has reached the server and logged in; ``BadInput`` with the fix otherwise."""
    if uri.partition("://")[0] not in BOLT_SCHEMES:
        raise BadInput(f"无效的 Neo4j 地址 / invalid Neo4j address (scheme must be one of {', '.join(BOLT_SCHEMES)})",
                       path=uri, hint="e.g. bolt://127.0.0.1:7687 or neo4j://host:7687")
    try:
        driver = GraphDatabase.driver(uri, auth=(user, password), connection_timeout=10,
                                      notifications_min_severity="OFF")
    except (ConfigurationError, ValueError) as error:
        raise BadInput(f"无效的 Neo4j 地址 / invalid Neo4j address: {error}", path=uri,
                       hint="e.g. bolt://127.0.0.1:7687 or neo4j://host:7687") from None
    problem = ""
    try:
        driver.verify_connectivity()
    except AuthError:
        problem = "auth"
    except (DriverError, Neo4jError, OSError) as error:
        problem = " ".join(str(error).split())[:200] or type(error).__name__
    if not problem:
        return driver
    driver.close()
    if problem == "auth":
        raise BadInput(f"Neo4j 拒绝了用户 {user!r} 的口令 / Neo4j refused the password of user {user!r}", path=uri,
                       hint="check NEO4J_USER and NEO4J_PASSWORD")
    raise BadInput(f"无法连接 Neo4j / cannot reach Neo4j ({problem})", path=uri, hint=CONNECT_HINT)

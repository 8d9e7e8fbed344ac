"""The real Neo4j server the graph tests talk to, and the fixtures that hand it to them.

Connection settings come from the env file that ``scripts/neo4j-local start`` writes (``.neo4j/env``, or
``$NEO4J_LOCAL_HOME/env``); without that file, from ``NEO4J_URI`` / ``NEO4J_USER`` / ``NEO4J_PASSWORD``.
The fixtures empty the database before every test, so a server from the environment must start empty:
the session refuses to wipe a database that already holds data.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from neo4j import Driver, GraphDatabase
from neo4j.exceptions import AuthError, DriverError, Neo4jError

REPO = Path(__file__).resolve().parent.parent
START_HINT = "先运行 / start it with: scripts/neo4j-local start"


@dataclass(frozen=True)
class Neo4jSettings:
    """Where the test server is and how to log in; ``source`` says where the settings came from."""

    uri: str
    user: str
    password: str
    source: str

    @property
    def auth(self) -> tuple[str, str]:
        return self.user, self.password

    @property
    def from_env_file(self) -> bool:
        return self.source != "environment"


def env_file_path(environ: Mapping[str, str] = os.environ) -> Path:
    """The env file ``scripts/neo4j-local`` writes.

    >>> env_file_path({"NEO4J_LOCAL_HOME": "/srv/n"})
    PosixPath('/srv/n/env')
    """
    return Path(environ.get("NEO4J_LOCAL_HOME") or REPO / ".neo4j") / "env"


def parse_env(text: str) -> dict[str, str]:
    """``KEY=VALUE`` lines; blank lines and ``#`` comments are ignored.

    >>> parse_env("# local\\nNEO4J_URI=bolt://127.0.0.1:7687\\n")
    {'NEO4J_URI': 'bolt://127.0.0.1:7687'}
    """
    pairs = (line.split("=", 1) for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


def load_settings(environ: Mapping[str, str] = os.environ) -> Neo4jSettings | None:
    """The env file's settings, else the environment's, else None (nothing configured).

    >>> load_settings({"NEO4J_LOCAL_HOME": "/nonexistent", "NEO4J_URI": "bolt://db:7687", "NEO4J_PASSWORD": "pw"})
    Neo4jSettings(uri='bolt://db:7687', user='neo4j', password='pw', source='environment')
    """
    path = env_file_path(environ)
    if path.exists():
        values, source = parse_env(path.read_text(encoding="utf-8")), str(path)
    else:
        values, source = environ, "environment"
    if not values.get("NEO4J_URI"):
        return None
    return Neo4jSettings(values["NEO4J_URI"], values.get("NEO4J_USER") or "neo4j",
                         values.get("NEO4J_PASSWORD", ""), source)


def check_reachable(settings: Neo4jSettings, timeout: float = 3.0) -> None:
    """Connect, log in and run ``RETURN 1``; raises the driver's error (``ServiceUnavailable`` when nothing
    listens, ``AuthError`` on a wrong password)."""
    with GraphDatabase.driver(settings.uri, auth=settings.auth, connection_timeout=timeout) as driver:
        driver.verify_connectivity()
        driver.execute_query("RETURN 1")


def wipe(driver: Driver) -> None:
    """Empty the default database: every node and relationship, every constraint, every index except the
    two built-in token lookup indexes. Names reach Cypher only as parameters."""
    driver.execute_query("MATCH (n) DETACH DELETE n")  # test databases are small: one transaction
    for record in driver.execute_query("SHOW CONSTRAINTS YIELD name").records:
        driver.execute_query("DROP CONSTRAINT $name IF EXISTS", name=record["name"])
    indexes = "SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP' RETURN name"
    for record in driver.execute_query(indexes).records:
        driver.execute_query("DROP INDEX $name IF EXISTS", name=record["name"])


def node_count(driver: Driver) -> int:
    return driver.execute_query("MATCH (n) RETURN count(n) AS nodes").records[0]["nodes"]


def in_ci(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether this run is CI (``CI=true``, as CI services set it).

    >>> in_ci({"CI": "true"}), in_ci({})
    (True, False)
    """
    return environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def one_line(error: BaseException, limit: int = 300) -> str:
    """An exception as one short line.

    >>> one_line(OSError("Couldn't connect:\\nConnection refused"))
    "OSError: Couldn't connect: Connection refused"
    """
    return f"{type(error).__name__}: {' '.join(str(error).split())}"[:limit]


def unreachable(reason: str) -> None:
    """No server: a failure in CI (the graph tests must run there), a skip with the fix elsewhere."""
    message = f"Neo4j 测试服务器不可用 / the Neo4j test server is not reachable: {reason}"
    if in_ci():
        pytest.fail(f"{message}; CI=true needs it ({START_HINT})", pytrace=False)
    pytest.skip(f"{message} ({START_HINT})")


@pytest.fixture(scope="session")
def neo4j_settings() -> Neo4jSettings:
    """Settings of a reachable server; fails (wrong password, non-empty foreign database) or skips."""
    settings = load_settings()
    if settings is None:
        unreachable(f"no {env_file_path()} and no NEO4J_URI")
    wrong_password = no_answer = ""
    try:
        check_reachable(settings)
    except AuthError as error:
        wrong_password = f"Neo4j 拒绝了口令 / {settings.uri} refused the password from {settings.source}: {error.message}"
    except (DriverError, Neo4jError, OSError) as error:
        no_answer = f"{settings.uri} ({settings.source}): {one_line(error)}"
    if wrong_password:  # outside the except blocks: the report is the one line, not the driver's traceback
        pytest.fail(wrong_password, pytrace=False)
    if no_answer:
        unreachable(no_answer)
    return settings


@pytest.fixture(scope="session")
def neo4j_session_driver(neo4j_settings: Neo4jSettings) -> Iterator[Driver]:
    with GraphDatabase.driver(neo4j_settings.uri, auth=neo4j_settings.auth) as driver:
        if not neo4j_settings.from_env_file and node_count(driver):
            pytest.fail(f"{neo4j_settings.uri} 中已有数据，测试不会清空它 / already holds data and the tests "
                        "would wipe it: point NEO4J_URI at an empty test server", pytrace=False)
        yield driver


@pytest.fixture
def neo4j_driver(neo4j_session_driver: Driver) -> Driver:
    """A driver for the test server, whose database is emptied before the test."""
    wipe(neo4j_session_driver)
    return neo4j_session_driver

"""The local Neo4j server's home folder: its layout, configuration files and credentials file.

Everything here lives under one git-ignored folder (``.neo4j/`` by default): ``lib/`` (jars from Maven
Central), ``conf/`` (rewritten at every start), ``data/`` (kept: the databases and the password), ``logs/``,
``run/`` (pid files) and ``env`` (the connection settings the tests read).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

USER = "neo4j"


class LocalServerError(Exception):
    """Something the user can fix; printed as one line, then the process exits with ``exit_code``.

    >>> str(LocalServerError("端口被占用 / port taken", hint="set NEO4J_LOCAL_PORT"))
    '端口被占用 / port taken (set NEO4J_LOCAL_PORT)'
    """

    def __init__(self, message: str, hint: str = "", exit_code: int = 2):
        super().__init__(message)
        self.hint = hint
        self.exit_code = exit_code

    def __str__(self) -> str:
        message = super().__str__()
        return f"{message} ({self.hint})" if self.hint else message


@dataclass(frozen=True)
class Home:
    """Paths inside the server's home folder.

    >>> Home(Path("/x/.neo4j")).env_file
    PosixPath('/x/.neo4j/env')
    """

    root: Path

    lib = property(lambda self: self.root / "lib")
    conf = property(lambda self: self.root / "conf")
    data = property(lambda self: self.root / "data")
    logs = property(lambda self: self.root / "logs")
    run = property(lambda self: self.root / "run")
    env_file = property(lambda self: self.root / "env")
    pid_file = property(lambda self: self.run / "neo4j-local.pid")
    server_pid_file = property(lambda self: self.run / "neo4j.pid")
    console_log = property(lambda self: self.logs / "console.log")
    system_database = property(lambda self: self.data / "databases" / "system")

    def make_folders(self) -> None:
        for folder in (self.lib, self.conf, self.data, self.logs, self.run, self.root / "plugins",
                       self.root / "import"):
            folder.mkdir(parents=True, exist_ok=True)


def neo4j_conf(port: int, heap: str = "512m", pagecache: str = "256m") -> str:
    """``neo4j.conf`` for a loopback-only server with auth on, Bolt on ``port``, HTTP off.

    Strict validation is on in 5.26: an unknown or repeated key (except ``server.jvm.additional``) stops
    the launcher, so every key here was checked against the 5.26 jars.

    >>> "server.bolt.listen_address=127.0.0.1:7690" in neo4j_conf(7690)
    True
    >>> "server.memory.pagecache.size=2g" in neo4j_conf(7690, heap="2g", pagecache="2g")
    True
    """
    settings = [
        "server.directories.data=data", "server.directories.logs=logs", "server.directories.run=run",
        "server.directories.plugins=plugins", "server.directories.import=import", "server.directories.lib=lib",
        "server.default_listen_address=127.0.0.1", "server.default_advertised_address=127.0.0.1",
        f"server.bolt.listen_address=127.0.0.1:{port}", f"server.bolt.advertised_address=127.0.0.1:{port}",
        "server.bolt.tls_level=DISABLED", "server.http.enabled=false", "server.https.enabled=false",
        "dbms.routing.enabled=false", "dbms.security.auth_enabled=true", "dbms.usage_report.enabled=false",
        # a test server: stop in about a second instead of ten, and no 256 MiB preallocated log per database
        "internal.server.bolt.connection_shutdown_wait_time=1s",
        "internal.server.bolt.thread_pool_shutdown_wait_time=1s",
        "db.tx_log.preallocate=false",
        f"server.memory.heap.initial_size={heap}", f"server.memory.heap.max_size={heap}",
        f"server.memory.pagecache.size={pagecache}",
    ]  # fmt: skip
    jvm_flags = [
        "-XX:+UseG1GC", "-XX:-OmitStackTraceInFastThrow", "-XX:+UnlockExperimentalVMOptions",
        "-XX:+TrustFinalNonStaticFields", "-XX:+DisableExplicitGC", "-Djdk.nio.maxCachedBufferSize=1024",
        "-Dio.netty.tryReflectionSetAccessible=true", "--add-opens=java.base/java.nio=ALL-UNNAMED",
        "--add-opens=java.base/java.io=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
        "--enable-native-access=ALL-UNNAMED", "-Dlog4j2.disable.jmx=true",
    ]  # fmt: skip
    lines = settings + [f"server.jvm.additional={flag}" for flag in jvm_flags]
    return "# Written by scripts/neo4j-local at every start; edits here are lost.\n" + "\n".join(lines) + "\n"


#: The user log (``neo4j.log`` in a tarball install) goes to standard output, which the launcher's
#: caller writes to ``logs/console.log``.
USER_LOGS_XML = """<?xml version="1.0" encoding="UTF-8"?>
<Configuration packages="org.neo4j.logging.log4j">
  <Appenders>
    <Console name="Console" target="SYSTEM_OUT">
      <PatternLayout pattern="%d{yyyy-MM-dd HH:mm:ss.SSSZ}{GMT+0} %-5p %m%n"/>
    </Console>
  </Appenders>
  <Loggers>
    <Root level="INFO"><AppenderRef ref="Console"/></Root>
  </Loggers>
</Configuration>
"""

#: The server's own diagnostics; ``${config:...}`` is resolved by Neo4j from ``neo4j.conf``.
SERVER_LOGS_XML = """<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="ERROR" packages="org.neo4j.logging.log4j">
  <Appenders>
    <File name="DebugLog" fileName="${config:server.directories.logs}/debug.log">
      <Neo4jDebugLogLayout pattern="%d{yyyy-MM-dd HH:mm:ss.SSSZ}{GMT+0} %-5p [%c{1.}] %m%n"/>
    </File>
  </Appenders>
  <Loggers>
    <Root level="INFO"><AppenderRef ref="DebugLog"/></Root>
  </Loggers>
</Configuration>
"""


def write_config(home: Home, port: int, heap: str = "512m", pagecache: str = "256m") -> None:
    """(Re)write ``neo4j.conf`` and the two log4j files."""
    (home.conf / "neo4j.conf").write_text(neo4j_conf(port, heap, pagecache), encoding="utf-8")
    (home.conf / "user-logs.xml").write_text(USER_LOGS_XML, encoding="utf-8")
    (home.conf / "server-logs.xml").write_text(SERVER_LOGS_XML, encoding="utf-8")


def bolt_uri(port: int) -> str:
    """The Bolt URI of the local server (``bolt://``: one server, no routing table).

    >>> bolt_uri(7687)
    'bolt://127.0.0.1:7687'
    """
    return f"bolt://127.0.0.1:{port}"


def new_password() -> str:
    """A random password (32 URL-safe characters: no quoting needed in shells or env files).

    >>> len(new_password()), new_password() == new_password()
    (32, False)
    """
    return secrets.token_urlsafe(24)


def parse_env(text: str) -> dict[str, str]:
    """``KEY=VALUE`` lines; blank lines and ``#`` comments are ignored.

    >>> parse_env("# c\\nNEO4J_USER=neo4j\\n\\nNEO4J_PASSWORD=a=b\\n")
    {'NEO4J_USER': 'neo4j', 'NEO4J_PASSWORD': 'a=b'}
    """
    pairs = (line.split("=", 1) for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


def read_env(path: Path) -> dict[str, str]:
    return parse_env(path.read_text(encoding="utf-8")) if path.exists() else {}


def write_env(path: Path, port: int, password: str) -> None:
    """Write the connection settings, readable by the owner only (the file is git-ignored)."""
    text = ("# Local Neo4j server for tests; written by scripts/neo4j-local. Never commit this file.\n"
            f"NEO4J_URI={bolt_uri(port)}\nNEO4J_USER={USER}\nNEO4J_PASSWORD={password}\n")
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    partial.replace(path)

"""``scripts/neo4j-local start|stop|status|fetch``: a real Neo4j 5.26 community server for tests and CI.

The server comes from its Maven Central jars (``tools/neo4j/pom.xml``), runs under the official launcher
(``Neo4jCommand console``) in its own session, listens on 127.0.0.1 only, and has auth on with a random
password chosen at the first start and kept in the home folder's ``env`` file.

Environment: ``NEO4J_LOCAL_HOME`` (default ``<repo>/.neo4j``), ``NEO4J_LOCAL_PORT`` (default 7687),
``NEO4J_LOCAL_TIMEOUT`` (seconds to wait for readiness, default 180), ``NEO4J_LOCAL_HEAP`` and
``NEO4J_LOCAL_PAGECACHE`` (the server's memory, default 512m and 256m: enough for tests; a load of
millions of events wants gigabytes), ``JAVA_HOME`` (a Java 17 or 21).
Exit codes: 0 done; 1 the server failed to start; 2 a problem to fix first (port, Java, Maven);
3 ``status``: not running.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import neo4j_runtime as runtime
from neo4j_home import USER, Home, LocalServerError, bolt_uri, new_password, read_env, write_config, write_env

TOOLS = Path(__file__).resolve().parent
POM = TOOLS / "pom.xml"
DEFAULT_HOME = TOOLS.parent.parent / ".neo4j"
DEFAULT_PORT = 7687


def home_from(environ: Mapping[str, str]) -> Home:
    return Home(Path(environ.get("NEO4J_LOCAL_HOME") or DEFAULT_HOME).resolve())


def number_from(environ: Mapping[str, str], name: str, default: int, upper: int) -> int:
    """A positive integer setting from the environment.

    >>> number_from({"NEO4J_LOCAL_PORT": "7690"}, "NEO4J_LOCAL_PORT", 7687, 65535)
    7690
    """
    text = environ.get(name, "").strip() or str(default)
    if not text.isdigit() or not 0 < int(text) <= upper:
        raise LocalServerError(f"{name}={text!r} 无效 / is not a number from 1 to {upper}")
    return int(text)


def ensure_port_free(port: int) -> None:
    """Fail clearly when something already listens on ``127.0.0.1:port``."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            raise LocalServerError(f"端口 {port} 已被占用 / port 127.0.0.1:{port} is taken: {error.strerror}",
                                   hint="stop what uses it, or choose another port with NEO4J_LOCAL_PORT") from None


def answer_problem(uri: str, password: str) -> str | None:
    """None when the server answers ``RETURN 1`` on the default database, else why not.

    A wrong password is not a passing state: it raises, since waiting cannot fix it.
    """
    try:
        from neo4j import GraphDatabase
        from neo4j.exceptions import AuthError, DriverError, Neo4jError
    except ImportError:
        raise LocalServerError("缺少 Neo4j Python 驱动 / the neo4j Python driver is not installed",
                               hint="make setup, or pip install -e '.[test]'") from None
    try:
        with GraphDatabase.driver(uri, auth=(USER, password), connection_timeout=3) as driver:
            driver.verify_connectivity()
            driver.execute_query("RETURN 1", database_="neo4j")
    except AuthError as error:
        raise LocalServerError(f"口令被拒绝 / {uri} refused the password in the env file ({error.message})",
                               hint="stop the server; delete .neo4j/data and .neo4j/env to start afresh") from None
    except (DriverError, Neo4jError, OSError) as error:
        return f"{type(error).__name__}: {' '.join(str(error).split())}"[:300]
    return None


def wait_until_ready(uri: str, password: str, alive: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if not alive():
            raise LocalServerError("Neo4j 进程在启动中退出 / the Neo4j process exited during start-up", exit_code=1)
        problem = answer_problem(uri, password)
        if problem is None:
            return
        if time.monotonic() > deadline:
            raise LocalServerError(f"Neo4j {timeout:.0f} 秒内未就绪 / not ready within {timeout:.0f} s: {problem}",
                                   hint="see the log above; NEO4J_LOCAL_TIMEOUT gives it longer", exit_code=1)
        time.sleep(1)


def running_pid(home: Home) -> int | None:
    """The launcher's pid when the pid file names a live launcher of this home."""
    try:
        pid = int(home.pid_file.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None
    return pid if runtime.is_launcher(pid, home) else None


def clear_stale_pid_files(home: Home) -> None:
    """Remove pid files whose processes are gone; refuse when another server still holds this home."""
    home.pid_file.unlink(missing_ok=True)
    try:
        server_pid = int(home.server_pid_file.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        home.server_pid_file.unlink(missing_ok=True)
        return
    if runtime.process_state(server_pid):
        raise LocalServerError(f"另一个 Neo4j 进程 {server_pid} 正在使用 {home.root} / another Neo4j (pid "
                               f"{server_pid}) uses this home", hint=f"stop it first: kill {server_pid}")
    home.server_pid_file.unlink(missing_ok=True)


def password_for(home: Home, java: Path, java_home: Path) -> str:
    """The server's password: kept from the env file, or new and set before the database's first start."""
    password = read_env(home.env_file).get("NEO4J_PASSWORD", "")
    if home.system_database.exists():
        if not password:
            raise LocalServerError(f"{home.data} 已初始化但缺少口令文件 {home.env_file} / the database exists but "
                                   "its password file is missing", hint=f"delete {home.data} to start afresh")
        return password
    password = password or new_password()
    runtime.set_initial_password(java, java_home, home, password)
    return password


def launch(home: Home, java: Path, java_home: Path) -> subprocess.Popen:
    """Start the official launcher in a new session, its output in ``logs/console.log``."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # Neo4j asks for 40000 open files
    command = runtime.tool_command(java, home, runtime.LAUNCHER_CLASS, "console")
    with open(home.console_log, "wb") as log:
        process = subprocess.Popen(command, env=runtime.tool_environment(home, java_home), cwd=home.root,
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    home.pid_file.write_text(f"{process.pid}\n", encoding="ascii")
    return process


def print_log_tail(home: Home, lines: int = 40) -> None:
    if home.console_log.exists():
        tail = home.console_log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
        print(f"--- {home.console_log} (最后 {len(tail)} 行 / last {len(tail)} lines) ---", *tail, "---",
              sep="\n", file=sys.stderr, flush=True)


def memory_from(environ: Mapping[str, str], name: str, default: str) -> str:
    """A memory size such as ``512m`` or ``2g`` from the environment; ``LocalServerError`` if malformed.

    >>> memory_from({"NEO4J_LOCAL_HEAP": "2G"}, "NEO4J_LOCAL_HEAP", "512m"), memory_from({}, "X", "256m")
    ('2g', '256m')
    """
    value = environ.get(name, default).strip().lower()
    if not value[:-1].isdigit() or value[-1] not in "kmg":
        raise LocalServerError(f"{name}={value!r} 不是内存大小 / is not a memory size", hint="e.g. 512m or 2g")
    return value


def start(home: Home, environ: Mapping[str, str]) -> int:
    port = number_from(environ, "NEO4J_LOCAL_PORT", DEFAULT_PORT, 65535)
    timeout = number_from(environ, "NEO4J_LOCAL_TIMEOUT", 180, 86400)
    memory = memory_from(environ, "NEO4J_LOCAL_HEAP", "512m"), memory_from(environ, "NEO4J_LOCAL_PAGECACHE", "256m")
    pid = running_pid(home)
    if pid:
        return already_running(home, pid, timeout)
    ensure_port_free(port)
    java, java_home = runtime.find_java(environ)
    home.make_folders()
    runtime.fetch_jars(home, POM)
    clear_stale_pid_files(home)
    write_config(home, port, *memory)
    password = password_for(home, java, java_home)
    write_env(home.env_file, port, password)
    began = time.monotonic()
    process = launch(home, java, java_home)
    try:
        wait_until_ready(bolt_uri(port), password, lambda: process.poll() is None, timeout)
    except BaseException:
        print_log_tail(home)
        runtime.end_group(process.pid, grace=20)
        home.pid_file.unlink(missing_ok=True)
        raise
    print(f"Neo4j {runtime.pinned_version(POM)} 已启动 / started: {bolt_uri(port)} "
          f"(pid {process.pid}, {time.monotonic() - began:.0f} s)\n连接参数 / credentials: {home.env_file}", flush=True)
    return 0


def already_running(home: Home, pid: int, timeout: int) -> int:
    """A second ``start``: succeed once the running server answers (it may still be starting)."""
    settings = read_env(home.env_file)
    uri = settings.get("NEO4J_URI", "?")
    wait_until_ready(uri, settings.get("NEO4J_PASSWORD", ""), lambda: running_pid(home) == pid, timeout)
    print(f"Neo4j 已在运行 / already running: {uri} (pid {pid})\n连接参数 / credentials: {home.env_file}",
          flush=True)
    return 0


def stop(home: Home, environ: Mapping[str, str]) -> int:
    pid = running_pid(home)
    if pid is None:
        print("Neo4j 未运行 / not running", flush=True)
        if home.run.exists():
            clear_stale_pid_files(home)
        return 0
    clean = runtime.end_group(pid)
    home.pid_file.unlink(missing_ok=True)
    home.server_pid_file.unlink(missing_ok=True)
    how = "已停止 / stopped" if clean else "已强制结束 / killed (no clean shutdown within 60 s)"
    print(f"Neo4j {how} (pid {pid})", flush=True)
    return 0


def status(home: Home, environ: Mapping[str, str]) -> int:
    pid = running_pid(home)
    if pid is None:
        print(f"Neo4j 未运行 / not running ({home.root})", flush=True)
        return 3
    settings = read_env(home.env_file)
    uri = settings.get("NEO4J_URI", "?")
    problem = answer_problem(uri, settings.get("NEO4J_PASSWORD", ""))
    if problem:
        print(f"Neo4j 进程 {pid} 未应答 / pid {pid} is not answering at {uri}: {problem}", flush=True)
        return 3
    print(f"Neo4j 运行中 / running: {uri} (pid {pid})\n连接参数 / credentials: {home.env_file}", flush=True)
    return 0


def fetch(home: Home, environ: Mapping[str, str]) -> int:
    home.make_folders()
    fetched = runtime.fetch_jars(home, POM)
    count = len(list(home.lib.glob("*.jar")))
    print(f"{'已下载' if fetched else '已存在'} / {'fetched' if fetched else 'present'}: {count} jars in {home.lib}")
    return 0


COMMANDS = {"start": start, "stop": stop, "status": status, "fetch": fetch}


def main(argv: list[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="neo4j-local", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=sorted(COMMANDS))
    command = parser.parse_args(argv).command
    environ = os.environ if environ is None else environ
    try:
        return COMMANDS[command](home_from(environ), environ)
    except LocalServerError as error:
        print(f"neo4j-local {command}: {error}", file=sys.stderr, flush=True)
        return error.exit_code
    except KeyboardInterrupt:
        return 130

"""What the local Neo4j server runs on: a Java 17/21 runtime, the jars from Maven Central, and processes.

Neo4j 5.26 supports Java 17 and 21 only; the launcher merely warns on other versions, so the choice of
runtime is checked here instead (this machine also has a Java 25, which must never be used).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from pathlib import Path

from neo4j_home import Home, LocalServerError

SUPPORTED_JAVA = (17, 21)
DEBIAN_JAVA_17 = Path("/usr/lib/jvm/java-17-openjdk-amd64")
#: A small, quick JVM for the launcher and the admin command (the server JVM gets its own flags).
TOOL_JVM_FLAGS = ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xms8m", "-Xmx64m"]
LAUNCHER_CLASS = "org.neo4j.server.startup.Neo4jCommand"
ADMIN_CLASS = "org.neo4j.server.startup.Neo4jAdminCommand"


def java_candidates(environ: Mapping[str, str]) -> Iterator[tuple[Path, str]]:
    """Java executables to try, in order, each with where it came from."""
    if environ.get("JAVA_HOME"):
        yield Path(environ["JAVA_HOME"]) / "bin" / "java", "JAVA_HOME"
    yield DEBIAN_JAVA_17 / "bin" / "java", str(DEBIAN_JAVA_17)
    on_path = shutil.which("java")
    if on_path:
        yield Path(on_path), "PATH"


def java_properties(java: Path) -> dict[str, str]:
    """The runtime's system properties (``java -XshowSettings:properties -version``)."""
    shown = subprocess.run([str(java), "-XshowSettings:properties", "-version"], capture_output=True,
                           text=True, timeout=60, check=False)
    return dict(re.findall(r"^\s+([\w.]+) = (.*)$", shown.stderr, flags=re.MULTILINE))


def find_java(environ: Mapping[str, str]) -> tuple[Path, Path]:
    """The first Java 17 or 21 among the candidates: ``(java executable, java home)``."""
    for java, origin in java_candidates(environ):
        if not java.is_file():
            continue
        found = java_properties(java)
        feature = found.get("java.specification.version", "?")
        if feature.isdigit() and int(feature) in SUPPORTED_JAVA:
            return java, Path(found["java.home"])
        print(f"跳过 Java {feature}（{origin}）/ skipping Java {feature} from {origin}: Neo4j 5.26 needs 17 or 21",
              flush=True)
    raise LocalServerError("找不到 Java 17 或 21 / no Java 17 or 21 found",
                           hint="install openjdk-17-jre-headless or set JAVA_HOME to a Java 17 home")


def pinned_version(pom: Path) -> str:
    """The ``neo4j.version`` property of the fetch pom."""
    namespace = {"m": "http://maven.apache.org/POM/4.0.0"}
    version = ET.parse(pom).getroot().findtext("m:properties/m:neo4j.version", namespaces=namespace)
    if not version:
        raise LocalServerError(f"{pom}: 缺少 neo4j.version / no neo4j.version property", exit_code=1)
    return version.strip()


def fetch_jars(home: Home, pom: Path) -> bool:
    """Copy the server's jars from Maven Central into ``lib/`` unless they are there; True if fetched.

    A stamp file marks a complete copy of one version: a partial copy or another version is replaced.
    """
    version = pinned_version(pom)
    stamp = home.lib / f".complete-{version}"
    if stamp.exists():
        return False
    mvn = shutil.which("mvn")
    if not mvn:
        raise LocalServerError("找不到 Maven / mvn not found", hint="install Maven (apt-get install maven)")
    shutil.rmtree(home.lib, ignore_errors=True)
    print(f"下载 Neo4j {version} 的 jar / fetching the Neo4j {version} jars from Maven Central …", flush=True)
    command = [mvn, "-B", "-q", "-f", str(pom), "dependency:copy-dependencies", f"-DoutputDirectory={home.lib}"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0 or not (home.lib / f"neo4j-{version}.jar").exists():
        print("\n".join((done.stdout + done.stderr).strip().splitlines()[-15:]), flush=True)
        raise LocalServerError(f"Maven 下载失败 / Maven could not fetch org.neo4j:neo4j:{version}",
                               hint="check that Maven Central is reachable; the lines above are Maven's")
    stamp.write_text(version + "\n", encoding="ascii")
    return True


def tool_command(java: Path, home: Home, main_class: str, *arguments: str) -> list[str]:
    """A command line that runs one of Neo4j's own entry points on the fetched jars."""
    return [str(java), *TOOL_JVM_FLAGS, "-cp", f"{home.lib}/*", main_class, *arguments]


def tool_environment(home: Home, java_home: Path) -> dict[str, str]:
    """The launcher finds its home and conf through these; the server JVM it forks uses ``JAVA_HOME``."""
    return {**os.environ, "NEO4J_HOME": str(home.root), "NEO4J_CONF": str(home.conf), "JAVA_HOME": str(java_home)}


def set_initial_password(java: Path, java_home: Path, home: Home, password: str) -> None:
    """``neo4j-admin dbms set-initial-password``: effective only before the first start of the database."""
    command = tool_command(java, home, ADMIN_CLASS, "dbms", "set-initial-password", password)
    done = subprocess.run(command, env=tool_environment(home, java_home), capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        print((done.stdout + done.stderr).strip().replace(password, "***"), flush=True)
        raise LocalServerError(f"设置初始口令失败 / set-initial-password failed with status {done.returncode}",
                               exit_code=1)


def process_state(pid: int) -> tuple[str, int] | None:
    """``(state letter, process group)`` of a live process from ``/proc``, None if gone (Linux).

    >>> process_state(os.getpid()) == ("R", os.getpgrp())
    True
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()
    return fields[0], int(fields[2])


def group_members(group: int) -> list[int]:
    """Live (not zombie) processes of a process group."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            state = process_state(int(entry.name))
            if state and state[1] == group and state[0] != "Z":
                members.append(int(entry.name))
    return members


def is_launcher(pid: int, home: Home) -> bool:
    """Whether ``pid`` is a live Neo4j launcher running on this home's jars."""
    try:
        command_line = Path(f"/proc/{pid}/cmdline").read_bytes().decode("utf-8", "replace")
    except OSError:
        return False
    state = process_state(pid)
    return bool(state) and state[0] != "Z" and LAUNCHER_CLASS in command_line and str(home.lib) in command_line


def end_group(group: int, grace: float = 60.0) -> bool:
    """SIGTERM a process group, wait up to ``grace`` seconds, then SIGKILL; True if it ended cleanly."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(group, sig)
        except ProcessLookupError:
            return True
        deadline = time.monotonic() + wait
        while group_members(group):
            if time.monotonic() > deadline:
                break
            time.sleep(0.2)
        else:
            return sig == signal.SIGTERM
    return False

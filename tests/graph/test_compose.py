"""``docker-compose.yml``: loopback-only ports, the password only from the environment, a health-gated lab."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
import yaml

from tests.neo4j_server import REPO

COMPOSE = REPO / "docker-compose.yml"
FROM_ENVIRONMENT = re.compile(r"^(neo4j/)?\$\{NEO4J_PASSWORD:\?[^}]+\}$")
DUMMY_PASSWORD = "compose-check-only"


def services() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]


def compose_command() -> list[str] | None:
    """``docker compose`` (v2), else the older standalone ``docker-compose``, else None."""
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, check=False)
        if probe.returncode == 0:
            return ["docker", "compose"]
    return ["docker-compose"] if shutil.which("docker-compose") else None


def host_ip(port) -> str:
    """The host address of a port as ``config`` prints it (v2: a mapping; v1: ``ip:host:container/tcp``)."""
    return port["host_ip"] if isinstance(port, dict) else port.split(":")[0]


def test_every_port_binds_to_loopback():
    ports = [port for service in services().values() for port in service.get("ports", [])]
    assert ports and all(str(port).startswith("127.0.0.1:") for port in ports), ports


def test_passwords_come_only_from_the_environment():
    secrets = {f"{name}.{key}": value for name, service in services().items()
               for key, value in service.get("environment", {}).items() if re.search("PASSWORD|AUTH", key)}
    assert secrets.keys() == {"neo4j.NEO4J_AUTH", "jupyterlab.NEO4J_PASSWORD"}
    assert all(FROM_ENVIRONMENT.match(value) for value in secrets.values()), secrets
    example = (REPO / ".env.example").read_text(encoding="utf-8")
    assert re.search(r"^NEO4J_PASSWORD=$", example, flags=re.MULTILINE)


def test_lab_waits_for_a_healthy_neo4j_5_26_community():
    neo4j, lab = services()["neo4j"], services()["jupyterlab"]
    assert neo4j["image"] == "neo4j:5.26-community"
    assert neo4j["healthcheck"]["test"]
    assert lab["depends_on"]["neo4j"]["condition"] == "service_healthy"
    assert lab["environment"]["NEO4J_URI"] == "bolt://neo4j:7687"


def test_docker_compose_accepts_the_file(tmp_path):
    compose = compose_command()
    if compose is None:
        pytest.skip("docker compose config not run: neither the docker compose plugin nor docker-compose is installed")
    empty_env = tmp_path / "empty.env"  # a developer's own .env must not supply the password here
    empty_env.write_text("", encoding="utf-8")
    command = [*compose, "-f", str(COMPOSE), "--env-file", str(empty_env), "config"]
    outside = {key: value for key, value in os.environ.items() if not key.startswith("NEO4J_")}
    refused = subprocess.run(command, capture_output=True, text=True, check=False, env=outside)
    assert refused.returncode != 0 and "NEO4J_PASSWORD" in refused.stderr
    env = {**outside, "NEO4J_PASSWORD": DUMMY_PASSWORD}
    done = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
    resolved = yaml.safe_load(done.stdout)["services"]
    assert resolved["neo4j"]["environment"]["NEO4J_AUTH"] == f"neo4j/{DUMMY_PASSWORD}"
    assert {host_ip(port) for service in resolved.values() for port in service["ports"]} == {"127.0.0.1"}

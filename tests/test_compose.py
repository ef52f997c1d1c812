"""No Docker engine runs here, so the compose file is checked against the project:
commands exist, environment names are ones settings read, ports and health checks
are well formed, and workers can be scaled."""

import importlib
import re
import shlex
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
SETTINGS_NAMES = set(
    re.findall(r"""env(?:\.\w+)?\(\s*["']([A-Z0-9_]+)["']""", (ROOT / "emailcenter/settings.py").read_text())
)
IMAGE_ENV = {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"}


def _command(service) -> list[str]:
    command = SERVICES[service]["command"]
    return command if isinstance(command, list) else shlex.split(command)


def test_it_describes_the_whole_stack():
    assert {"web", "worker", "beat", "redis", "postgres"} <= set(SERVICES)


def test_every_app_command_exists_in_the_project():
    web = _command("web")
    assert web[0] == "gunicorn"
    module, _, attr = web[1].partition(":")
    assert callable(getattr(importlib.import_module(module), attr))
    for service, role in (("worker", "worker"), ("beat", "beat")):
        command = _command(service)
        assert command[:3] == ["celery", "-A", "emailcenter"] and role in command
    from emailcenter import celery_app

    assert celery_app.main == "emailcenter"
    assert "reap-stuck-tests" in celery_app.conf.beat_schedule
    assert (ROOT / "Dockerfile").exists() and COMPOSE["x-app"]["build"] == "."


def test_environment_names_are_ones_settings_read():
    for name, service in SERVICES.items():
        for key in service.get("environment") or {}:
            allowed = IMAGE_ENV if name == "postgres" else SETTINGS_NAMES
            assert key in allowed, f"{name} sets {key}, which nothing reads"
    example = (ROOT / ".env.example").read_text()
    for key in re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, re.M):
        assert key in SETTINGS_NAMES, f".env.example documents {key}, which settings never read"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_ports_and_health_checks_are_well_formed(name):
    service = SERVICES[name]
    for mapping in service.get("ports", []):
        host, _, container = str(mapping).rpartition(":")
        assert host.isdigit() and container.isdigit() and 0 < int(container) < 65536
    check = service.get("healthcheck")
    if name != "beat":
        assert check, f"{name} has no health check"
    if check:
        assert check["test"][0] in ("CMD", "CMD-SHELL") and len(check["test"]) > 1
        for field in ("interval", "timeout"):
            assert re.fullmatch(r"\d+(ms|s|m)", check[field])


def test_app_services_wait_for_healthy_dependencies():
    for name in ("web", "worker", "beat"):
        depends = SERVICES[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
        assert SERVICES[name]["env_file"] == ".env"


def test_workers_can_be_scaled():
    worker = SERVICES["worker"]
    assert "container_name" not in worker and "ports" not in worker
    assert "postgres" in COMPOSE["volumes"] or "pgdata" in COMPOSE["volumes"]

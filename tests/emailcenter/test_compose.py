"""No Docker engine runs here, so the compose file is checked against the project:
commands exist, environment names are ones settings read, ports and health checks
are well formed, and workers can be scaled."""

import importlib
import re
import shlex
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
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
    if name not in ("beat", "migrate"):  # beat serves nothing; migrate is one shot
        assert check, f"{name} has no health check"
    if check:
        assert check["test"][0] in ("CMD", "CMD-SHELL") and len(check["test"]) > 1
        for field in ("interval", "timeout"):
            assert re.fullmatch(r"\d+(ms|s|m)", check[field])


def test_app_services_wait_for_healthy_dependencies():
    for name in ("migrate", "web", "worker", "beat"):
        depends = SERVICES[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
        assert SERVICES[name]["env_file"] == ".env"


def test_migrations_run_once_before_web_worker_and_beat_start():
    from django.core.management import get_commands

    migrate = SERVICES["migrate"]
    command = _command("migrate")
    assert command[:3] == ["python", "manage.py", "migrate"] and "--noinput" in command
    assert get_commands()["migrate"] == "django.core"
    # The same image and settings as the app, and never restarted once it has exited.
    database = migrate["environment"]["DATABASE_URL"]
    assert migrate["build"] == "." and database == SERVICES["web"]["environment"]["DATABASE_URL"]
    assert migrate["restart"] == "no"
    for name in ("web", "worker", "beat"):
        assert SERVICES[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


@pytest.mark.parametrize("name", ["web", "worker", "beat", "redis", "postgres"])
def test_every_long_running_service_is_started_again_when_it_stops(name):
    """A worker or beat that dies (or a database that restarts) comes back by itself;
    only `docker compose stop` keeps one down."""
    assert SERVICES[name]["restart"] in ("always", "unless-stopped")


def test_the_health_endpoint_exists_for_operators():
    from django.urls import resolve

    assert resolve("/healthz/").url_name == "healthz"


def _dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) per Dockerfile line, continuation lines joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [tuple(line.split(None, 1)) for line in lines if line and not line.startswith("#")]


def test_the_image_runs_as_a_user_without_privileges_who_owns_what_it_writes():
    steps = _dockerfile()
    users = [args for instruction, args in steps if instruction == "USER"]
    assert users and users[-1] not in ("root", "0"), "the image runs as root"
    user = users[-1]
    assert any(i == "RUN" and re.search(rf"useradd .*\b{user}$", args) for i, args in steps)
    after_user = steps[[i for i, _ in steps].index("USER") :]
    assert not any(i == "RUN" and "pip install" in args for i, args in after_user)
    # var/ holds static files, uploads and beat's schedule: owned by the user.
    assert any(i == "RUN" and f"chown -R {user}:{user} /app/var" in args for i, args in steps)
    # Static files collected as production serves them (the manifest of hashed names), with
    # placeholder secrets rather than development keys written into the image.
    collect = next(args for i, args in steps if i == "RUN" and "collectstatic" in args)
    assert "DEBUG=0" in collect and "SECRET_KEY=" in collect and "CREDENTIALS_KEYS=" in collect
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", "var", ".env", ".git"} <= set(ignored)


def test_workers_can_be_scaled():
    worker = SERVICES["worker"]
    assert "container_name" not in worker and "ports" not in worker
    assert "postgres" in COMPOSE["volumes"] or "pgdata" in COMPOSE["volumes"]

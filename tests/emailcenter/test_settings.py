"""Settings behave as the environment contract says."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BOOT = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"


def _boot(tmp_path, **env):
    base = {k: v for k, v in os.environ.items() if k not in ("CREDENTIALS_KEYS", "SECRET_KEY", "DEBUG")}
    base.update({"DJANGO_SETTINGS_MODULE": "emailcenter.settings", "VAR_DIR": str(tmp_path)}, **env)
    return subprocess.run([sys.executable, "-c", BOOT], cwd=ROOT, env=base, capture_output=True, text=True)


def test_production_refuses_to_start_without_credential_keys(tmp_path):
    result = _boot(tmp_path, DEBUG="0", SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "CREDENTIALS_KEYS must be set" in result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = _boot(tmp_path, DEBUG="0")
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


def test_development_generates_a_credentials_key_under_var(tmp_path):
    result = _boot(tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "credentials.key").exists()
    assert oct((tmp_path / "credentials.key").stat().st_mode & 0o777) == "0o600"


WORKER_BOOT = (
    "import django; django.setup(); from django.db import connections;"
    "from emailcenter.celery import app; from celery.signals import worker_init;"
    "web = connections.settings['default']['CONN_MAX_AGE'];"
    "worker_init.send(sender=None);"
    "pooled = 'pool' in connections.settings['default'].get('OPTIONS', {});"
    "print(web, connections.settings['default']['CONN_MAX_AGE'], pooled)"
)


def _worker_boot(tmp_path, **env):
    base = {k: v for k, v in os.environ.items() if k not in ("CONN_MAX_AGE", "DEBUG")}
    base.update({"DJANGO_SETTINGS_MODULE": "emailcenter.settings", "VAR_DIR": str(tmp_path)}, **env)
    result = subprocess.run(
        [sys.executable, "-c", WORKER_BOOT], cwd=ROOT, env=base, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    web, worker, pooled = result.stdout.split()
    return int(web), int(worker), pooled == "True"


def test_a_worker_keeps_its_connections_and_a_web_process_does_not(tmp_path):
    web, worker, pooled = _worker_boot(tmp_path, WORKER_CONN_MAX_AGE="321")
    assert web == 0  # under ASGI a request's connection ends with the request
    assert worker == (0 if pooled else 321)  # PostgreSQL's pool keeps them warm instead


def test_an_explicit_conn_max_age_wins_in_the_worker(tmp_path):
    web, worker, _ = _worker_boot(tmp_path, CONN_MAX_AGE="0", WORKER_CONN_MAX_AGE="321")
    assert (web, worker) == (0, 0)


def test_processes_starting_together_on_a_fresh_clone_agree_on_one_development_key(tmp_path, monkeypatch):
    """Web and worker start at once on a fresh clone: if each wrote its own key, one
    would encrypt what the other cannot decrypt. Here another process writes its key
    while this one is making its own: both must end up with the other's."""
    from emailcenter import settings as module

    monkeypatch.setattr(module, "VAR_DIR", tmp_path)
    path = tmp_path / "credentials.key"

    def make_while_another_process_wins():
        path.write_text("theirs\n")
        return "ours"

    assert module._development_secret("credentials.key", make_while_another_process_wins) == "theirs"
    assert path.read_text() == "theirs\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["credentials.key"]  # no draft left behind

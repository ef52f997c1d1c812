"""The default tier's cache: a database table every process reads, made by `migrate`,
and a missing table costs the cache only, never the command or the page."""

import json
import logging
import os
import subprocess
import sys

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection, transaction

import core.cache
from core.outage import Outage
from tests.conftest import ROOT

pytestmark = pytest.mark.django_db


@pytest.fixture
def missing_table(settings, monkeypatch):
    settings.CACHES = {
        "default": {"BACKEND": "core.cache.ResilientDatabaseCache", "LOCATION": "no_such_cache"}
    }
    log = Outage(logging.getLogger("core.cache"), "Database cache")
    monkeypatch.setattr(core.cache, "db_outage", log)
    return caches["default"]


def test_the_default_tier_caches_in_a_table_every_migrate_makes(settings):
    if settings.REDIS_URL:
        pytest.skip("tier 1: with Redis the cache is Redis")
    assert settings.CACHES["default"]["BACKEND"] == "core.cache.ResilientDatabaseCache"
    assert "shared_cache" in connection.introspection.table_names()
    cache = caches["default"]
    cache.set("shared-state-probe", {"imap": "imap.fastmail.com"}, 60)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM shared_cache")
        assert cursor.fetchone()[0] >= 1
    assert cache.get("shared-state-probe") == {"imap": "imap.fastmail.com"}


def test_migrate_makes_the_table_again_when_it_is_missing(settings):
    backend = "core.cache.ResilientDatabaseCache"
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": "new_cache"}}
    assert "new_cache" not in connection.introspection.table_names()
    call_command("migrate", verbosity=0)
    assert "new_cache" in connection.introspection.table_names()


def test_a_missing_table_answers_missing_and_logs_once(missing_table, caplog):
    cache = missing_table
    with caplog.at_level(logging.WARNING, logger="core"):
        assert cache.get("k", "fallback") == "fallback"
        assert cache.add("k", 1) is True
        cache.set("k", 1)
        assert "k" not in cache
        assert cache.delete("k") is False
    reports = [r for r in caplog.records if "Database cache unavailable" in r.getMessage()]
    assert len(reports) == 1


def test_a_failed_cache_query_leaves_the_transaction_usable(missing_table, user):
    with transaction.atomic():
        assert missing_table.get("k") is None
        missing_table.set("k", 1)
        # On PostgreSQL a failed statement aborts the whole transaction: it must not.
        assert type(user).objects.filter(pk=user.pk).exists()


def test_the_cli_works_on_a_database_migrate_has_not_reached(tmp_path, closed_port):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
        "DIAG_PW": "x",
        "MAIL_ALLOWED_PRIVATE_HOSTS": "127.0.0.1",
    }
    env.pop("REDIS_URL", None)
    args = [sys.executable, "manage.py", "diagnose", "h@example.test", "--password-env", "DIAG_PW", "--json"]
    for protocol in ("smtp", "imap"):
        args += [f"--{protocol}-host", "127.0.0.1", f"--{protocol}-port", str(closed_port)]
        args += [f"--{protocol}-security", "none"]
    run = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stderr[-3000:]
    assert json.loads(run.stdout)["errors"][0]["code"] == "connection_refused"
    assert "Database cache unavailable" in run.stderr

"""The shared counters: exact under concurrency from separate processes, on the
database and on Redis; expired rows pruned; fail open while Redis is down."""

import logging
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings

from core import counters
from core.models import Counter
from core.outage import Outage
from tests.conftest import ROOT, app_env

from .count_hits import WINDOW

STORES = [
    "database",
    pytest.param("redis", marks=pytest.mark.skipif(not settings.REDIS_URL, reason="tier 2")),
]


def _hits_from(env: dict, key: str, n: int, go: Path, mine: Path, theirs: Path, log: Path):
    command = [sys.executable, "-m", "tests.core.count_hits", key, str(n), str(go), str(mine), str(theirs)]
    with open(log, "wb") as err:  # a file, not a pipe: its logging can never block it
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=err, text=True)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("store", STORES)
def test_fifty_increments_from_two_processes_at_once_give_fifty(store, test_database_url, pki, tmp_path):
    env = app_env(test_database_url, pki)
    if store == "database":
        env.pop("REDIS_URL", None)
    key = f"concurrency-{uuid.uuid4().hex}"
    go = tmp_path / "go"
    logs = [tmp_path / f"hits-{i}.log" for i in range(2)]
    marks = [tmp_path / f"started-{i}" for i in range(2)]
    procs = [_hits_from(env, key, 25, go, marks[i], marks[1 - i], logs[i]) for i in range(2)]
    for proc, log in zip(procs, logs, strict=True):  # both set up and connected: start together
        assert proc.stdout.readline().strip() == "ready", log.read_text()[-3000:]
    go.touch()
    outputs = [proc.communicate(timeout=120)[0] for proc in procs]
    for proc, log in zip(procs, logs, strict=True):
        assert proc.returncode == 0, log.read_text()[-3000:]
    lines = [out.splitlines() for out in outputs]  # "ready" was read already
    values = sorted(int(line) for out in lines for line in out[1:])
    # Every increment saw a count of its own: none was lost or counted twice.
    assert values == list(range(1, 51))
    if store == "database":
        assert Counter.objects.get(key=key).value == 50
    else:
        assert counters.count(key, WINDOW) == 50
    # Both really ran at once (the harness makes sure): each started before the other finished.
    spans = [[float(word) for word in out[0].split()[1:]] for out in lines]
    assert spans[0][0] < spans[1][1] and spans[1][0] < spans[0][1], spans


@pytest.mark.django_db
def test_it_counts_reads_without_counting_and_resets():
    key = f"basic-{uuid.uuid4().hex}"
    assert counters.count(key, 60) == 0
    assert [counters.hit(key, 60) for _ in range(3)] == [1, 2, 3]
    assert counters.count(key, 60) == 3
    assert counters.hit(f"{key}-other", 60) == 1
    counters.reset(key, 60)
    assert counters.count(key, 60) == 0 and counters.count(f"{key}-other", 60) == 1


@pytest.mark.django_db
def test_the_window_ends_on_its_boundary():
    assert counters.window_end(600) % 600 == 0
    assert 0 < counters.window_end(600) - time.time() <= 600


@pytest.mark.django_db
def test_expired_rows_are_pruned_and_current_ones_kept(settings, monkeypatch):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "shared_cache"}
    }
    old = Counter.objects.create(
        key="old", window_start=0, value=9, expires_at=datetime.now(tz=UTC) - timedelta(seconds=1)
    )
    monkeypatch.setattr(counters, "_next_prune", 0.0)
    counters.hit("fresh", 60)
    assert not Counter.objects.filter(pk=old.pk).exists()
    assert Counter.objects.get(key="fresh").value == 1
    # Not on every hit: at most once per PRUNE_EVERY per process.
    again = Counter.objects.create(
        key="old", window_start=0, value=9, expires_at=datetime.now(tz=UTC) - timedelta(seconds=1)
    )
    counters.hit("fresh", 60)
    assert Counter.objects.filter(pk=again.pk).exists()


@pytest.mark.skipif(not settings.REDIS_URL, reason="tier 2")
@pytest.mark.django_db
def test_redis_keys_expire_after_their_window():
    from django.core.cache import caches

    key = f"ttl-{uuid.uuid4().hex}"
    counters.hit(key, 60)
    backend = caches["default"]
    name = counters._redis_key(backend, key, counters.window_start(60))
    ttl = backend._cache.get_client(name).ttl(name)
    assert 0 < ttl <= 60 + counters.GRACE


@pytest.mark.django_db
def test_with_redis_down_counters_allow_and_log_once(settings, closed_port, monkeypatch, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
        }
    }
    monkeypatch.setattr(counters, "outage", Outage(logging.getLogger("core.counters"), "Redis counters"))
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="core"):
        assert [counters.hit("down", 60) for _ in range(5)] == [0] * 5
        assert counters.count("down", 60) == 0
        counters.reset("down", 60)
    assert time.monotonic() - started < 3
    reports = [r for r in caplog.records if "Redis counters unavailable" in r.getMessage()]
    assert len(reports) == 1 and "ConnectionError" in reports[0].getMessage()
    assert not Counter.objects.exists()  # no silent switch to another store

"""Redis stopped (REDIS_URL at a closed port): sign-in and pages still answer 200,
starting a test says it is queued, and the cache error is logged, not raised."""

import logging
import time
import uuid

import pytest
from django.core.cache import caches

import core.cache
from accounts.models import Mailbox
from core.outage import Outage
from diagnostics.flows import QUEUE_DOWN

from .processes import Visitor, mailbox_id

PASSWORD = "correct horse battery"


@pytest.fixture
def dead_redis_cache(settings, closed_port, monkeypatch):
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
        }
    }
    monkeypatch.setattr(core.cache, "outage", Outage(logging.getLogger("core.cache"), "Redis cache"))
    return caches["default"]


def test_the_cache_answers_missing_instead_of_raising_and_logs_once(dead_redis_cache, caplog):
    cache = dead_redis_cache
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="core"):
        assert cache.get("k", "fallback") == "fallback"
        assert cache.get_many(["a", "b"]) == {}
        assert "k" not in cache
        assert cache.add("k", 1) is True  # fail open: nobody could see the mark anyway
        cache.set("k", 1)
        assert cache.set_many({"a": 1}) == ["a"]
        assert cache.touch("k") is False and cache.delete("k") is False
        cache.delete_many(["a"])
        with pytest.raises(ValueError):
            cache.incr("k")
        assert cache.get_or_set("k", 7) == 7
    assert time.monotonic() - started < 3
    reports = [r for r in caplog.records if "Redis cache unavailable" in r.getMessage()]
    assert len(reports) == 1, "one report per minute, not one per call"
    assert "ConnectionError" in reports[0].getMessage() and reports[0].levelno == logging.WARNING


@pytest.mark.django_db(transaction=True)
def test_sign_in_and_pages_work_and_a_test_is_queued_while_redis_is_down(web, make_user, closed_port):
    user = make_user(f"redisdown-{uuid.uuid4().hex[:6]}", PASSWORD)
    # DNS_NAMESERVERS set: the hint tries to queue a lookup for a custom domain too.
    server = web(REDIS_URL=f"redis://127.0.0.1:{closed_port}/0", DNS_NAMESERVERS=f"127.0.0.1:{closed_port}")
    person = Visitor(server.port)
    started = time.monotonic()

    signed_in = person.sign_in(user.username, PASSWORD)
    assert signed_in.status == 302 and signed_in.headers["Location"] == "/", signed_in.body[-2000:]
    # The session survived Redis being down: it was written to and read from the database.
    for path in ("/", "/mailboxes/new/", "/support/"):
        page = person.get(path)
        assert page.status == 200, (path, page.body[-2000:])
        assert f"Log out ({user.username})" in page.body
    hint = person.get("/mailboxes/provider-hint/?email=jane%40custom-domain.test", {"HX-Request": "true"})
    assert hint.status == 200 and "imap.custom-domain.test" in hint.body

    created = person.post(
        "/mailboxes/new/",
        {
            "email": "down@example.test",
            "password": "secret",
            "smtp_host": "127.0.0.1",
            "smtp_port": "2525",
            "smtp_security": "starttls",
            "imap_host": "127.0.0.1",
            "imap_port": "993",
            "imap_security": "ssl",
        },
    )
    assert created.status == 302, created.body[-3000:]
    detail = person.get(created.headers["Location"])
    assert detail.status == 200 and "Queued" in detail.body and QUEUE_DOWN in detail.body
    assert Mailbox.objects.get(pk=mailbox_id(created.headers["Location"])).user_id == user.pk
    assert time.monotonic() - started < 15  # nothing waited on a dead Redis

    log = server.log()
    assert "Redis cache unavailable" in log and "Connection refused" in log
    assert log.count("Redis cache unavailable") == 1, "rate-limited, not one line per call"
    assert '" 500 ' not in log

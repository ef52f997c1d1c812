"""The database side of bench/watchers.py: seed 1,000 mailboxes with running tests
for one signed-in user, put them back to running, and finish them.

Finishing runs in a process of its own, as the worker would:

    python bench/watcher_data.py PAIRS_JSON   # marks the tests connected, publishes, prints the times
"""

import json
import os
import sys
import time
from pathlib import Path

from stack import ROOT  # noqa: F401 (puts the project on sys.path)


CAPABILITIES = {
    "smtp": ["SIZE 35882577", "8BITMIME", "AUTH LOGIN PLAIN", "PIPELINING", "SMTPUTF8"],
    "imap": ["IMAP4rev1", "IDLE", "MOVE", "UIDPLUS"],
    "inbox": {"readable": True},
}
DOMAIN_CHECKS = {
    "spf": {"status": "ok", "detail": "v=spf1 include:_spf.example.test ~all"},
    "dmarc": {"status": "ok", "detail": "v=DMARC1; p=none", "policy": "none"},
    "mx": {"status": "ok", "detail": "mx.example.test"},
}


def setup_django(env: dict) -> None:
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "emailcenter.settings"
    import django

    django.setup()


def seed(count: int) -> tuple[str, str, list[tuple[int, int]]]:
    """A user with `count` mailboxes, each with a running test; (cookie, session, [(mailbox, test)])."""
    from datetime import timedelta
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.utils import timezone

    from accounts.models import Mailbox
    from diagnostics.models import ConnectionTest

    user = User.objects.create_user("watchers")
    template = Mailbox(user=user, email="w@example.test", smtp_host="127.0.0.1", imap_host="127.0.0.1")
    template.set_password("watchers-pw")
    Mailbox.objects.bulk_create(
        Mailbox(user=user, email=f"w{i}@example.test", smtp_host="127.0.0.1", smtp_port=587,
                smtp_security="starttls", imap_host="127.0.0.1", imap_port=993, imap_security="ssl",
                password_encrypted=template.password_encrypted, status=Mailbox.Status.TESTING)
        for i in range(count)
    )  # fmt: skip
    mailboxes = list(Mailbox.objects.filter(user=user).order_by("pk"))
    now = timezone.now()
    ConnectionTest.objects.bulk_create(
        ConnectionTest(mailbox=m, status=ConnectionTest.Status.RUNNING, settings=m.settings_snapshot(),
                       started_at=now, deadline_at=now + timedelta(hours=2))
        for m in mailboxes
    )  # fmt: skip
    tests = dict(ConnectionTest.objects.filter(mailbox__user=user).values_list("mailbox_id", "pk"))
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return settings.SESSION_COOKIE_NAME, session.session_key, [(m.pk, tests[m.pk]) for m in mailboxes]


def reset_tests(pairs: list[tuple[int, int]]) -> None:
    from accounts.models import Mailbox
    from diagnostics.models import ConnectionTest

    ConnectionTest.objects.filter(pk__in=[t for _, t in pairs]).update(
        status=ConnectionTest.Status.RUNNING, finished_at=None, sent_folder=""
    )
    Mailbox.objects.filter(pk__in=[m for m, _ in pairs]).update(status=Mailbox.Status.TESTING)


def finish(pairs_file: str) -> None:
    """In a separate process, as the worker: mark every test connected, then publish."""
    setup_django({})
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import Mailbox
    from diagnostics.models import ConnectionTest
    from live.publish import publish_many

    pairs = json.loads(Path(pairs_file).read_text())
    now = timezone.now()
    with transaction.atomic():
        # What a connected test stores (diagnostics.deliverability.store): the page's
        # capability panel then reads no earlier test for them, as in production.
        ConnectionTest.objects.filter(pk__in=[t for _, t in pairs]).update(
            status=ConnectionTest.Status.CONNECTED, finished_at=now, sent_folder="Sent",
            capabilities=CAPABILITIES, domain_checks=DOMAIN_CHECKS,
        )  # fmt: skip
        Mailbox.objects.filter(pk__in=[m for m, _ in pairs]).update(
            status=Mailbox.Status.CONNECTED, last_tested_at=now
        )
    committed = time.monotonic()
    published = []
    for mailbox_id, test_id in pairs:
        publish_many([f"test-{test_id}", f"mailbox-{mailbox_id}"])  # as diagnostics.flows does
        published.append(time.monotonic())
    print(json.dumps({"committed": committed, "published": published}), flush=True)


if __name__ == "__main__":
    finish(sys.argv[1])

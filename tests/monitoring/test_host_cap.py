"""MAIL_HEALTH_PER_HOST holds across concurrent checks: counted at the servers."""

import threading

import pytest
from django.db import connection

from monitoring import checks
from monitoring.models import HostSlot, State

from .conftest import Concurrency

pytestmark = pytest.mark.django_db(transaction=True)


def test_no_host_sees_more_concurrent_logins_than_the_cap(connected_mailbox, servers, flaky, settings):
    settings.MAIL_HEALTH_PER_HOST = 4  # SMTP and IMAP share 127.0.0.1: two checks at once
    at_the_server = Concurrency()
    smtp = flaky(servers.smtp.port, delay=0.4, counter=at_the_server)
    imap = flaky(servers.imap_port, delay=0.4, counter=at_the_server)
    boxes = [connected_mailbox(smtp_port=smtp.port, imap_port=imap.port) for _ in range(6)]
    outcomes = []

    def run(pk):
        try:
            outcomes.append(checks.run_check(pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(box.pk,)) for box in boxes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [o.after for o in outcomes] == [State.CONNECTED] * 6, [o.as_dict() for o in outcomes]
    assert 2 <= at_the_server.peak <= 4, at_the_server.peak
    assert not HostSlot.objects.exclude(holder="").exists(), "every slot was given back"

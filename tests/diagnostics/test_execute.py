"""execute_test hands back how the test ended, so that its caller (a health check)
need not read the test back from the database."""

import pytest

from diagnostics.flows import execute_test, start_test
from diagnostics.models import ConnectionTest

pytestmark = pytest.mark.django_db


def test_it_returns_the_ended_test_and_the_errors_it_stored(user, make_mailbox, closed_port):
    mailbox = make_mailbox(user, smtp_port=closed_port, imap_port=closed_port)
    test = start_test(mailbox)  # queued; inside the test's transaction nothing is sent
    finished = execute_test(test.pk)
    stored = ConnectionTest.objects.get(pk=test.pk)
    assert finished.test.pk == stored.pk
    assert finished.test.status == stored.status == ConnectionTest.Status.FAILED
    assert finished.test.finished_at == stored.finished_at
    returned = sorted((e.protocol, e.code, e.reason) for e in finished.errors)
    assert returned == sorted((e.protocol, e.code, e.reason) for e in stored.errors.all())
    assert {protocol for protocol, _, _ in returned} == {"smtp", "imap"}


def test_a_test_that_is_no_longer_queued_returns_nothing(user, make_mailbox, closed_port):
    mailbox = make_mailbox(user, smtp_port=closed_port, imap_port=closed_port)
    test = start_test(mailbox)
    execute_test(test.pk)
    assert execute_test(test.pk) is None

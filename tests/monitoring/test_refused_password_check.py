"""A health check never resends a password its server refused (core.refused)."""

import pytest
from django.utils import timezone

from monitoring import checks
from monitoring.models import Health

pytestmark = pytest.mark.django_db


def test_a_health_check_never_resends_a_refused_password(servers, connected_mailbox):

    mailbox = connected_mailbox()
    servers.change_password(mailbox.email, "changed-at-the-provider")
    first = checks.run_check(mailbox.pk)
    assert first.after == "disconnected"
    attempts = len(servers.smtp.auth_attempts)
    Health.objects.filter(pk=mailbox.pk).update(next_check_at=timezone.now())
    second = checks.run_check(mailbox.pk)
    assert second.after == "disconnected"
    assert len(servers.smtp.auth_attempts) == attempts
    assert mailbox.tests.order_by("-pk").first().errors.get().reason == "already_refused"

"""Re-running a test from the admin page goes through the real Celery worker."""

import time
from http import HTTPStatus

import pytest
from django.urls import reverse

from diagnostics.models import ConnectionTest
from tests.live.pages import closes_stream, refresh_url
from tests.servers.raw import send_then_close
from tests.staff_fixtures import PASSWORD

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def test_it_reruns_a_failed_test_through_the_worker(
    celery_worker, client, user, admin_user, make_mailbox, make_failed_test, raw_server, closed_port
):
    smtp = raw_server(send_then_close(b"554 5.3.2 no service here\r\n"))
    mailbox = make_mailbox(
        user,
        email="rerun@example.test",
        password=PASSWORD,
        smtp_port=smtp.port,
        smtp_security="starttls",
        imap_port=closed_port,
        imap_security="ssl",
    )
    old = make_failed_test(mailbox, "imap_auth")
    client.force_login(admin_user)

    response = client.post(reverse("review_rerun", args=[old.pk]))
    new = ConnectionTest.objects.exclude(pk=old.pk).get(mailbox=mailbox)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("review_detail", args=[new.pk])

    partial = client.get(response["Location"])
    status_url = refresh_url(partial.content.decode()) if "sse-connect" in partial.content.decode() else None
    deadline = time.monotonic() + 40
    while status_url:  # what the page re-fetches on each pushed event, until it closes the stream
        partial = client.get(status_url, headers={"HX-Request": "true"})
        assert partial.status_code == HTTPStatus.OK
        if closes_stream(partial.content.decode()):
            break
        if time.monotonic() > deadline:
            pytest.fail(f"the re-run did not finish:\n{celery_worker.log()[-3000:]}")
        time.sleep(0.2)

    new.refresh_from_db()
    assert new.status == "failed" and new.started_at and new.finished_at
    codes = set(new.errors.values_list("code", flat=True))
    assert codes == {"smtp_fatal", "connection_refused"}, codes
    page = client.get(reverse("review_detail", args=[new.pk])).content.decode()
    assert "SMTP fatal error" in page and "554 5.3.2" in page
    assert f'href="{reverse("review_detail", args=[old.pk])}"' in page  # the earlier attempt
    for text in (page, partial.content.decode(), celery_worker.log()):
        assert PASSWORD not in text

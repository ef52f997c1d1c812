"""An import row through the worker follows the refused-password rules: a password the
server refused is never sent again when the row is checked again."""

import time

import pytest
from django.urls import reverse

from imports.models import ImportJob, ImportRow
from tests.imports.mixed import write_csv
from tests.imports.test_web import _map_as_guessed, _upload, _wait_rows

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def _row(job: ImportJob) -> ImportRow:
    for _ in range(300):  # the worker writes the row's result
        row = job.rows.get()
        if row.state not in ("queued", "testing"):
            return row
        time.sleep(0.1)
    pytest.fail("the row never got its result")


def test_checking_a_refused_row_again_sends_the_password_nowhere(
    celery_worker, client, user, dovecot, smtp_server
):
    name = dovecot.unique_username("rowtypo")
    dovecot.add_user(name, "the-right-one", folders=["Sent"])
    smtp = smtp_server(security="starttls", users={name: "the-right-one"})
    header = [
        "email",
        "password",
        *(f"{p}_{k}" for p in ("smtp", "imap") for k in ("host", "port", "security")),
    ]
    server = ["127.0.0.1", str(smtp.port), "starttls", "127.0.0.1", str(dovecot.port_ssl), "ssl"]
    client.force_login(user)
    _upload(client, write_csv(header, [[name, "a-typo", *server]]))
    job = ImportJob.objects.get(user=user)
    _map_as_guessed(client, job)
    _wait_rows(client, job)
    assert _row(job).reason == "wrong_credentials" and len(smtp.auth_attempts) == 1

    assert client.post(reverse("import_recheck", args=[job.pk])).status_code == 302
    row = _row(job)
    assert (row.state, row.reason) == ("failed", "already_refused")
    assert row.message.startswith("This password was already refused at")
    assert len(smtp.auth_attempts) == 1  # the server never heard it again

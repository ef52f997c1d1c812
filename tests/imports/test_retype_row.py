"""A failed row fixed in place: retype its password, the worker tests that row again,
and the table says what happened in words, never in internal codes."""

import re
import time
from http import HTTPStatus

import pytest
from django.urls import reverse

from imports.models import ImportJob
from tests.imports.mixed import write_csv
from tests.imports.test_web import _map_as_guessed, _upload, _wait_rows

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

PASSWORD = "Retype-Right 7"


def test_a_failed_row_is_retyped_and_tested_in_place(
    celery_worker, client, user, other_user, dovecot, smtp_server
):
    good, wrong = dovecot.unique_username("rt"), dovecot.unique_username("rtbad")
    for name in (good, wrong):
        dovecot.add_user(name, PASSWORD, folders=["Sent"])
    smtp = smtp_server(security="starttls", users={good: PASSWORD, wrong: PASSWORD})
    server = ["127.0.0.1", str(smtp.port), "starttls", "127.0.0.1", str(dovecot.port_ssl), "ssl"]
    header = ["email", "password", "smtp_host", "smtp_port", "smtp_security", "imap_host", "imap_port",
              "imap_security"]  # fmt: skip
    text = write_csv(
        header, [[good, PASSWORD, *server], [wrong, "typo-in-file", *server], ["bad", "x", *server]]
    )
    client.force_login(user)
    _upload(client, text)
    job = ImportJob.objects.get(user=user)
    _map_as_guessed(client, job)
    final = _wait_rows(client, job)[-1]

    table = final[final.index('<table class="list import-rows">') :]
    for code in ("smtp_auth", "imap_auth", "invalid_row", "invalid_input", "wrong_credentials"):
        assert code not in table  # the catalogue's words, not our codes
    assert "Authentication error" in table or "authentication error" in table
    assert '<th scope="col" class="row-number">Row</th>' in table
    failed = job.rows.get(email=wrong)
    form = reverse("import_retype", args=[job.pk, failed.pk])
    assert f'action="{form}"' in table
    assert table.count("Retype and test again") == 1  # only the failed row, not the invalid one

    # Another user can neither retype nor see it.
    client.force_login(other_user)
    assert client.post(form, {"password": PASSWORD}).status_code == HTTPStatus.NOT_FOUND
    client.force_login(user)

    response = client.post(form, {"password": PASSWORD, "username": ""})
    assert response.status_code == HTTPStatus.FOUND and response["Location"].endswith(f"#row-{failed.number}")
    failed.refresh_from_db()
    assert failed.state in ("queued", "testing", "connected") and PASSWORD not in failed.password_encrypted
    # Rows from the import page's own partial, polled until the row is tested again.
    rows_url = reverse("import_rows", args=[job.pk])
    for _attempt in range(300):
        final = client.get(rows_url, headers={"HX-Request": "true"}).content.decode()
        if 'data-state="connected"' in final and "Import the 2" in final:
            break
        time.sleep(0.2)
    assert re.search(rf'data-row="{failed.number}" data-state="connected"', final)
    assert "Import the 2 that connected" in final and "Retype and test again" not in final
    # A connected row cannot be retyped.
    assert client.post(form, {"password": "other"}).status_code == HTTPStatus.FOUND
    failed.refresh_from_db()
    assert failed.state == "connected"

"""The web import through a real Celery worker: upload, mapping, live rows, import, export."""

import csv
import io
import time
from http import HTTPStatus

import pytest
from django.urls import reverse

from accounts.models import Mailbox
from imports.models import ImportJob, ImportRow
from tests.imports.leakscan import leaks
from tests.imports.mixed import check_rows
from tests.live.pages import closes_stream, refresh_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def _upload(client, text: str, name: str = "boxes.csv"):
    upload = io.BytesIO(text.encode("utf-8"))
    upload.name = name
    return client.post(reverse("import_new"), {"file": upload})


def _map_as_guessed(client, job: ImportJob):
    data = {f"col_{name}": index for name, index in job.mapping.items()}
    return client.post(reverse("import_mapping", args=[job.pk]), data)


def _wait_rows(client, job: ImportJob, seconds: float = 60) -> list[str]:
    page = client.get(reverse("import_detail", args=[job.pk])).content.decode()
    url = refresh_url(page)  # rows were just queued: the page watches them
    bodies = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        response = client.get(url, headers={"HX-Request": "true"})
        assert response.status_code == HTTPStatus.OK
        bodies.append(response.content.decode())
        if closes_stream(bodies[-1]):
            return bodies
        time.sleep(0.2)
    pytest.fail(f"the import did not finish; last partial:\n{bodies[-1][:3000]}")


def test_it_checks_a_mixed_file_through_the_worker_and_imports_only_the_connected(
    celery_worker, client, user, mixed, other_user
):
    started = time.time()
    client.force_login(user)
    response = _upload(client, mixed.text)
    job = ImportJob.objects.get(user=user)
    assert response.status_code == HTTPStatus.FOUND
    page = client.get(reverse("import_detail", args=[job.pk])).content.decode()
    assert 'id="col_email"' in page and "Ignored columns (not known): warmup_enabled" in page
    # Nothing readable is kept before the columns are mapped: the cells are encrypted.
    assert all(r.cells_encrypted and mixed.passwords[0] not in r.cells_encrypted for r in job.rows.all())

    _map_as_guessed(client, job)
    bodies = _wait_rows(client, job)
    final = bodies[-1]
    rows = {
        r.number: {"state": r.shown_state, "code": r.code, "problems": r.problems} for r in job.rows.all()
    }
    check_rows(rows, mixed.expected)
    assert "Row 8, column <code>smtp_port</code>: The port must be a whole number." in final
    assert "Import the 2 that connected" in final
    assert reverse("sso_start", args=["google"]) + "?email=someone%40gmail.com" in final
    assert Mailbox.objects.count() == 0  # nothing saved before the import
    assert (
        any('data-state="testing"' in b or 'data-state="queued"' in b for b in bodies[:-1])
        or len(bodies) == 1
    )

    # Another user sees none of it.
    client.force_login(other_user)
    for name in ("import_detail", "import_rows", "import_export"):
        assert client.get(reverse(name, args=[job.pk])).status_code == HTTPStatus.NOT_FOUND
    assert client.post(reverse("import_save", args=[job.pk])).status_code == HTTPStatus.NOT_FOUND
    client.force_login(user)

    client.post(reverse("import_save", args=[job.pk]))
    client.post(reverse("import_save", args=[job.pk]))  # a re-submit
    boxes = Mailbox.objects.filter(user=user)
    assert sorted(b.email for b in boxes) == sorted(mixed.good)
    for box in boxes:
        assert box.status == "connected" and box.sent_folder == "Sent"
        assert box.get_password() == mixed.passwords[0]
    # Every row's secrets are gone once imported.
    assert not ImportRow.objects.exclude(password_encrypted="").exists()
    assert not ImportRow.objects.exclude(cells_encrypted="").exists()
    listing = client.get(reverse("mailbox_list")).content.decode()
    assert all(email in listing for email in mixed.good)

    exported = client.get(reverse("import_export", args=[job.pk])).content.decode()
    table = list(csv.DictReader(io.StringIO(exported)))
    assert [r["state"] for r in table][:2] == ["imported", "imported"]
    assert table[1]["name"] == '\'=HYPERLINK("http://x")'

    texts = [*bodies, exported, listing, celery_worker.log()]
    assert leaks(mixed.passwords, since=started, extra_texts=texts) == []


def test_a_file_problem_is_shown_and_the_pasted_text_kept(client, user):
    client.force_login(user)
    response = client.post(reverse("import_new"), {"pasted": "from_email;password\r\n"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    body = response.content.decode()
    assert "header row but no mailboxes" in body and "from_email;password" in body
    assert not ImportJob.objects.exists()


def test_a_missing_email_column_is_chosen_in_the_mapping(client, user):
    client.force_login(user)
    client.post(reverse("import_new"), {"pasted": "Adresse,Kennwort\r\nann@example.test,x\r\n"})
    job = ImportJob.objects.get()
    page = client.get(reverse("import_detail", args=[job.pk])).content.decode()
    assert "No email column" in page
    response = client.post(reverse("import_mapping", args=[job.pk]), {"col_password": "1"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "No email column" in response.content.decode()
    client.post(reverse("import_mapping", args=[job.pk]), {"col_email": "0", "col_password": "1"})
    row = ImportRow.objects.get()
    assert row.email == "ann@example.test" and row.password_encrypted and not row.cells_encrypted


def test_an_oversized_upload_is_refused_without_a_temporary_file(client, user, settings, tmp_path):
    started = time.time()
    # Django's default handlers would write a file above 2.5 MB here, and fail: it does not exist.
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "no-such-dir")
    secret = "Never-On-Disk-4711"
    client.force_login(user)
    # Above Django's 2.5 MB in-memory threshold (its default handlers would write a temp file).
    text = "email,password\r\n" + f"a@example.test,{secret}\r\n" * 200_000
    response = _upload(client, text)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "The file is 7 MB; the limit is 5.2 MB. Split it into smaller files." in response.content.decode()
    settings.IMPORT_MAX_BYTES = 1000
    response = _upload(client, text[:3000])
    assert "The file is 3 KB; the limit is 1 KB." in response.content.decode()
    assert not ImportJob.objects.exists()
    assert leaks([secret], since=started) == []


def test_the_template_downloads_and_parses(client, user):
    client.force_login(user)
    response = client.get(reverse("import_template"))
    assert response["Content-Disposition"].startswith("attachment")
    assert response.content.decode().startswith("from_email,from_name,password,")


def test_the_upload_still_checks_csrf(user):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    response = strict.post(reverse("import_new"), {"pasted": "email,password\r\na@example.test,x\r\n"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not ImportJob.objects.exists()


def test_other_users_get_404_for_mapping_and_recheck(client, user, other_user):
    client.force_login(user)
    client.post(reverse("import_new"), {"pasted": "email,password\r\na@example.test,x\r\n"})
    job = ImportJob.objects.get()
    client.force_login(other_user)
    for name in ("import_mapping", "import_recheck"):
        assert (
            client.post(reverse(name, args=[job.pk]), {"col_email": "0"}).status_code == HTTPStatus.NOT_FOUND
        )
    assert ImportJob.objects.get().status == ImportJob.Status.MAPPING


def test_expired_jobs_are_deleted_with_their_encrypted_passwords(client, user):
    from django.utils import timezone

    from imports import flows

    client.force_login(user)
    client.post(reverse("import_new"), {"pasted": "email,password\r\na@example.test,x\r\n"})
    assert flows.reap() == (0, 0)
    ImportJob.objects.update(expires_at=timezone.now())
    flows.reap()
    assert not ImportJob.objects.exists() and not ImportRow.objects.exists()


def test_nothing_is_imported_before_every_row_has_its_result(client, user):
    client.force_login(user)
    client.post(reverse("import_new"), {"pasted": "email,password\r\na@example.test,x\r\n"})
    job = ImportJob.objects.get()
    response = client.post(reverse("import_save", args=[job.pk]))
    assert response.status_code == HTTPStatus.FOUND and not Mailbox.objects.exists()
    assert ImportJob.objects.get().status == ImportJob.Status.MAPPING


def test_failed_rows_can_be_saved_as_drafts_to_fix_later(celery_worker, client, user, mixed):
    client.force_login(user)
    lines = mixed.text.splitlines()
    _upload(client, "\r\n".join([lines[0], lines[1], lines[3]]) + "\r\n")  # a good row, a wrong password
    job = ImportJob.objects.get()
    _map_as_guessed(client, job)
    final = _wait_rows(client, job)[-1]
    assert "Also save the 1 failed one as drafts" in final
    client.post(reverse("import_save", args=[job.pk]), {"drafts": "1"})
    boxes = {b.email: b for b in Mailbox.objects.filter(user=user)}
    assert boxes[mixed.good[0]].status == "connected"
    draft = boxes[mixed.wrong]
    assert draft.status == "new" and draft.get_password() == mixed.passwords[1]
    assert dict(job.rows.values_list("number", "state")) == {2: "imported", 3: "draft"}


def test_only_the_owner_may_watch_an_import(client, user, other_user):
    from live import topics

    client.force_login(user)
    client.post(reverse("import_new"), {"pasted": "email,password\r\na@example.test,x\r\n"})
    topic = f"import-{ImportJob.objects.get().pk}"
    assert topics.allowed(user, topic) and not topics.allowed(other_user, topic)
    assert not topics.allowed(user, "import-99999")
    client.force_login(other_user)
    assert client.get(reverse("live_stream"), {"topics": topic}).status_code == HTTPStatus.FORBIDDEN

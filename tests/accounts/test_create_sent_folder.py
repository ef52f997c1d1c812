"""No Sent folder: the page offers to create one first, the worker creates it on the
real server (Dovecot) and the mailbox is connected with it."""

import re

import pytest
from django.urls import reverse

from diagnostics.flows import execute_test, start_test

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "sent-folder-pw"


@pytest.fixture(autouse=True)
def tests_run_here(monkeypatch):
    """Each test runs in this process: nothing reaches the shared queue's worker."""
    queued = []
    monkeypatch.setattr("diagnostics.flows.enqueue", lambda test_id: queued.append(test_id) or True)
    return queued


@pytest.fixture
def sentless(dovecot, smtp_server, make_mailbox, user):
    address = dovecot.add_user(dovecot.unique_username("nosent"), PASSWORD, folders=["Drafts", "Archive"])
    smtp = smtp_server(security="starttls", users={address: PASSWORD})
    return make_mailbox(
        user,
        email=address,
        password=PASSWORD,
        smtp_port=smtp.port,
        smtp_security="starttls",
        imap_port=dovecot.port_ssl,
        imap_security="ssl",
    )


def _page(client, mailbox) -> str:
    return client.get(reverse("mailbox_detail", args=[mailbox.pk])).content.decode()


def test_create_a_sent_folder_comes_first_and_the_worker_creates_it(client_a, sentless, tests_run_here):
    execute_test(start_test(sentless).pk)
    page = _page(client_a, sentless)
    create = page.index("Create a Sent folder")
    assert create < page.index('id="folder-choice"')  # the first choice
    # Neither Archive nor Drafts is a plausible Sent folder: nothing is pre-selected.
    select = re.search(r'<select name="folder" id="folder-choice" required>(.*?)</select>', page, re.S)[1]
    assert re.findall(r"<option[^>]*selected[^>]*>([^<]*)<", select) == ["Choose a folder…"]
    assert '<details class="folder-picker">' in page  # folded: creating is the obvious way

    response = client_a.post(reverse("mailbox_create_folder", args=[sentless.pk]))
    assert response.status_code == 302
    test = sentless.latest_test()
    assert test.create_sent_folder and test.status == "queued" and tests_run_here[-1] == test.pk
    execute_test(test.pk)  # what the worker does with the queued id
    test.refresh_from_db()
    assert test.status == "connected" and test.sent_folder == "Sent"
    sentless.refresh_from_db()
    assert sentless.status == "connected" and sentless.sent_folder == "Sent"
    assert 'class="sent-folder">Sent<' in _page(client_a, sentless)

    # The next ordinary test finds it by itself.
    again = start_test(sentless)
    execute_test(again.pk)
    again.refresh_from_db()
    assert again.status == "connected" and again.sent_folder == "Sent" and not again.create_sent_folder


def test_a_plausible_folder_is_pre_selected(client_a, sentless, dovecot):
    dovecot.create_folders(sentless.email, ["Postausgang"])
    execute_test(start_test(sentless).pk)
    page = _page(client_a, sentless)
    assert re.search(r'<option value="Postausgang" selected>', page)
    assert "Choose a folder…" not in page


def test_nothing_is_created_for_a_mailbox_that_has_its_sent_folder(client_a, user, make_mailbox):
    mailbox = make_mailbox(user)
    start_test(mailbox)  # queued, no errors: nothing to create
    client_a.post(reverse("mailbox_create_folder", args=[mailbox.pk]))
    assert mailbox.tests.count() == 1


def test_another_users_mailbox_is_404(client, other_user, make_mailbox, user):
    theirs = make_mailbox(other_user, email="bob@example.test")
    client.force_login(user)
    assert client.post(reverse("mailbox_create_folder", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("mailbox_create_folder", args=[theirs.pk])).status_code in (404, 405)

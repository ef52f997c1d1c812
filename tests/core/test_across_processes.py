"""Separate web and worker processes see one system: what one writes, the others read.

Nothing is shared but what the app shares (the database, the broker, Redis on tier 2):
each process is started on its own, as `make run` and compose start them.
"""

import uuid

import pytest

from diagnostics.models import ConnectionTest

from .processes import Visitor, mailbox_id, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

PASSWORD = "correct horse battery"
HTMX = {"HX-Request": "true"}


def test_a_custom_domain_answered_by_the_worker_reaches_the_page(web, worker, make_user, dns_server):
    domain = f"fm-{uuid.uuid4().hex[:8]}.test"
    dns_server.add(
        domain, "MX", [(10, "in1-smtp.messagingengine.com."), (20, "in2-smtp.messagingengine.com.")]
    )
    lookups = {
        "DNS_NAMESERVERS": dns_server.nameservers,
        "AUTOCONFIG_ISPDB_URL": "",
        "AUTOCONFIG_DEADLINE": "3",
    }
    worker(**lookups)
    server = web(**lookups)
    user = make_user(f"fm-{uuid.uuid4().hex[:6]}", PASSWORD)
    person = Visitor(server.port)
    assert person.sign_in(user.username, PASSWORD).status == 302

    hint = f"/mailboxes/provider-hint/?email=jane%40{domain}"
    first = person.get(hint, HTMX)
    assert first.status == 200 and "imap.fastmail.com" not in first.body  # queued for the worker

    def detected():
        page = person.get(hint, HTMX)
        return page if "imap.fastmail.com" in page.body else None

    answered = wait_for(detected, 20, 0.2)
    assert answered, f"the worker's answer never reached the web process:\n{server.log()[-2000:]}"
    assert "smtp.fastmail.com" in answered.body and "Fastmail" in answered.body


def test_three_wrong_passwords_pause_the_fourth_test_across_web_and_worker(
    web, worker, make_user, dovecot, smtp_server
):
    name = dovecot.unique_username("pause")
    dovecot.add_user(name, "the-right-one", folders=["Sent"])
    smtp = smtp_server(security="starttls", users={name: "the-right-one"})
    worker()
    server = web()
    user = make_user(f"pause-{uuid.uuid4().hex[:6]}", PASSWORD)
    person = Visitor(server.port)
    assert person.sign_in(user.username, PASSWORD).status == 302

    created = person.post(
        "/mailboxes/new/",
        {
            "email": name,
            "password": "a-wrong-guess",
            "smtp_host": "127.0.0.1",
            "smtp_port": str(smtp.port),
            "smtp_security": "starttls",
            "imap_host": "127.0.0.1",
            "imap_port": str(dovecot.port_ssl),
            "imap_security": "ssl",
        },
    )
    assert created.status == 302, created.body[-3000:]
    pk = mailbox_id(created.headers["Location"])
    retest = f"/mailboxes/{pk}/retest/"

    def finished() -> ConnectionTest | None:
        test = ConnectionTest.objects.filter(mailbox_id=pk).order_by("-pk").first()
        return test if test.status in ("connected", "failed") else None

    test = wait_for(finished, 30, 0.2)
    assert test is not None, "the worker did not finish the test"
    assert {e.code for e in test.errors.all()} == {"smtp_auth", "imap_auth"} and test.steps.exists()
    # The same password again: the web process knows the worker's refusal and sends it nowhere.
    assert person.post(retest, {}).status == 302
    again = ConnectionTest.objects.filter(mailbox_id=pk).order_by("-pk").first()
    assert again.status == "failed" and again.errors.get().reason == "already_refused"
    assert not again.steps.exists()

    for typo in ("another-guess", "a-third-guess"):  # distinct passwords count towards the pause
        assert person.post(retest, {"retype_password": typo}).status == 302
        test = wait_for(finished, 30, 0.2)
        assert test is not None, "the worker did not finish the test"
        # Refused by the real servers, in the worker process.
        assert {e.code for e in test.errors.all()} == {"smtp_auth", "imap_auth"}
        assert test.steps.exists()

    assert person.post(retest, {"retype_password": "a-fourth-guess"}).status == 302
    paused = ConnectionTest.objects.filter(mailbox_id=pk).order_by("-pk").first()
    # Refused at once by the web process, from the counts the worker kept.
    assert paused.status == "failed" and paused.errors.get().reason == "auth_paused"
    assert not paused.steps.exists()
    assert "tests are paused" in person.get(f"/mailboxes/{pk}/").body
    assert len(smtp.auth_attempts) == 3


def _refused(response) -> bool:
    """A wrong password: the form again, with its error, and not yet the throttle."""
    return response.status == 200 and "Too many failed sign-ins" not in response.body


def test_the_sign_in_throttle_holds_across_two_web_processes_and_spares_other_addresses(web, make_user):
    first, second = web(LOGIN_FAILURE_LIMIT="5"), web(LOGIN_FAILURE_LIMIT="5")
    user = make_user(f"victim-{uuid.uuid4().hex[:6]}", PASSWORD)
    stranger_here, stranger_there = Visitor(first.port, "127.0.0.3"), Visitor(second.port, "127.0.0.3")
    for _ in range(3):
        assert _refused(stranger_here.sign_in(user.username, "guess"))
    for _ in range(2):
        assert _refused(stranger_there.sign_in(user.username, "guess"))
    # The sixth try, on either process, is refused even with the right password.
    refused = stranger_here.sign_in(user.username, PASSWORD)
    assert refused.status == 200 and "Too many failed sign-ins" in refused.body
    refused = stranger_there.sign_in(user.username, PASSWORD)
    assert refused.status == 200 and "Too many failed sign-ins" in refused.body
    # The account's owner, at another address, is not locked out on either process.
    for server in (first, second):
        owner = Visitor(server.port, "127.0.0.1")
        assert owner.sign_in(user.username, PASSWORD).status == 302

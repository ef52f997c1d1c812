"""The result a person reads: one message for one cause, advice that fits the page,
"almost done" with the likeliest folders first, and the step in progress."""

import itertools
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.results import folder_candidates, summarize
from diagnostics.models import ConnectionTest, TestError, TestStep
from diagnostics.net import errors, reasons
from diagnostics.net.advice import Failure, tips
from diagnostics.net.directory import by_id

pytestmark = pytest.mark.django_db

LIMITS = {"timeout": 10.0, "deadline": 30.0}
ICLOUD = {
    "email": "alice@icloud.com",
    "provider_id": "icloud",
    "smtp_host": "smtp.mail.me.com",
    "smtp_port": 587,
    "imap_host": "imap.mail.me.com",
    "imap_port": 993,
}


def _test(mailbox, status="failed", folders=(), sent_folder="", **fields) -> ConnectionTest:
    return ConnectionTest.objects.create(
        mailbox=mailbox,
        status=status,
        settings=mailbox.settings_snapshot(),
        folders=list(folders),
        sent_folder=sent_folder,
        **fields,
    )


def _error(test, code, reason, protocol, **fields) -> TestError:
    return TestError.objects.create(test=test, code=code, reason=reason, protocol=protocol, **fields)


def _summary(mailbox, test):
    return summarize(mailbox, test, list(test.steps.all()), list(test.errors.all()), **LIMITS)


def _page(client, mailbox) -> str:
    return client.get(reverse("mailbox_detail", args=[mailbox.pk])).content.decode()


# --- one message for one cause -----------------------------------------------------------


def test_it_says_a_password_refused_by_both_servers_once(client_a, user, make_mailbox):
    mailbox = make_mailbox(user, **ICLOUD)
    test = _test(mailbox)
    _error(test, "smtp_auth", "wrong_credentials", "smtp", server_reply="535 5.7.8 Authentication failed")
    _error(test, "imap_auth", "wrong_credentials", "imap", server_reply="NO [AUTHENTICATIONFAILED] Invalid")
    result = _summary(mailbox, test)
    assert len(result.problems) == 1 and result.problems[0].protocols == ["smtp", "imap"]
    assert result.headline == "Your password was not accepted by alice@icloud.com’s mail server."
    assert result.action == "password"

    page = _page(client_a, mailbox)
    assert page.count('class="error-report"') == 1 and page.count('name="retype_password"') == 1
    assert "Your password was not accepted by alice@icloud.com’s mail server." in page
    assert "SMTP authentication error" not in page.split("Technical details")[0]  # only in the details


def test_different_failures_stay_apart_and_say_their_protocol_once(user, make_mailbox):
    mailbox = make_mailbox(user)
    test = _test(mailbox)
    _error(test, "timeout", "no_reply", "smtp")
    _error(test, "imap_auth", "wrong_credentials", "imap")
    result = _summary(mailbox, test)
    assert [p.title for p in result.problems] == ["Timeout error (SMTP)", "IMAP authentication error"]
    assert result.headline == "alice@example.test could not be connected: 2 problems need fixing."
    assert result.action == "password"


def test_two_different_password_refusals_are_not_merged(user, make_mailbox):
    mailbox = make_mailbox(user)
    test = _test(mailbox)
    _error(test, "smtp_auth", "wrong_credentials", "smtp")
    _error(test, "imap_auth", "imap_disabled", "imap")
    assert len(_summary(mailbox, test).problems) == 2


# --- advice that fits the page ---------------------------------------------------------


def test_it_mentions_the_suggested_fix_only_when_one_is_shown(client_a, user, make_mailbox):
    mailbox = make_mailbox(user, smtp_port=587, smtp_security="ssl")
    test = _test(mailbox)
    fix = {"smtp_security": "starttls", "message": "Port 587 expects STARTTLS, not SSL/TLS."}
    _error(test, "ssl", "wrong_mode", "smtp", suggestion=fix)
    with_fix = " ".join(t.text for t in _summary(mailbox, test).problems[0].tips)
    assert "Apply the suggested fix" in with_fix and _summary(mailbox, test).action == "fix"
    page = _page(client_a, mailbox)
    assert "Apply and test again" in page and "Apply the suggested fix" in page

    TestError.objects.filter(test=test).update(suggestion=None)
    without = " ".join(t.text for t in _summary(mailbox, test).problems[0].tips)
    assert "fix" not in without.lower() and "Apply and test again" not in _page(client_a, mailbox)


def test_the_neutral_words_are_what_the_json_gets():
    for reason in reasons.REASON_HELP:
        for tip in errors.help_for("unknown", reason):
            assert "suggested fix" not in tip.lower() and "below" not in tip.lower(), (reason, tip)


def test_folder_advice_points_at_the_folder_list_only_when_it_is_on_the_page():
    listed = tips([Failure("no_sent_folder", "not_found", "imap")], shown=frozenset({reasons.FOLDERS}))
    elsewhere = tips([Failure("no_sent_folder", "not_found", "imap")])
    assert "choose it from your folders" in listed[0].text
    assert "on the mailbox's page" in elsewhere[0].text


@pytest.mark.parametrize(
    "provider_id,failure,words,url",
    [
        (
            "icloud",
            Failure("smtp_auth", "wrong_credentials", "smtp"),
            "iCloud Mail takes only an app password",
            "https://support.apple.com/102654",
        ),
        (
            "yahoo",
            Failure("imap_auth", "app_password_required", "imap"),
            "Yahoo Mail takes only an app password",
            "https://help.yahoo.com/kb/SLN15241.html",
        ),
        (
            "zoho-eu",
            Failure("imap_auth", "wrong_credentials", "imap"),
            "Zoho Mail ships with IMAP access switched off",
            "https://www.zoho.eu/mail/help/imap-access.html",
        ),
        (
            "microsoft",
            Failure("sso_required", "smtp_auth_disabled", "smtp"),
            "switches on SMTP AUTH",
            "authenticated-client-smtp-submission",
        ),
    ],
)
def test_provider_advice_comes_first_with_a_deep_link(provider_id, failure, words, url):
    found = tips([failure], by_id(provider_id))
    assert words in found[0].text and url in found[0].url and found[0].link_text
    texts = [t.text for t in found]
    assert reasons.TWO_STEP_TIP not in texts or "app password" not in words  # said once, the provider's way
    assert reasons.IMAP_SWITCH_TIP not in texts or "IMAP" not in words


def test_zoho_smtp_gets_no_imap_switch_advice():
    found = tips([Failure("smtp_auth", "wrong_credentials", "smtp")], by_id("zoho"))
    assert not any("IMAP" in t.text for t in found)


def test_the_provider_advice_follows_the_server_not_only_the_address(user, make_mailbox):
    mailbox = make_mailbox(user, email="jane@own-domain.test", smtp_host="smtp.mail.yahoo.com")
    test = _test(mailbox)
    _error(test, "smtp_auth", "wrong_credentials", "smtp")
    assert "Yahoo Mail takes only an app password" in _summary(mailbox, test).problems[0].tips[0].text


CODES = [c for c in errors.CATALOGUE if c not in (errors.INVALID_INPUT,)]
REASONS = ["", *reasons.REASON_HELP]


@pytest.mark.parametrize("shown", [frozenset(), frozenset({reasons.FIX, reasons.REPLY, reasons.FOLDERS})])
def test_no_tip_repeats_another_for_any_error_or_pair(shown):
    for code, reason in itertools.product(CODES, REASONS):
        texts = [t.text for t in tips([Failure(code, reason, "imap")], by_id("icloud"), shown)]
        assert len(texts) == len(set(texts)), (code, reason)
    pair = [
        Failure("smtp_auth", "wrong_credentials", "smtp"),
        Failure("imap_auth", "wrong_credentials", "imap"),
    ]
    texts = [t.text for t in tips(pair, by_id("zoho"), shown)]
    assert len(texts) == len(set(texts)) and texts.count(reasons.TYPO_TIP) == 1


def test_a_timeout_says_what_was_waited_for_how_long_and_what_to_try(user, make_mailbox):
    mailbox = make_mailbox(user, imap_port=993, imap_security="starttls")
    test = _test(mailbox)
    TestStep.objects.create(test=test, protocol="imap", name="greeting", ok=False, ms=10_012)
    _error(test, "timeout", "no_greeting", "imap", step="greeting")
    result = _summary(mailbox, test)
    assert result.headline == (
        "The IMAP server accepted the connection but sent nothing for 10 s. This usually means the "
        "wrong port or the wrong encryption mode."
    )
    assert result.problems[0].tips[0].text.startswith("Try the other encryption mode with its usual port")


# --- almost done -----------------------------------------------------------------------


def test_only_a_missing_sent_folder_is_almost_done_with_the_likeliest_folder_first(
    client_a, user, make_mailbox
):
    mailbox = make_mailbox(user)
    folders = ["INBOX", "Drafts", "Trash", "Junk", "Archive", "Postausgang", "Notes"]
    test = _test(mailbox, folders=folders)
    _error(test, "no_sent_folder", "not_found", "imap")
    result = _summary(mailbox, test)
    assert result.state == "almost" and result.tone == "warn" and result.action == "folder"
    assert result.headline == "Almost done: choose the folder that holds your sent mail."
    assert result.folders == ["Postausgang", "Archive", "Notes", "INBOX", "Drafts", "Trash", "Junk"]
    page = _page(client_a, mailbox)
    assert 'class="badge failed"' not in page and "Almost done" in page
    assert page.index('<option value="Postausgang" selected>') < page.index('<option value="INBOX">')


def test_folder_candidates_read_the_last_part_of_a_path_and_other_languages():
    folders = ["INBOX.Entwürfe", "INBOX.Papierkorb", "INBOX.Gesendete Elemente 2", "INBOX.Kunden", "Spam"]
    assert folder_candidates(folders) == [
        "INBOX.Gesendete Elemente 2",
        "INBOX.Kunden",
        "INBOX.Entwürfe",
        "INBOX.Papierkorb",
        "Spam",
    ]


def test_a_missing_sent_folder_next_to_a_real_failure_is_not_almost_done(user, make_mailbox):
    mailbox = make_mailbox(user)
    test = _test(mailbox, folders=["INBOX", "Outbox"])
    _error(test, "smtp_auth", "wrong_credentials", "smtp")
    _error(test, "no_sent_folder", "not_found", "imap")
    result = _summary(mailbox, test)
    assert result.state == "failed" and result.folders == ["Outbox", "INBOX"]


# --- in progress ------------------------------------------------------------------------


def test_a_running_test_names_the_step_each_protocol_waits_on_and_the_deadline(client_a, user, make_mailbox):
    mailbox = make_mailbox(user, smtp_security="ssl", smtp_port=465)
    started = timezone.now() - timedelta(seconds=4)
    test = _test(
        mailbox, status="running", started_at=started, deadline_at=timezone.now() + timedelta(minutes=1)
    )
    TestStep.objects.create(test=test, protocol="smtp", name="dns", ok=True, ms=3)
    TestStep.objects.create(test=test, protocol="smtp", name="connect", ok=True, ms=5)
    result = _summary(mailbox, test)
    words = {line.protocol: line.words for line in result.progress}
    assert words == {
        "smtp": "waiting for the SMTP server’s TLS handshake",
        "imap": "looking up the IMAP server’s address",
    }
    assert result.announcement == "" and not result.final
    page = _page(client_a, mailbox)
    assert "waiting for the SMTP server’s TLS handshake…" in page and "We wait up to 8 s" in page
    assert 'class="elapsed" data-started="' in page


def test_a_refresh_replaces_the_status_inside_the_live_region_never_the_region(client_a, user, make_mailbox):
    mailbox = make_mailbox(user)
    _test(mailbox, status="running", deadline_at=timezone.now() + timedelta(minutes=1))
    page = _page(client_a, mailbox)
    assert page.count('id="result-live"') == 1 and page.index('id="result-live"') < page.index(
        'id="test-status"'
    )
    assert 'hx-target="#test-status"' in page
    body = client_a.get(reverse("mailbox_status", args=[mailbox.pk]), headers={"HX-Request": "true"})
    assert 'id="test-status"' in body.content.decode() and "result-live" not in body.content.decode()


def test_the_outcome_is_announced_once_it_is_final(user, make_mailbox):
    mailbox = make_mailbox(user)
    test = _test(mailbox, status="connected", sent_folder="Sent")
    assert _summary(mailbox, test).announcement == "Connected: Sending and receiving work."


# --- who sees what ----------------------------------------------------------------------


def test_technical_details_are_open_for_staff_and_error_codes_outside_only_for_them(
    client, user, make_mailbox
):
    mailbox = make_mailbox(user)
    test = _test(mailbox)
    _error(test, "imap_auth", "wrong_credentials", "imap", server_reply="NO [AUTHENTICATIONFAILED] x")
    client.force_login(user)
    page = _page(client, mailbox)
    assert '<details class="technical">' in page and "Error code" not in page
    assert "code <code>imap_auth</code>" in page.split('<details class="technical">')[1]  # inside only
    user.is_staff = True
    user.save()
    page = _page(client, mailbox)
    assert '<details class="technical" open>' in page and "Error code <code>imap_auth</code>" in page


# --- the wrong password, fixed from the result page -------------------------------------


def test_a_retyped_password_is_saved_and_tested_and_never_shown(client_a, user, make_mailbox):
    mailbox = make_mailbox(user, password="old-password")
    test = _test(mailbox)
    _error(test, "imap_auth", "wrong_credentials", "imap")
    response = client_a.post(
        reverse("mailbox_retest", args=[mailbox.pk]), {"retype_password": "n3w-Pässword"}
    )
    assert response.status_code == HTTPStatus.FOUND
    mailbox.refresh_from_db()
    assert mailbox.get_password() == "n3w-Pässword" and mailbox.tests.filter(status="queued").count() == 1
    assert "n3w-Pässword" not in _page(client_a, mailbox)


def test_an_empty_retyped_password_changes_nothing(client_a, user, make_mailbox):
    mailbox = make_mailbox(user, password="old-password")
    _test(mailbox)
    client_a.post(reverse("mailbox_retest", args=[mailbox.pk]), {"retype_password": ""})
    mailbox.refresh_from_db()
    assert mailbox.get_password() == "old-password" and not mailbox.tests.filter(status="queued").exists()


def test_another_users_mailbox_takes_no_retyped_password(client, user, other_user, make_mailbox):
    theirs = make_mailbox(other_user, email="bob@example.test", password="theirs")
    client.force_login(user)
    response = client.post(reverse("mailbox_retest", args=[theirs.pk]), {"retype_password": "mine"})
    assert response.status_code == HTTPStatus.NOT_FOUND
    theirs.refresh_from_db()
    assert theirs.get_password() == "theirs"


def test_every_deep_link_has_words_and_a_provider():
    from diagnostics.net import provider_help
    from diagnostics.net.directory.deep_links import LINKS

    for provider_id, topic in LINKS:
        assert by_id(provider_id) is not None and topic in provider_help.PROVIDER_HELP
        assert topic in provider_help.PROVIDER_LINK_TEXT


def test_the_capability_panel_stays_out_of_a_login_failure_and_shows_a_delivery_one(
    client_a, user, make_mailbox
):
    mailbox = make_mailbox(user, **ICLOUD)
    refused = _test(mailbox)
    _error(refused, "imap_auth", "wrong_credentials", "imap")
    assert not _summary(mailbox, refused).shows_capabilities
    assert 'id="capabilities"' not in _page(client_a, mailbox)

    undelivered = _test(mailbox)
    _error(undelivered, "not_delivered", "not_delivered", "delivery")
    assert _summary(mailbox, undelivered).shows_capabilities
    assert 'id="capabilities"' in _page(client_a, mailbox)
    assert _summary(mailbox, _test(mailbox, status="connected", sent_folder="Sent")).shows_capabilities


def test_a_running_test_never_shows_the_capability_panel(client_a, user, make_mailbox):
    mailbox = make_mailbox(user, **ICLOUD)
    # An earlier test found the capabilities: they must not read as the running test's.
    _test(mailbox, status="connected", sent_folder="Sent", capabilities={"imap": ["IDLE"]})
    deadline = timezone.now() + timedelta(minutes=1)
    for round_trip in (False, True):  # the round trip runs after the verdict, not before it
        running = _test(mailbox, status="running", deadline_at=deadline, round_trip_requested=round_trip)
        assert not _summary(mailbox, running).shows_capabilities
        page = _page(client_a, mailbox)
        assert 'id="capabilities"' not in page and 'id="delivery"' not in page


CAPS = {
    "smtp": ["AUTH PLAIN LOGIN", "SIZE 35882577", "8BITMIME", "PIPELINING", "SMTPUTF8"],
    "imap": ["IMAP4rev1", "IDLE", "CONDSTORE", "UIDPLUS", "MOVE", "SPECIAL-USE"],
    "inbox": {"readable": True, "messages": 3, "uidvalidity": 1733500000, "uidnext": 4},
}
DOMAIN = {
    "spf": {"status": "missing", "detail": "No SPF record.", "advice": "Add one.",
            "fix": {"type": "TXT", "name": "icloud.com", "value": "v=spf1 include:icloud.com ~all"}},
    "dmarc": {"status": "missing", "detail": "No DMARC record.", "advice": "Add one.",
              "fix": {"type": "TXT", "name": "_dmarc.icloud.com", "value": "v=DMARC1; p=none"}},
    "dkim": {"status": "ok", "detail": "DKIM key published.", "advice": "", "fix": None},
    "mx": {"status": "ok", "detail": "MX present.", "advice": "", "fix": None},
}  # fmt: skip


def _checking(mailbox, **fields):
    return _test(
        mailbox,
        status="connected",
        sent_folder="Sent",
        capabilities=CAPS,
        round_trip_requested=True,
        delivery_status="checking",
        round_trip={"status": "checking", "wait_seconds": 7.0},
        finished_at=timezone.now(),
        **fields,
    )


def test_connected_comes_with_a_delivery_panel_that_names_the_wait_it_applies(client_a, user, make_mailbox):
    mailbox = make_mailbox(user, **ICLOUD)
    test = _checking(mailbox, checks_until=timezone.now() + timedelta(minutes=1))
    assert test.is_final and not test.settled  # the verdict is in; the page keeps listening
    page = _page(client_a, mailbox)
    assert 'class="badge connected"' in page and "Testing…" not in page
    assert 'data-trip="running"' in page and "Checking delivery…" in page
    assert "wait up to 7 s for it to arrive" in page and "We wait up to 30 s" not in page
    assert 'sse-connect="' in page  # still watching: the outcome is pushed
    assert 'name="round_trip"' not in page  # no form while pushes re-render the panel
    # Its deadline passes with no worker to say so: the panel says it, and the page stops.
    ConnectionTest.objects.filter(pk=test.pk).update(checks_until=timezone.now() - timedelta(seconds=1))
    page = _page(client_a, mailbox)
    assert "The delivery check did not finish in time." in page and "Checking delivery…" not in page
    assert 'data-delivery-warning="failed"' in page and 'sse-connect="' not in page


@pytest.mark.parametrize(
    ("trip", "words", "warning"),
    [
        (
            {"status": "delivered", "folder": "INBOX", "latency_ms": 2140, "cleaned_up": True},
            "Delivered to the inbox in 2.1 s.",
            None,
        ),
        (
            {"status": "delivered_to_spam", "folder": "Junk", "latency_ms": 900, "cleaned_up": True},
            "Delivered to spam (Junk) in 0.9 s.",
            "Delivered to spam",
        ),
        (
            {"status": "not_delivered", "folder": None, "latency_ms": None, "cleaned_up": True},
            "Not delivered after 60 s.",
            "Not delivered",
        ),
    ],  # fmt: skip
    ids=["delivered", "spam", "not-delivered"],
)
def test_the_delivery_outcome_sits_beside_connected(client_a, user, make_mailbox, trip, words, warning):
    mailbox = make_mailbox(user, **ICLOUD)
    _test(
        mailbox,
        status="connected",
        sent_folder="Sent",
        capabilities=CAPS,
        round_trip_requested=True,
        delivery_status=trip["status"],
        round_trip={**trip, "wait_seconds": 60.0},
    )
    page = _page(client_a, mailbox)
    assert words in page and 'class="badge connected"' in page
    heading = page.split('id="result-heading"')[1].split("</h2>")[0]
    assert (warning in heading) if warning else ("badge warn" not in heading)
    cleaned = "arrive later" if trip["status"] == "not_delivered" else "The test message was deleted again."
    assert cleaned in page


def test_the_result_page_speaks_plainly_and_folds_the_servers_words(client_a, user, make_mailbox):
    mailbox = make_mailbox(user, **ICLOUD)
    _test(mailbox, status="connected", sent_folder="Sent", capabilities=CAPS, domain_checks=DOMAIN)
    page = _page(client_a, mailbox)
    lines = page.split('<ul class="can-do">')[1].split("</ul>")[0]
    assert "Sends mail, with a copy of each message in" in lines and "Receives mail" in lines
    assert "Notices replies within seconds." in lines
    technical = page.split('<details class="technical"')[1]
    before = page.split('<details class="technical"')[0]
    for token in ("UIDVALIDITY", "CONDSTORE", "8BITMIME", "PIPELINING", "SPECIAL-USE"):
        assert token not in before and token in technical
    assert not technical.startswith(" open")  # folded for people
    # The sender domain: suggestions in a fold, not red beside Connected.
    assert "2 suggestions for better delivery" in page
    fold = page.split('<details class="domain-fold"')[1].split("</details>")[0]
    assert "v=spf1 include:icloud.com ~all" in fold and not fold.startswith(" open")
    assert page.count('class="button primary"') + page.count('class="primary"') == 1  # one primary action


def test_technical_details_are_open_for_staff(client, make_user, make_mailbox):
    staff = make_user("stella")
    staff.is_staff = True
    staff.save()
    client.force_login(staff)
    mailbox = make_mailbox(staff, **ICLOUD)
    _test(mailbox, status="connected", sent_folder="Sent", capabilities=CAPS)
    page = _page(client, mailbox)
    assert '<details class="technical" open>' in page and "UIDVALIDITY" in page


def test_editing_an_oauth_mailbox_leads_to_reconnect_not_a_password_form(client_a, user, make_mailbox):
    mailbox = make_mailbox(user, auth_method="oauth", email="o@gmail.com")
    response = client_a.get(reverse("mailbox_edit", args=[mailbox.pk]), follow=True)
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("mailbox_detail", args=[mailbox.pk])
    assert "use Reconnect to sign in again" in page and 'name="password"' not in page
    saved = mailbox.password_encrypted
    posted = client_a.post(reverse("mailbox_edit", args=[mailbox.pk]), {"password": "x", "smtp_port": "25"})
    assert posted.status_code == HTTPStatus.FOUND
    mailbox.refresh_from_db()
    assert (mailbox.password_encrypted, mailbox.smtp_port) == (saved, 2525)  # nothing changed

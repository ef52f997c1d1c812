"""The merge rules the server applies to what the connect form submits: what the page
filled in and the person left alone is replaced by what detection found; whatever the
person changed is theirs."""

import pytest

from accounts.autofill import autofill_marks, initial_for, keep_user_edits, page_data, user_edits
from diagnostics import autodetection

DETECTED = {
    "email": "jane@acme.test",
    "username": "",
    "smtp_username": "",
    "imap_username": "",
    "smtp_host": "mail.acme.test",
    "smtp_port": 587,
    "smtp_security": "starttls",
    "imap_host": "mail.acme.test",
    "imap_port": 993,
    "imap_security": "ssl",
}

# What the empty page shows, each field marked as filled in by the page.
EMPTY_PAGE = {
    "username": "",
    "smtp_username": "",
    "imap_username": "",
    "smtp_host": "",
    "smtp_port": "587",
    "smtp_security": "starttls",
    "imap_host": "",
    "imap_port": "993",
    "imap_security": "ssl",
}


def _page(**typed) -> dict:
    """A submission from the empty page: marks as rendered, values as typed."""
    values = {**EMPTY_PAGE, **typed}
    return {**values, **{f"auto_{name}": value for name, value in EMPTY_PAGE.items()}}


def test_it_fills_every_field_the_person_left_alone():
    merged = keep_user_edits(DETECTED, _page())
    assert merged == DETECTED


def test_it_keeps_every_field_the_person_changed():
    merged = keep_user_edits(
        DETECTED, _page(username="jane", smtp_host="relay.acme.test", imap_host="127.0.0.1")
    )
    assert (merged["username"], merged["smtp_host"], merged["imap_host"]) == (
        "jane",
        "relay.acme.test",
        "127.0.0.1",
    )
    assert (merged["smtp_port"], merged["imap_port"]) == (587, 993)  # untouched: detected


def test_an_emptied_field_is_a_change_too():
    assert keep_user_edits({**DETECTED, "username": "jane"}, _page(username="x"))["username"] == "x"
    submitted = {**_page(), "username": "", "auto_username": "jane"}
    assert keep_user_edits({**DETECTED, "username": "jane"}, submitted)["username"] == ""


def test_an_untouched_select_with_an_empty_mark_is_not_a_choice():
    # Pages before the fix marked the security selects "" while they showed SSL/TLS:
    # the select was never chosen, so detection's STARTTLS wins.
    submitted = {**_page(), "smtp_security": "ssl", "auto_smtp_security": ""}
    assert user_edits(submitted) == {}
    assert keep_user_edits(DETECTED, submitted)["smtp_security"] == "starttls"


def test_a_select_the_person_changed_is_their_choice():
    submitted = _page(smtp_security="ssl")
    merged = keep_user_edits(DETECTED, submitted)
    assert merged["smtp_security"] == "ssl"
    assert merged["smtp_port"] == "587", "the port goes with the encryption the person chose"


def test_values_without_marks_are_the_persons():
    # An API client, or a page from before the marks: nothing says the page filled them.
    submitted = {"smtp_host": "relay.acme.test", "smtp_port": "2525", "smtp_security": "ssl"}
    merged = keep_user_edits(DETECTED, submitted)
    assert (merged["smtp_host"], merged["smtp_port"], merged["smtp_security"]) == (
        "relay.acme.test",
        "2525",
        "ssl",
    )
    assert merged["imap_host"] == "mail.acme.test"


@pytest.mark.parametrize(
    "port,security",
    [("465", "ssl"), ("587", "starttls"), ("993", "ssl"), ("143", "starttls"), ("2525", "starttls")],
)
def test_a_port_the_person_changed_brings_its_encryption(port, security):
    merged = keep_user_edits(DETECTED, _page(smtp_port=port))
    assert (str(merged["smtp_port"]), merged["smtp_security"]) == (port, security)


def test_a_port_never_overrides_an_encryption_the_person_chose():
    merged = keep_user_edits(DETECTED, _page(imap_port="143", imap_security="none"))
    assert (merged["imap_port"], merged["imap_security"]) == ("143", "none")


def test_nothing_detected_keeps_what_was_submitted():
    merged = keep_user_edits({"email": "jane@acme.test"}, _page(smtp_host="relay.acme.test"))
    assert merged["smtp_host"] == "relay.acme.test" and merged["imap_port"] == "993"


def test_the_marks_keep_a_changed_field_the_persons():
    submitted = _page(smtp_host="relay.acme.test", smtp_port="465")
    marks = dict(autofill_marks(DETECTED, submitted, shown={}))
    assert marks["smtp_host"] == "" and marks["smtp_port"] == "587", "the marks they came with"
    assert marks["smtp_security"] == "starttls", "derived from the person's port: not ours either"
    assert marks["imap_host"] == "mail.acme.test", "an untouched field is marked with what was detected"


def test_the_marks_of_an_empty_page_are_what_it_shows():
    marks = dict(autofill_marks({}, {}, shown={"smtp_port": 587, "smtp_security": "starttls"}))
    assert marks["smtp_port"] == "587" and marks["smtp_security"] == "starttls" and marks["username"] == ""


def test_long_values_are_cut():
    merged = keep_user_edits(DETECTED, _page(smtp_host="x" * 10_000))
    assert len(merged["smtp_host"]) == 500


@pytest.mark.django_db
def test_the_data_island_says_what_a_known_provider_would_fill():
    detection = autodetection.hint("me@fastmail.com", start=False)
    data = page_data(detection, initial_for("me@fastmail.com", detection))
    assert data["confirmed"] and not data["pending"] and not data["blocked"]
    assert data["values"]["imap_host"] == "imap.fastmail.com" and data["values"]["imap_port"] == "993"
    assert data["notices"]["imap"] == "Fastmail’s settings say imap.fastmail.com:993, SSL/TLS"
    assert "stream" not in data and "topic" not in data


@pytest.mark.django_db
def test_the_data_island_names_the_topic_while_the_lookup_runs():
    detection = autodetection.conventional("jane@acme.test", pending=True)
    data = page_data(detection, initial_for("jane@acme.test", detection), "/live/", 14)
    assert data["pending"] and not data["confirmed"] and data["notices"] == {}
    assert data["topic"] == "detect-acme.test"
    assert data["stream"] == "/live/?topics=detect-acme.test" and data["give_up_ms"] == 14_000
    assert data["values"]["smtp_host"] == "smtp.acme.test"  # the usual names meanwhile


@pytest.mark.django_db
def test_a_domain_the_stream_cannot_name_waits_for_the_deadline_instead():
    detection = autodetection.conventional("jane@exämple.test", pending=True)
    data = page_data(detection, {}, "/live/", 14)
    assert data["pending"] and "stream" not in data


@pytest.mark.django_db
def test_the_data_island_marks_providers_that_take_no_password():
    detection = autodetection.hint("me@gmail.com", start=False)
    assert page_data(detection, initial_for("me@gmail.com", detection))["blocked"] is True

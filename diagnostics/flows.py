"""Start a connection test and carry it out: the procedures behind views and tasks."""

import logging
from datetime import UTC, datetime
from typing import NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Mailbox
from core import dispatch, limits
from core.crypto import DecryptionError
from live.publish import publish, publish_many

from . import deliverability
from .config import probe_config
from .models import ConnectionTest, TestError, TestStep
from .net import errors
from .net.errors import ErrorReport
from .net.runner import CONNECTED, run_probes
from .step_writer import writer

log = logging.getLogger(__name__)

QUEUE_DOWN = "The test queue is unavailable right now; the test will start when it is back."


class Finished(NamedTuple):
    """A test as it ended (status, times and Sent folder set on the row) and its errors,
    so that whoever ran it (a health check) need not read them back."""

    test: ConnectionTest
    errors: list[ErrorReport]


def start_test(mailbox: Mailbox, round_trip: bool | None = None) -> ConnectionTest:
    """Queue a test, unless one is already pending for this mailbox (double clicks), or
    record a refused one when a rate limit or an auth-failure pause applies.

    `round_trip`: also send a test message to the mailbox and find it (see
    deliverability); None means "only for the mailbox's first test"."""
    with transaction.atomic():
        # Serialise concurrent starts for one mailbox (two tabs, a double click).
        Mailbox.objects.select_for_update().filter(pk=mailbox.pk).first()
        pending = mailbox.tests.pending().first()
        if pending is not None:
            return pending
        if round_trip is None:
            round_trip = settings.MAIL_ROUND_TRIP_ON_FIRST_TEST and not mailbox.tests.exists()
        test = ConnectionTest(
            mailbox=mailbox,
            settings=mailbox.settings_snapshot(),
            provider_id=mailbox.provider_id,
            round_trip_requested=round_trip,
        )
        test.deadline_at = test.default_deadline()
        refusal = limits.auth_paused(mailbox) or limits.check_and_count(mailbox)
        if refusal is not None:
            test.save()
            _refuse(test, refusal)
            return test
        test.save()
        Mailbox.objects.filter(pk=mailbox.pk).update(status=Mailbox.Status.TESTING)
        transaction.on_commit(lambda: _queue(test))
    return test


def _queue(test: ConnectionTest) -> None:
    enqueue(test.pk)
    _changed(test)  # queued: another tab on this mailbox's page shows the new test


def _changed(test: ConnectionTest, mailbox_too: bool = True) -> None:
    """Tell the pages watching this test (and its mailbox) to re-read it, on commit."""
    publish_many([f"test-{test.pk}", f"mailbox-{test.mailbox_id}"] if mailbox_too else [f"test-{test.pk}"])


def _refuse(test: ConnectionTest, refusal: limits.Refusal) -> Finished:
    until = timezone.localtime(datetime.fromtimestamp(refusal.retry_at, tz=UTC))
    report = ErrorReport(
        errors.RATE_LIMITED,
        "limits",
        f"{refusal.message}. Try again after {until:%H:%M} (in about {refusal.retry_in_minutes()} minutes).",
        reason="auth_paused" if "paused" in refusal.message else "rate_limited",
    )
    return _finish(test, ConnectionTest.Status.FAILED, "", [report], touch_mailbox=False)


def enqueue(test_id: int) -> bool:
    """Send the task with the test's id only; a broker outage leaves a clear message."""
    try:
        dispatch.send(dispatch.RUN_CONNECTION_TEST, test_id)
    except Exception:  # the broker is down or unreachable: keep the page working
        log.warning("could not enqueue connection test %s", test_id, exc_info=True)
        ConnectionTest.objects.filter(pk=test_id).update(message=QUEUE_DOWN)
        return False
    return True


def _claim(test_id: int) -> ConnectionTest | None:
    with transaction.atomic():
        test = (
            ConnectionTest.objects.select_for_update()
            .select_related("mailbox")
            .filter(pk=test_id, status=ConnectionTest.Status.QUEUED)
            .first()
        )
        if test is None:
            return None
        test.status = ConnectionTest.Status.RUNNING
        test.started_at = timezone.now()
        test.message = ""
        test.save(update_fields=["status", "started_at", "message"])
        _changed(test, mailbox_too=False)
    return test


def _finish(
    test: ConnectionTest, status: str, sent_folder: str, reports: list[ErrorReport], touch_mailbox=True
) -> Finished:
    now = timezone.now()
    with transaction.atomic():
        TestError.objects.bulk_create(
            TestError(
                test=test,
                code=r.code,
                reason=r.reason,
                protocol=r.protocol,
                step=r.step,
                detail=r.detail,
                server_reply=r.server_reply,
                suggestion=r.suggestion,
            )
            for r in reports
        )
        test.status = status
        test.sent_folder = sent_folder
        test.finished_at = now
        test.save(update_fields=["status", "sent_folder", "finished_at"])
        _changed(test)
        if not touch_mailbox:
            return Finished(test, reports)
        update = {"status": status, "last_tested_at": now}
        if status == CONNECTED:
            update["sent_folder"] = sent_folder
            if sent_folder != test.mailbox.sent_folder:
                update["sent_folder_chosen"] = False  # the chosen folder is gone
        Mailbox.objects.filter(pk=test.mailbox_id).update(**update)
    return Finished(test, reports)


def execute_test(test_id: int) -> Finished | None:
    """Run a queued test, writing each step as it happens; None if it was not queued."""
    test = _claim(test_id)
    if test is None:
        return None
    mailbox = test.mailbox
    paused = limits.auth_paused(mailbox)  # it may have started after this test was queued
    if paused is not None:
        finished = _refuse(test, paused)
        Mailbox.objects.filter(pk=mailbox.pk).update(status=Mailbox.Status.FAILED)
        publish(f"mailbox-{mailbox.pk}")
        return finished
    try:
        password = mailbox.credential()  # a Password, or a Bearer with a fresh OAuth token
    except DecryptionError:
        report = ErrorReport(
            errors.UNKNOWN,
            "config",
            "The saved password could not be decrypted. Enter the password again and retry.",
            reason="decryption_failed",
        )
        return _finish(test, ConnectionTest.Status.FAILED, "", [report])

    preferred = mailbox.sent_folder if mailbox.sent_folder_chosen else ""
    smtp, imap, config = mailbox.smtp_settings(), mailbox.imap_settings(), probe_config()
    checks = deliverability.begin(mailbox, config)  # DNS checks run while the probes do
    if connection.in_atomic_block:
        # Called inside a transaction (tests, shell): other connections cannot see this
        # test's row yet, so keep the steps and write them here at the end.
        buffered: list = []
        diagnosis = run_probes(
            smtp, imap, password, config, on_step=buffered.append, preferred_sent=preferred
        )
        deliverability.finish(checks, test, diagnosis, smtp, imap, password, buffered.append)
        TestStep.objects.bulk_create(TestStep(test=test, **step.as_dict()) for step in buffered)
        _changed(test, mailbox_too=False)
    else:
        # No database connection is held while we wait on mail servers: steps go through
        # the worker's single step writer, so hundreds of tests can wait at once.
        connection.close()
        on_step = lambda step: writer.put(test.pk, step)  # noqa: E731
        diagnosis = run_probes(smtp, imap, password, config, on_step=on_step, preferred_sent=preferred)
        deliverability.finish(checks, test, diagnosis, smtp, imap, password, on_step)
        writer.flush()
    del password
    _record_logins(mailbox, diagnosis)
    test.transcript = diagnosis.transcript_text()
    test.folders = diagnosis.folders
    test.save(update_fields=["transcript", "folders", *deliverability.store(test, diagnosis)])
    return _finish(test, diagnosis.status, diagnosis.sent_folder, diagnosis.errors)


def _record_logins(mailbox: Mailbox, diagnosis) -> None:
    pairs = {p: (getattr(mailbox, f"{p}_host"), mailbox.login_name(p)) for p in ("smtp", "imap")}
    failed = {
        pairs[e.protocol] for e in diagnosis.errors if e.protocol in pairs and e.reason == "wrong_credentials"
    }
    succeeded = {
        pairs[s.protocol]
        for s in diagnosis.steps
        if s.ok and s.name in ("auth", "login") and s.protocol in pairs
    }
    limits.record_auth_result(failed, succeeded)


REAPED = (
    "The test did not finish in time: the worker stopped or the task queue was unavailable. "
    "Run the test again."
)


def reap_stuck_tests() -> int:
    """Mark tests past their deadline as failed, so that nothing spins forever."""
    stuck = ConnectionTest.objects.filter(
        status__in=ConnectionTest.UNDER_WAY, deadline_at__lt=timezone.now()
    ).select_related("mailbox")
    count = 0
    for test in stuck:
        with transaction.atomic():
            fresh = ConnectionTest.objects.select_for_update().filter(pk=test.pk, status=test.status).first()
            if fresh is None:
                continue
            fresh.mailbox = test.mailbox
            report = ErrorReport(errors.TIMEOUT, "worker", REAPED, reason="stuck")
            _finish(fresh, ConnectionTest.Status.FAILED, "", [report])
            count += 1
    if count:
        log.warning("reaped %s stuck connection test(s)", count)
    return count


def apply_fix(mailbox: Mailbox, error: TestError) -> ConnectionTest | None:
    """Apply a suggested fix to the mailbox and test again; None if there is nothing valid to apply."""
    from .net import validate

    checks = {
        "smtp_security": validate.security,
        "imap_security": validate.security,
        "smtp_port": validate.port,
        "imap_port": validate.port,
        "smtp_username": validate.username,
        "imap_username": validate.username,
    }
    changes = {}
    for name, value in error.suggestion_fields.items():
        if name not in Mailbox.FIXABLE:
            return None
        try:
            changes[name] = checks[name](value)
        except errors.ProbeError:
            return None
    if not changes:
        return None
    for name, value in changes.items():
        setattr(mailbox, name, value)
    mailbox.save(update_fields=[*changes, "updated_at"])
    return start_test(mailbox)


def choose_sent_folder(mailbox: Mailbox, folder: str) -> ConnectionTest | None:
    """Remember the user's Sent folder, if the server listed it, and test again."""
    test = mailbox.latest_test()
    if test is None or folder not in (test.folders or []):
        return None
    mailbox.sent_folder = folder
    mailbox.sent_folder_chosen = True
    mailbox.save(update_fields=["sent_folder", "sent_folder_chosen", "updated_at"])
    return start_test(mailbox)

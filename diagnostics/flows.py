"""Start a connection test and carry it out: the procedures behind views and tasks."""

import logging
from typing import NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_noop, ngettext
from django.views.decorators.debug import sensitive_variables

from accounts.models import Mailbox
from core import dispatch, limits, refused, workers
from core.crypto import DecryptionError
from languages.choice import for_user
from live.publish import publish, publish_many

from . import deliverability
from .config import probe_config
from .models import ConnectionTest, TestError, TestStep
from .net import errors
from .net.errors import ErrorReport
from .net.reasons import PASSWORD_REFUSED
from .net.runner import CONNECTED, run_probes
from .net.sasl import PASSWORD
from .step_writer import writer

log = logging.getLogger(__name__)

QUEUE_DOWN = ConnectionTest.WAITING_FOR_QUEUE


class Finished(NamedTuple):
    """A test as it ended (status, times and Sent folder set on the row) and its errors,
    so that whoever ran it (a health check) need not read them back."""

    test: ConnectionTest
    errors: list[ErrorReport]


def start_test(mailbox: Mailbox, round_trip: bool | None = None, create_sent: bool = False) -> ConnectionTest:
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
            create_sent_folder=create_sent,
        )
        test.deadline_at = test.default_deadline()
        known = _already_refused(mailbox)
        if known is not None:  # never sent again: answered without contacting the server
            test.save()
            _finish(test, ConnectionTest.Status.FAILED, "", [known], touch_mailbox=False)
            return test
        refusal = limits.auth_paused(mailbox) or limits.check_and_count(mailbox)
        if refusal is not None:
            test.save()
            _refuse(test, refusal)
            return test
        test.save()
        Mailbox.objects.filter(pk=mailbox.pk).update(status=Mailbox.Status.TESTING)
        enqueue(test.pk)  # in this transaction: the test and its task exist together
        changed(test)  # queued: another tab on this mailbox's page shows the new test
    return test


def changed(test: ConnectionTest, mailbox_too: bool = True) -> None:
    """Tell the pages watching this test (and its mailbox) to re-read it, on commit."""
    publish_many([f"test-{test.pk}", f"mailbox-{test.mailbox_id}"] if mailbox_too else [f"test-{test.pk}"])


def fail(test: ConnectionTest, report: ErrorReport) -> Finished:
    """End a test as failed with one report (the worker's, not the server's)."""
    return _finish(test, ConnectionTest.Status.FAILED, "", [report])


def _already_refused(mailbox: Mailbox) -> ErrorReport | None:
    """The saved password, when a server of this mailbox already refused it (core.refused)."""
    if mailbox.auth_method != Mailbox.AuthMethod.PASSWORD:
        return None  # a refused token is renewed once, never retried: nothing to remember
    try:
        password = mailbox.get_password()
    except DecryptionError:
        return None  # execute_test says so
    found = refused.already_refused(
        [(getattr(mailbox, f"{p}_host"), mailbox.login_name(p)) for p in ("smtp", "imap")], password
    )
    if found is None:
        return None
    protocol = found.protocol or ("smtp" if found.host == mailbox.smtp_host else "imap")
    code = errors.SMTP_AUTH if protocol == "smtp" else errors.IMAP_AUTH
    return ErrorReport(code, protocol, refused.message(found), reason="already_refused")


def _refuse(test: ConnectionTest, refusal: limits.Refusal) -> Finished:
    report = ErrorReport(
        errors.RATE_LIMITED,
        "limits",
        # The zone is named: the reader may be elsewhere than the server.
        ngettext(
            "%(refusal)s. Try again after %(until)s (in about %(minutes)s minute).",
            "%(refusal)s. Try again after %(until)s (in about %(minutes)s minutes).",
            refusal.retry_in_minutes(),
        )
        % {
            "refusal": refusal.message,
            "until": limits.local_time(refusal.retry_at),
            "minutes": refusal.retry_in_minutes(),
        },
        # Not from the words: they are in the reader's language.
        reason="auth_paused" if refusal.paused else "rate_limited",
    )
    return _finish(test, ConnectionTest.Status.FAILED, "", [report], touch_mailbox=False)


def enqueue(test_id: int) -> bool:
    """Queue the task with the test's id only, through the outbox (in the caller's
    transaction): a broker outage holds it, and the page says so (queueing.py)."""
    dispatch.send(dispatch.RUN_CONNECTION_TEST, test_id)
    return True


def _claim(test_id: int) -> ConnectionTest | None:
    """Take a queued test for this worker; None when it is under way or final already
    (a task delivered twice runs once)."""
    with transaction.atomic():
        test = (
            ConnectionTest.objects.select_for_update()
            .select_related("mailbox")
            .filter(pk=test_id, status=ConnectionTest.Status.QUEUED)
            .first()
        )
        if test is None:
            return None
        if test.held:  # the relay's note that it was handed over may still be on its way
            test.held_since, test.handed_at = None, timezone.now()
            test.deadline_at = test.default_deadline()
        elif test.overdue:
            # The page has shown it failed ("no worker finished"): that stays true, and
            # this run is recorded as a new attempt rather than changing it.
            _finish(test, ConnectionTest.Status.FAILED, "", [_reaped()])
            return _new_attempt(test)
        test.status = ConnectionTest.Status.RUNNING
        test.started_at = timezone.now()
        test.worker = workers.this_worker()  # a dead worker's test runs again (orphans.py)
        test.message = ConnectionTest.RERUN if test.reruns else ""
        fields = ["status", "started_at", "worker", "message", "held_since", "handed_at", "deadline_at"]
        test.save(update_fields=fields)
        changed(test, mailbox_too=False)
    return test


def _new_attempt(earlier: ConnectionTest, **fields) -> ConnectionTest:
    attempt = ConnectionTest(
        mailbox=earlier.mailbox,
        settings=earlier.settings,
        provider_id=earlier.provider_id,
        round_trip_requested=earlier.round_trip_requested,
        retry_of=earlier,
        status=ConnectionTest.Status.RUNNING,
        started_at=timezone.now(),
        worker=workers.this_worker(),
    )
    attempt.deadline_at = attempt.default_deadline()
    for name, value in fields.items():
        setattr(attempt, name, value)
    attempt.save()
    Mailbox.objects.filter(pk=earlier.mailbox_id).update(status=Mailbox.Status.TESTING)
    log.warning("test %s ran after it was shown failed: recorded as test %s", earlier.pk, attempt.pk)
    changed(attempt)
    return attempt


def _reaped() -> ErrorReport:
    return ErrorReport(errors.TIMEOUT, "worker", REAPED, reason="stuck")


def _record(test: ConnectionTest, diagnosis, fields: list[str]) -> Finished | None:
    """Store a finished run's verdict: on its test, or, when that test was shown failed
    meanwhile (reaped, or past its deadline), on a new attempt, so no page changes its
    mind. Returns how it ended, on the test that holds the verdict (None: the mailbox was
    deleted)."""
    with transaction.atomic():
        current = ConnectionTest.objects.select_for_update().filter(pk=test.pk).first()
        if current is None:
            return None  # the mailbox was deleted while it ran
        if current.worker != test.worker or current.started_at != test.started_at:
            # Taken from this run as orphaned (its worker looked gone): the run it was
            # given to writes the verdict.
            log.warning("test %s was run again elsewhere: this run's result is dropped", test.pk)
            return None
        if current.status not in ConnectionTest.FINAL and not current.overdue:
            return _finish(
                test, diagnosis.status, diagnosis.sent_folder, diagnosis.errors, fields=tuple(fields)
            )
        if current.status not in ConnectionTest.FINAL:
            current.mailbox = test.mailbox
            _finish(current, ConnectionTest.Status.FAILED, "", [_reaped()])
        attempt = _new_attempt(test, **{name: getattr(test, name) for name in fields})
        attempt.started_at = test.started_at
        attempt.save(update_fields=["started_at"])
        return _finish(attempt, diagnosis.status, diagnosis.sent_folder, diagnosis.errors)


def _finish(
    test: ConnectionTest,
    status: str,
    sent_folder: str,
    reports: list[ErrorReport],
    touch_mailbox=True,
    fields: tuple = (),
) -> Finished:
    """Write the verdict (with `fields` of the test set by the caller) and tell the pages."""
    now = timezone.now()
    with transaction.atomic():
        TestError.save_reports(test, reports)
        test.status = status
        test.sent_folder = sent_folder
        test.finished_at = now
        test.save(update_fields=["status", "sent_folder", "finished_at", *fields])
        changed(test)
        if not touch_mailbox:
            return Finished(test, reports)
        update = {"status": status, "last_tested_at": now}
        if status == CONNECTED:
            update["sent_folder"] = sent_folder
            if sent_folder != test.mailbox.sent_folder:
                update["sent_folder_chosen"] = False  # the chosen folder is gone
        Mailbox.objects.filter(pk=test.mailbox_id).update(**update)
    return Finished(test, reports)


@sensitive_variables("password")
def execute_test(test_id: int) -> Finished | None:
    """Run a queued test, writing each step as it happens; None if it was not queued. The
    verdict is written (and pushed) the moment both logins and the Sent folder's discovery
    end; the round trip, when asked for, follows as a phase of its own that never changes
    the verdict."""
    test = _claim(test_id)
    if test is None:
        return None
    mailbox = test.mailbox
    # A pause, or the password's refusal elsewhere, may have come after this test was queued;
    # a health check goes through here too, so it never resends a refused password either.
    known = _already_refused(mailbox)
    if known is not None:
        return _finish(test, ConnectionTest.Status.FAILED, "", [known])
    paused = limits.auth_paused(mailbox)
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
            # Stored in English; pages translate it (languages.words.say).
            gettext_noop("The saved password could not be decrypted. Enter the password again and retry."),
            reason="decryption_failed",
        )
        return _finish(test, ConnectionTest.Status.FAILED, "", [report])

    preferred = mailbox.sent_folder if mailbox.sent_folder_chosen else ""
    create = test.create_sent_folder
    settings_of = mailbox.connection_settings()  # built once, for both probes and the checks after
    smtp, imap, config = settings_of.server("smtp"), settings_of.server("imap"), probe_config()
    checks = deliverability.begin(mailbox, config)  # DNS checks run while the probes do
    steps = _Steps(test)
    diagnosis = run_probes(
        smtp, imap, password, config, on_step=steps.put, preferred_sent=preferred, create_sent=create
    )
    steps.flush()  # the login steps are in before the verdict that ends them
    _record_logins(mailbox, diagnosis, password)
    test.transcript = diagnosis.transcript_text()
    test.folders = diagnosis.folders
    round_trip = test.round_trip_requested and diagnosis.status == CONNECTED
    fields = deliverability.store_verdict(test, diagnosis, checks, round_trip)
    if test.message == ConnectionTest.RERUN:  # said while it ran again; the verdict speaks now
        test.message = ""
        fields.append("message")
    finished = _record(test, diagnosis, ["transcript", "folders", *fields])
    if finished is not None and finished.test.checks_until is not None:
        _after_verdict(finished.test, checks, diagnosis, smtp, imap, password, steps)
    del password
    return finished


def _after_verdict(test, checks, diagnosis, smtp, imap, password, steps) -> None:
    """The round trip and the DNS answers, each written when it ends; whatever happens,
    the phase ends visibly (never a panel that checks forever)."""
    if steps.buffered is None:
        connection.close()  # the round trip waits up to a minute: hold no connection meanwhile
    try:
        fields, reports = deliverability.after_verdict(
            test, checks, diagnosis, smtp, imap, password, steps.put
        )
        steps.flush()
    except Exception:
        log.exception("the checks after test %s's verdict broke off", test.pk)
        fields, reports = deliverability.delivery_failed(test), []
    with transaction.atomic():
        TestError.save_reports(test, reports)
        test.save(update_fields=fields)
        changed(test)


class _Steps:
    """Where a test's steps go as they happen. Inside a transaction (tests, shell) other
    connections cannot see the test's row yet, so they are kept and written on flush;
    otherwise no database connection is held while we wait on mail servers: the worker's
    single step writer takes them, so hundreds of tests can wait at once."""

    def __init__(self, test: ConnectionTest):
        self.test_id = test.pk
        self.buffered: list | None = [] if connection.in_atomic_block else None
        if self.buffered is None:
            connection.close()

    def put(self, step) -> None:
        if self.buffered is None:
            writer.put(self.test_id, step)
        else:
            self.buffered.append(step)

    def flush(self) -> None:
        if self.buffered is None:
            writer.flush()
            return
        TestStep.objects.bulk_create(
            TestStep(test_id=self.test_id, **step.as_dict()) for step in self.buffered
        )
        self.buffered.clear()
        publish(f"test-{self.test_id}")


def _record_logins(mailbox: Mailbox, diagnosis, password) -> None:
    """Remember a password the servers refused (core.refused) and say, on its error, how
    many tries are left once few are."""
    pairs = {p: (getattr(mailbox, f"{p}_host"), mailbox.login_name(p)) for p in ("smtp", "imap")}
    failed: dict = {}  # (host, login) -> the protocol whose server refused (the first, when both)
    for e in diagnosis.errors:
        if e.protocol in pairs and e.reason in PASSWORD_REFUSED:
            failed.setdefault(pairs[e.protocol], e.protocol)
    succeeded = {
        pairs[s.protocol]
        for s in diagnosis.steps
        if s.ok and s.name in ("auth", "login") and s.protocol in pairs
    }
    if password.kind != PASSWORD:  # an OAuth token: a refusal is renewed, not remembered
        limits.record_auth_result(set(), succeeded)
        return
    # The tries left are said in the owner's language (the worker speaks none of its own).
    with translation.override(for_user(mailbox.user)):
        warnings = refused.record(failed, succeeded, password.value)
    for report in diagnosis.errors:
        warning = warnings.get(pairs.get(report.protocol))
        if warning and report.reason in PASSWORD_REFUSED:
            report.detail = f"{report.detail} {warning}"


# Stored in English; pages translate it (languages.words.say).
REAPED = gettext_noop(
    "The test did not finish in time: the worker stopped or the task queue was unavailable. "
    "Run the test again."
)


def reap_stuck_tests() -> int:
    """Mark tests past their deadline as failed, so that nothing spins forever."""
    stuck = ConnectionTest.objects.filter(
        status__in=ConnectionTest.UNDER_WAY,
        deadline_at__lt=timezone.now(),
        held_since__isnull=True,  # held by the outbox: its deadline has not started
    ).select_related("mailbox")
    count = 0
    for test in stuck:
        with transaction.atomic():
            fresh = ConnectionTest.objects.select_for_update().filter(pk=test.pk, status=test.status).first()
            if fresh is None:
                continue
            fresh.mailbox = test.mailbox
            _finish(fresh, ConnectionTest.Status.FAILED, "", [_reaped()])
            count += 1
    count += _reap_stuck_checks()
    if count:
        log.warning("reaped %s stuck connection test(s)", count)
    return count


def _reap_stuck_checks() -> int:
    """Delivery checks past their deadline end as failed (the page already says so, worked
    out when it is read; this makes it true for the mailbox's state too)."""
    count = 0
    for test in ConnectionTest.objects.filter(checks_until__lt=timezone.now()):
        with transaction.atomic():
            fresh = ConnectionTest.objects.select_for_update().filter(
                pk=test.pk, checks_until__lt=timezone.now()
            )
            fresh = fresh.first()
            if fresh is None:
                continue
            fresh.save(update_fields=deliverability.delivery_failed(fresh))
            changed(fresh)
            count += 1
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


def create_sent_folder(mailbox: Mailbox) -> ConnectionTest | None:
    """Test again, creating a Sent folder if the mailbox still has none; None when the
    newest test did find one (nothing to create)."""
    test = mailbox.latest_test()
    if test is None or not test.errors.filter(code=errors.NO_SENT_FOLDER).exists():
        return None
    return start_test(mailbox, create_sent=True)


def choose_sent_folder(mailbox: Mailbox, folder: str) -> ConnectionTest | None:
    """Remember the user's Sent folder, if the server listed it, and test again."""
    test = mailbox.latest_test()
    if test is None or folder not in (test.folders or []):
        return None
    mailbox.sent_folder = folder
    mailbox.sent_folder_chosen = True
    mailbox.save(update_fields=["sent_folder", "sent_folder_chosen", "updated_at"])
    return start_test(mailbox)

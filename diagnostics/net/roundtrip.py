"""The round trip: after a successful login test, prove that the mailbox can do its job.

Send one message from the mailbox to itself over SMTP, find it over IMAP (INBOX, then
the spam folder), note whether the provider filed a copy in Sent (APPEND one when it
did not, to prove we can), read what the receiving server wrote about SPF, DKIM and
DMARC, and delete exactly the test messages again.

Its steps are recorded under the protocol "delivery": mailbox, send, find,
auth_results, sent_filing, cleanup. Opening the sessions (dns, connect, login...) is
recorded in the transcript only: the login test has just shown those steps.
"""

import smtplib
import time
from dataclasses import dataclass, field

from . import errors, mailsearch, testmessage
from .classify import classify
from .errors import ProbeError
from .imap_probe import GuardedIMAP4, list_folders, secure_and_log_in
from .imap_probe import _close as close_imap
from .redaction import Redactor
from .replies import enhanced_code
from .sent_folder import find_sent
from .smtp_probe import GuardedSMTP, log_in
from .smtp_probe import _close as close_smtp
from .steps import Deadline, ProbeConfig, StepRecorder, short
from .transcript import Transcript
from .transport import ServerSettings
from .words import N_

PROTOCOL = "delivery"
DELIVERED, DELIVERED_TO_SPAM, NOT_DELIVERED, FAILED, SKIPPED = (
    "delivered",
    "delivered_to_spam",
    "not_delivered",
    "failed",
    "skipped",
)
AUTOMATIC, NEEDS_APPEND, UNKNOWN = "automatic", "needs_append", "unknown"
SENDER_REJECTED = "sender_rejected"
# Wording of a refused sender (Postfix, Exim, Microsoft's SendAsDenied, cPanel...).
_SENDER_WORDS = (
    "not owned by user",
    "sender address rejected",
    "send as",
    "sendasdenied",
    "send mail as",
    "not allowed to send",
    "not authorized to send",
    "not permitted to send",
    "sender not allowed",
    "sender is not allowed",
    "from address",
    "mail from address",
    "does not match the authenticated",
    "sender verify failed",
)
POLL_FIRST, POLL_MAX = 1.0, 10.0  # seconds between checks without IDLE (backoff)
SENT_GRACE = 2.0  # a provider may file its Sent copy a moment after delivery


@dataclass
class RoundTrip:
    status: str = SKIPPED
    folder: str = ""
    latency_ms: int | None = None
    sent_filing: str = UNKNOWN
    sent_folder: str = ""
    appended: bool = False
    auth_results: dict = field(default_factory=lambda: {"spf": "none", "dkim": "none", "dmarc": "none"})
    auth_source: str = ""
    dkim_signatures: list = field(default_factory=list)
    cleaned_up: bool = False
    waited_with: str = ""
    # (protocol, error): not_delivered, a refused sender, a session that broke...
    errors: list = field(default_factory=list)
    steps: list = field(default_factory=list)
    transcript: str = ""

    def as_dict(self) -> dict:
        """Everything, as stored with the test; `public()` picks the JSON contract's keys."""
        return {
            "status": self.status,
            "folder": self.folder or None,
            "latency_ms": self.latency_ms,
            "sent_filing": self.sent_filing,
            "auth_results": dict(self.auth_results),
            "cleaned_up": self.cleaned_up,
            "sent_folder": self.sent_folder,
            "appended": self.appended,
            "auth_source": self.auth_source,
            "dkim_signatures": list(self.dkim_signatures),
            "waited_with": self.waited_with,
        }


JSON_KEYS = ("status", "folder", "latency_ms", "sent_filing", "auth_results", "cleaned_up")


def public(stored: dict) -> dict:
    """The `round_trip` object of `manage.py diagnose --round-trip --json`."""
    return {key: stored.get(key) for key in JSON_KEYS}


def sender_refusal(exc: smtplib.SMTPException) -> ProbeError | None:
    """A refusal of the message (MAIL FROM, RCPT TO or DATA) as sender_rejected or
    message_rejected; None for anything else."""
    at_mail_from = isinstance(exc, smtplib.SMTPSenderRefused)
    if at_mail_from or isinstance(exc, smtplib.SMTPDataError):
        code, text = exc.smtp_code, exc.smtp_error
    elif isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
        code, text = next(iter(exc.recipients.values()))
    else:
        return None
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    reply = short(f"{code} {text}", 300)
    lowered = text.lower()
    sender = (
        any(word in lowered for word in _SENDER_WORDS)
        or enhanced_code(text) == (5, 7, 60)
        or (at_mail_from and (code == 553 or (code == 550 and enhanced_code(text) == (5, 7, 1))))
    )
    if sender:
        return ProbeError(
            errors.SMTP_FATAL,
            N_("The SMTP server refused this address as the sender of the test message."),
            server_reply=reply,
            reason=SENDER_REJECTED,
        )
    return ProbeError(
        errors.SMTP_FATAL,
        N_("The SMTP server accepted the login but refused the test message."),
        server_reply=reply,
        reason="message_rejected",
    )


class _Session:
    """One round trip: its recorders, deadline and IMAP session."""

    def __init__(self, smtp, imap, secret, config, address, wait_seconds, emit, redact):
        self.smtp, self.imap, self.secret, self.config = smtp, imap, secret, config
        self.address = address
        self.wait_seconds = wait_seconds
        transcript = Transcript(redact)
        self.rec = StepRecorder(PROTOCOL, emit, redact, transcript)
        # Opening a session repeats the login test's steps: keep them in the transcript only.
        self.quiet = StepRecorder(PROTOCOL, lambda step: None, redact, transcript)
        self.result = RoundTrip()
        self.token = testmessage.new_token()
        self.message = testmessage.build(address, self.token)
        # Room after the wait for the Sent check, APPEND and the cleanup.
        self.reserve = max(2.0, min(config.timeout, config.deadline / 2))
        self.deadline = Deadline(wait_seconds + config.deadline + self.reserve)
        self.client: GuardedIMAP4 | None = None
        self.folders = []
        self.found: dict[str, list[int]] = {}  # folder raw name -> UIDs of our messages
        self.cleaning = False
        self.accepted = False  # whether the SMTP server took the message at all
        self.inbox_count = -1

    # -- sessions ----------------------------------------------------------

    def open_imap(self) -> None:
        self.rec.begin("mailbox")
        self.client = GuardedIMAP4(self.quiet, self.imap, self.config, self.deadline)
        secure_and_log_in(self.client, self.imap, self.secret)
        mailsearch.refresh_capabilities(self.client)
        self.quiet.begin("list")
        self.folders = list_folders(self.client)
        self.quiet.ok(N_("{count} folders").format(count=len(self.folders)))

    def send(self) -> float:
        """Submit the message; the monotonic time at which the server accepted it."""
        self.rec.begin("send")
        deadline = Deadline(self.config.deadline)
        client = None
        try:
            client = GuardedSMTP(self.quiet, self.smtp, self.config, deadline)
            log_in(client, self.smtp, self.secret)
            client.send_message(self.message, from_addr=self.address, to_addrs=[self.address])
            accepted = time.monotonic()
            self.accepted = True
            self.rec.ok(
                N_("accepted by {host} for {address}").format(host=self.smtp.host, address=self.address)
            )
            return accepted
        except ProbeError:
            raise
        except Exception as exc:
            refusal = sender_refusal(exc) if isinstance(exc, smtplib.SMTPException) else None
            # A step still open in the quiet recorder is where the session broke (auth...).
            raise refusal or classify(exc, "smtp", self.quiet.current or "send", deadline.fired) from None
        finally:
            deadline.cancel()
            close_smtp(client)

    # -- finding -----------------------------------------------------------

    def _look(self, folders: list) -> tuple[object, int, object] | None:
        """Search each folder once; (folder, uid, headers) of the first match."""
        for folder in folders:
            count = mailsearch.select(self.client, "INBOX" if folder is None else folder.raw, readonly=True)
            if folder is None:
                self.inbox_count = count
            hit = mailsearch.find_message(self.client, self.token)
            if hit is not None:
                return folder, hit[0], hit[1]
        return None

    def wait_for_delivery(self, sent_at: float, junk) -> tuple[object, int, object] | None:
        """INBOX first, then the spam folder, until the round-trip deadline."""
        client = self.client
        idle = "IDLE" in client.capabilities
        self.result.waited_with = "idle" if idle else "poll"
        stop = min(sent_at + self.wait_seconds, time.monotonic() + self.deadline.remaining() - self.reserve)
        folders = [None] + ([junk] if junk is not None else [])
        pause = POLL_FIRST
        while True:
            hit = self._look(folders)
            if hit is not None:
                return hit
            left = stop - time.monotonic()
            if left <= 0:
                return None
            if idle:
                # Mail that came while we looked at the spam folder shows in the count.
                if junk is None or mailsearch.select(client, "INBOX", readonly=True) == self.inbox_count:
                    mailsearch.idle(client, min(left, mailsearch.IDLE_SLICE, pause * 4), self.config.timeout)
            else:
                time.sleep(min(left, pause))
                client.noop()
            pause = min(POLL_MAX, pause * 1.5)

    # -- after delivery ----------------------------------------------------

    def check_sent(self, sent, delivered: bool) -> None:
        rec, result = self.rec, self.result
        rec.begin("sent_filing")
        if sent is None:
            result.sent_filing = UNKNOWN
            rec.ok(N_("no Sent folder found: cannot tell"))
            return
        result.sent_folder = sent.name
        uid = self._in_folder(sent)
        if uid is None and delivered and self.deadline.remaining() > self.reserve + SENT_GRACE:
            time.sleep(SENT_GRACE)
            uid = self._in_folder(sent)
        if uid is not None:
            result.sent_filing = AUTOMATIC
            self.found.setdefault(sent.raw, []).append(uid)
            rec.ok(N_("the provider files a copy in {folder} itself").format(folder=sent.name))
            return
        result.sent_filing = NEEDS_APPEND
        appended = mailsearch.append(self.client, sent.raw, self.message.as_bytes())
        if appended is None:
            mailsearch.select(self.client, sent.raw, readonly=True)
            hit = mailsearch.find_message(self.client, self.token)
            appended = hit[0] if hit else None
        result.appended = appended is not None
        if appended is not None:
            self.found.setdefault(sent.raw, []).append(appended)
        rec.ok(
            N_("no copy in {folder}: we must file one; APPEND to {target} works").format(
                folder=sent.name,
                target=sent.name,  # a field appears once: say() matches it back
            )
        )

    def _in_folder(self, folder) -> int | None:
        mailsearch.select(self.client, folder.raw, readonly=True)
        hit = mailsearch.find_message(self.client, self.token)
        return hit[0] if hit else None

    def cleanup(self) -> None:
        rec, result = self.rec, self.result
        self.cleaning = True
        rec.begin("cleanup")
        if not self.found:
            result.cleaned_up = True
            rec.ok(N_("nothing to delete"))
            return
        trash = mailsearch.find_folder(self.folders, "\\trash", mailsearch.TRASH_NAMES)
        done, notes = True, []
        for raw, uids in self.found.items():
            gone, how = mailsearch.remove(self.client, raw, uids, trash)
            done = done and gone
            notes.append(f"{len(set(uids))} in {raw}: {how}")
        result.cleaned_up = done
        rec.ok("; ".join(notes))


def run_round_trip(
    smtp: ServerSettings,
    imap: ServerSettings,
    secret,
    config: ProbeConfig,
    address: str,
    wait_seconds: float,
    emit,
    redact: Redactor,
    sent_folder: str = "",
) -> RoundTrip:
    """The whole round trip; never raises. `sent_folder` is the login test's answer;
    `emit` gets each step as it ends (from this thread)."""
    session = _Session(smtp, imap, secret, config, address, wait_seconds, emit, redact)
    result, rec = session.result, session.rec
    protocol = "imap"
    try:
        session.open_imap()
        folders = session.folders
        junk = mailsearch.find_folder(folders, "\\junk", mailsearch.JUNK_NAMES)
        sent = next((f for f in folders if sent_folder and f.name == sent_folder), None) or find_sent(folders)
        if junk:
            rec.ok(N_("logged in; spam folder: {folder}").format(folder=junk.name))
        else:
            rec.ok(N_("logged in; spam folder: none found"))
        protocol = "smtp"
        sent_at = session.send()
        protocol = "imap"
        rec.begin("find")
        hit = session.wait_for_delivery(sent_at, junk)
        if hit is None:
            result.status = NOT_DELIVERED
            if junk:
                rec.fail(
                    N_("not in INBOX or {folder} after {seconds} s").format(
                        folder=junk.name, seconds=f"{wait_seconds:g}"
                    )
                )
            else:
                rec.fail(N_("not in INBOX after {seconds} s").format(seconds=f"{wait_seconds:g}"))
            missing = ProbeError(
                errors.NOT_DELIVERED,
                N_(
                    "The test message was accepted for delivery but did not arrive within {seconds} s."
                ).format(seconds=f"{wait_seconds:g}"),
                reason="not_delivered",
            )
            missing.step = "find"
            result.errors.append((PROTOCOL, missing))
        else:
            folder, uid, headers = hit
            result.latency_ms = int((time.monotonic() - sent_at) * 1000)
            result.folder = "INBOX" if folder is None else folder.name
            result.status = DELIVERED if folder is None else DELIVERED_TO_SPAM
            session.found.setdefault("INBOX" if folder is None else folder.raw, []).append(uid)
            rec.ok(
                N_("{folder} after {ms} ms ({method})").format(
                    folder=result.folder, ms=result.latency_ms, method=result.waited_with
                )
            )
            rec.begin("auth_results")
            result.auth_results, result.auth_source = testmessage.auth_results(headers)
            result.dkim_signatures = testmessage.dkim_signatures(headers)
            verdicts = " ".join(f"{k}={v}" for k, v in result.auth_results.items())
            if result.auth_source:
                rec.ok(f"{verdicts} ({result.auth_source})")  # the verdicts and the header's name
            else:
                rec.ok(N_("{verdicts} (no Authentication-Results header)").format(verdicts=verdicts))
        session.check_sent(sent, delivered=hit is not None)
        session.cleanup()
    except Exception as exc:  # every failure becomes a classified error, as in the probes
        step = rec.current or session.quiet.current
        error = exc if isinstance(exc, ProbeError) else classify(exc, protocol, step, session.deadline.fired)
        if rec.current is not None:
            rec.fail(error.detail + (f" — {error.server_reply}" if error.server_reply else ""))
        error.step = step or ""
        if result.status == SKIPPED:
            result.status = FAILED
        result.errors.append((protocol, error))
        _cleanup_after_failure(session)
    finally:
        session.deadline.cancel()
        close_imap(session.client)
        result.steps = list(rec.steps)
        result.transcript = rec.transcript.text()
    return result


def _cleanup_after_failure(session: _Session) -> None:
    """A failure after the message was found must still not leave it behind: one try."""
    if not session.found:
        # Nothing was accepted, so nothing can be left behind.
        session.result.cleaned_up = not session.accepted
        return
    if session.cleaning or session.client is None or session.deadline.expired:
        return
    try:
        session.cleanup()
    except Exception as exc:  # the session is broken: report what is left
        session.result.cleaned_up = False
        session.rec.transcript.note(f"cleanup failed: {type(exc).__name__}")
        if session.rec.current is not None:
            session.rec.fail(N_("could not delete the test message; it may still be in the mailbox"))

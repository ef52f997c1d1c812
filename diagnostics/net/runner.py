"""Run the SMTP and IMAP tests concurrently and gather one diagnosis.

Used by the Celery task and by `manage.py diagnose`. Steps are handed to `on_step`
in the caller's thread as they happen, so the caller may write them to a database.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from . import directory, errors, replies, sasl
from .credentials import Credential
from .directory import SSO_REQUIRED, UNSUPPORTED, Provider
from .errors import ErrorReport, ProbeError
from .imap_probe import probe_imap
from .redaction import Redactor
from .smtp_probe import probe_smtp
from .steps import ProbeConfig, Step, StepRecorder
from .transport import ServerSettings
from .words import N_

CONNECTED, FAILED = "connected", "failed"


@dataclass
class Diagnosis:
    status: str
    sent_folder: str = ""
    errors: list[ErrorReport] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)
    transcripts: dict[str, str] = field(default_factory=dict)
    # {"smtp": [EHLO features], "imap": [capabilities after login], "inbox": {STATUS}}.
    capabilities: dict = field(default_factory=dict)
    # Filled in by verification.verify() when the round trip runs.
    round_trip: dict | None = None
    domain: dict | None = None
    tracking: dict | None = None
    # The redactor of this test's secrets, for the phases that follow the login test.
    redact: Redactor | None = field(default=None, repr=False)

    def transcript_text(self) -> str:
        return "\n\n".join(
            f"=== {name.upper()} ===\n{text}" for name, text in self.transcripts.items() if text
        )


def policy_errors(provider: Provider | None) -> list[ErrorReport]:
    """Errors a provider's rules cause before any connection is tried."""
    if provider is None:
        return []
    if provider.policy == SSO_REQUIRED:
        label = "Google" if provider.sso == "google" else "Microsoft"
        return [
            ErrorReport(
                errors.SSO_REQUIRED,
                "policy",
                N_("{provider} mailboxes must be connected with Sign in with {label}.").format(
                    provider=provider.name, label=label
                ),
                reason=f"sso_{provider.sso}",
            )
        ]
    if provider.policy == UNSUPPORTED:
        return [
            ErrorReport(
                errors.PROVIDER_UNSUPPORTED,
                "policy",
                # An unsupported provider's one note says why (a sentence of its own).
                provider.notes[0]
                if provider.notes
                else N_("{provider} cannot be connected.").format(provider=provider.name),
            )
        ]
    return []


def _at_microsoft(error: ProbeError, host: str, credential: Credential) -> None:
    provider = directory.by_host(host)
    if provider is None or provider.id != "microsoft":
        return
    reason = replies.at_microsoft(error.reason, "imap", credential.kind == sasl.PASSWORD)
    if reason != error.reason:
        error.reason = reason
        error.detail = N_(
            "Microsoft's IMAP server refused the password. Microsoft no longer lets mail apps sign in "
            "to Outlook.com and Microsoft 365 mailboxes with a password over IMAP, whatever the password."
        )


def _report(error: ProbeError, protocol: str, redact: Redactor) -> ErrorReport:
    suggestion = error.suggestion
    if suggestion and "message" in suggestion:
        suggestion = {**suggestion, "message": redact(suggestion["message"])}
    return ErrorReport(
        error.code,
        protocol,
        redact(error.detail),
        server_reply=redact(error.server_reply),
        reason=error.reason,
        step=getattr(error, "step", ""),
        suggestion=suggestion,
    )


def run_probes(
    smtp: ServerSettings,
    imap: ServerSettings,
    credential: Credential,
    config: ProbeConfig,
    on_step: Callable[[Step], None] | None = None,
    preferred_sent: str = "",
    create_sent: bool = False,
) -> Diagnosis:
    """Test SMTP and IMAP at the same time; the slower one sets the total time.

    `credential` is a Password, or a sasl.Bearer for mailboxes signed in with OAuth.
    `on_step` is called from the probe threads as each step ends, so it must be
    thread-safe (the worker hands steps to its shared writer). `create_sent`: create
    a Sent folder when the mailbox has none (the person asked for it).
    """
    redact = credential.redactor(smtp, imap)
    if credential.failure:
        failed = [_report(sasl.auth_error(p, credential.failure), p, redact) for p in ("smtp", "imap")]
        return Diagnosis(FAILED, errors=failed)
    emit = on_step if on_step is not None else (lambda step: None)
    smtp_rec = StepRecorder("smtp", emit, redact)
    imap_rec = StepRecorder("imap", emit, redact)
    outcome: dict = {}
    seen: dict = {}

    def smtp_job() -> None:
        outcome["smtp"] = probe_smtp(smtp, credential, config, smtp_rec, seen=seen)

    # SMTP in a second thread, IMAP in this one: two threads per test, not three.
    thread = threading.Thread(target=smtp_job, name="smtp-probe", daemon=True)
    thread.start()
    outcome["imap"] = probe_imap(
        imap, credential, config, imap_rec, preferred_sent, seen=seen, create_sent=create_sent
    )
    thread.join()

    diagnosis = Diagnosis(
        CONNECTED,
        steps=smtp_rec.steps + imap_rec.steps,
        transcripts={"smtp": smtp_rec.transcript.text(), "imap": imap_rec.transcript.text()},
        capabilities=seen,
        redact=redact,
    )
    smtp_error = outcome.get("smtp")
    sent_folder, diagnosis.folders, imap_error = outcome.get("imap", (None, [], None))
    if smtp_error is not None:
        diagnosis.errors.append(_report(smtp_error, "smtp", redact))
    if imap_error is not None:
        _at_microsoft(imap_error, imap.host, credential)
        diagnosis.errors.append(_report(imap_error, "imap", redact))
    if diagnosis.errors:
        diagnosis.status = FAILED
    diagnosis.sent_folder = sent_folder or ""
    return diagnosis

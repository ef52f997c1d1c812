"""Testing one candidate row: the connect form's probes, limits and diagnosis."""

from core import limits
from diagnostics.net import errors
from diagnostics.net.credentials import Password
from diagnostics.net.runner import CONNECTED, run_probes

from . import rows as R


def refusal(row: R.Candidate) -> str:
    """The shared per-host and per-login limits and the wrong-password pause (an import
    counts against the same counters as single tests; the per-user limit is the file's cap)."""
    paused = limits.auth_paused(row)
    if paused is not None:
        return f"{paused.message}. Check again in about {paused.retry_in_minutes()} minutes."
    refused = limits.check_and_count(row, per_user=False)
    if refused is not None:
        return f"{refused.message}. Check again later."
    return ""


def refuse(row: R.Candidate, message: str) -> None:
    row.fail(R.FAILED, errors.RATE_LIMITED, message, reason="rate_limited", fix="Check again later.")


def run(row: R.Candidate, password: str, config):
    """The probes only (no database): fills state, code, reason, message, fix and
    sent_folder; returns the (failed, succeeded) logins for record()."""
    settings = row.connection_settings()
    smtp, imap = settings.server("smtp"), settings.server("imap")
    diagnosis = run_probes(smtp, imap, Password(password), config)
    if diagnosis.status == CONNECTED:
        row.fail(R.CONNECTED, "", "", fix="")
        row.sent_folder = diagnosis.sent_folder
        return logins(row, diagnosis)
    first = diagnosis.errors[0]
    suggestion = (first.suggestion or {}).get("message", "")
    tips = errors.help_for(first.code, first.reason)
    detail = first.detail + (f" The server said: {first.server_reply}" if first.server_reply else "")
    row.fail(
        R.FAILED, first.code, detail[:1000], reason=first.reason, fix=suggestion or (tips[0] if tips else "")
    )
    return logins(row, diagnosis)


def logins(row: R.Candidate, diagnosis) -> tuple[set, set]:
    """(failed, succeeded) (host, username) pairs, for limits.record_auth_result: wrong
    passwords count towards the pause, as in single tests; a login that worked clears it."""
    pairs = {p: (getattr(row, f"{p}_host"), row.login_name(p)) for p in R.PROTOCOLS}
    failed = {
        pairs[e.protocol] for e in diagnosis.errors if e.protocol in pairs and e.reason == "wrong_credentials"
    }
    succeeded = {
        pairs[s.protocol]
        for s in diagnosis.steps
        if s.ok and s.name in ("auth", "login") and s.protocol in pairs
    }
    return failed, succeeded


def record(found: list[tuple[set, set]]) -> None:
    for failed, succeeded in found:
        limits.record_auth_result(failed, succeeded)

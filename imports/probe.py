"""Testing one candidate row: the connect form's probes, limits and diagnosis."""

from core import limits, refused
from diagnostics.net import errors
from diagnostics.net.credentials import Password
from diagnostics.net.reasons import PASSWORD_REFUSED
from diagnostics.net.runner import CONNECTED, run_probes
from diagnostics.net.words import N_

from . import rows as R


def _targets(row: R.Candidate) -> set[tuple[str, str]]:
    return {(row.smtp_host, row.login_name("smtp")), (row.imap_host, row.login_name("imap"))}


def refusal(row: R.Candidate) -> str:
    """The shared per-host and per-login limits and the wrong-password pause (an import
    counts against the same counters as single tests; the per-user limit is the file's cap)."""
    paused = limits.auth_paused(row)
    if paused is not None:
        return N_("{pause}. Check again in about {minutes} minutes.").format(
            pause=paused.message, minutes=paused.retry_in_minutes()
        )
    refused = limits.check_and_count(row, per_user=False)
    if refused is not None:
        return N_("{refusal}. Check again later.").format(refusal=refused.message)
    return ""


def refuse(row: R.Candidate, message: str) -> None:
    row.fail(R.FAILED, errors.RATE_LIMITED, message, reason="rate_limited", fix=N_("Check again later."))


def already_refused(row: R.Candidate, password: str) -> bool:
    """A password one of the row's servers already refused fails the row at once: it is
    never sent again (core.refused)."""
    found = refused.already_refused(_targets(row), password)
    if found is None:
        return False
    protocol = found.protocol or ("smtp" if found.host == row.smtp_host else "imap")
    code = errors.SMTP_AUTH if protocol == "smtp" else errors.IMAP_AUTH
    row.fail(
        R.FAILED, code, refused.message(found), reason="already_refused", fix=N_("Type the new password.")
    )
    return True


def run(row: R.Candidate, password: str, config):
    """The probes only (no database): fills state, code, reason, message, fix and
    sent_folder; returns the (failed, succeeded) logins for record()."""
    settings = row.connection_settings()
    smtp, imap = settings.server("smtp"), settings.server("imap")
    diagnosis = run_probes(smtp, imap, Password(password), config)
    if diagnosis.status == CONNECTED:
        row.fail(R.CONNECTED, "", "", fix="")
        row.sent_folder = diagnosis.sent_folder
        return logins(row, diagnosis, password)
    first = diagnosis.errors[0]
    suggestion = (first.suggestion or {}).get("message", "")
    tips = errors.help_for(first.code, first.reason)
    detail = first.detail + (f" The server said: {first.server_reply}" if first.server_reply else "")
    row.fail(
        R.FAILED, first.code, detail[:1000], reason=first.reason, fix=suggestion or (tips[0] if tips else "")
    )
    return logins(row, diagnosis, password)


def logins(row: R.Candidate, diagnosis, password: str = "") -> tuple[set, set, str]:
    """(failed, succeeded, password): the (host, username) pairs, for record(): a refused
    password is remembered and counts towards the pause, as in single tests; a login
    that worked clears it."""
    pairs = {p: (getattr(row, f"{p}_host"), row.login_name(p)) for p in R.PROTOCOLS}
    failed: dict = {}  # (host, login) -> the protocol whose server refused (the first, when both)
    for e in diagnosis.errors:
        if e.protocol in pairs and e.reason in PASSWORD_REFUSED:
            failed.setdefault(pairs[e.protocol], e.protocol)
    succeeded = {
        pairs[s.protocol]
        for s in diagnosis.steps
        if s.ok and s.name in ("auth", "login") and s.protocol in pairs
    }
    return failed, succeeded, password


def record(found: tuple) -> str:
    """Remember what one row's logins refused; the warning to add to its message."""
    failed, succeeded, password = found
    warnings = refused.record(failed, succeeded, password)
    return " ".join(w for w in warnings.values() if w)

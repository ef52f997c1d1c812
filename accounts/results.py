"""A connection test's result as the mailbox page tells it.

One sentence and one action first; each problem once (SMTP and IMAP failing the same
way is one problem, said without a protocol); advice that refers only to what the page
shows; "almost done" when only the Sent folder is missing, with the likeliest folders
first; and while the test runs, the step each protocol is waiting on.

Plain functions over the test's rows: no queries, no Django request.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.utils.translation import gettext, gettext_lazy, ngettext

from diagnostics.net import directory as providers  # the provider directory
from diagnostics.net import errors as catalogue
from diagnostics.net import reasons
from diagnostics.net.advice import (
    AUTH_CODES,
    PASSWORD_REASONS,
    RETRY_REASONS,
    SIGN_IN_REASONS,
    TIMEOUT_REASONS,
    Failure,
    Tip,
    same_failure,
    tips,
    waited,
)
from diagnostics.net.mailbox import PROTOCOLS
from languages.words import say

UNTESTED, QUEUED, RUNNING = "untested", "queued", "running"
CONNECTED, ALMOST, FAILED = "connected", "almost", "failed"
TONES = {UNTESTED: "info", QUEUED: "info", RUNNING: "info", CONNECTED: "ok", ALMOST: "warn", FAILED: "bad"}
# The badge before the headline ("Almost done" is the headline's own first words).
LABELS = {
    QUEUED: gettext_lazy("Queued"),
    RUNNING: gettext_lazy("Testing…"),
    CONNECTED: gettext_lazy("Connected"),
    FAILED: gettext_lazy("Failed"),
}

# What a protocol's test is waiting on once the named step has started.
# %(p)s: the protocol, SMTP or IMAP.
STEP_WORDS = {
    "dns": gettext_lazy("looking up the %(p)s server’s address"),
    "connect": gettext_lazy("connecting to the %(p)s server"),
    "tls": gettext_lazy("waiting for the %(p)s server’s TLS handshake"),
    "greeting": gettext_lazy("waiting for the %(p)s server’s greeting"),
    "ehlo": gettext_lazy("waiting for the SMTP server to introduce itself"),
    "capability": gettext_lazy("asking the IMAP server what it supports"),
    "starttls": gettext_lazy("waiting for the %(p)s server to switch to encryption"),
    "auth": gettext_lazy("waiting for the SMTP server to check the password"),
    "login": gettext_lazy("waiting for the IMAP server to check the password"),
    "list": gettext_lazy("listing your folders"),
    "sent_folder": gettext_lazy("looking for your Sent folder"),
}
WAITING = gettext_lazy("waiting for the %(p)s server")


def expected_steps(protocol: str, security: str) -> list[str]:
    """The probe's steps in order (diagnostics/net/smtp_probe.py, imap_probe.py)."""
    steps = ["dns", "connect"] + (["tls"] if security == "ssl" else []) + ["greeting"]
    steps.append("ehlo" if protocol == "smtp" else "capability")
    if security == "starttls":
        steps.append("starttls")
    return steps + (["auth"] if protocol == "smtp" else ["login", "list", "sent_folder"])


@dataclass
class Progress:
    protocol: str
    words: str  # "waiting for the IMAP server's TLS handshake"
    started: datetime | None = None  # when that step began
    now: datetime | None = None  # when the page was rendered (the ticking starts there)
    done: bool = False

    @property
    def elapsed(self) -> int:
        return max(0, int((self.now - self.started).total_seconds())) if self.started and self.now else 0

    @property
    def started_ms(self) -> int:
        return int(self.started.timestamp() * 1000) if self.started else 0

    @property
    def now_ms(self) -> int:
        return int(self.now.timestamp() * 1000) if self.now else 0


@dataclass
class Problem:
    errors: list  # TestError rows: one, or one per protocol failing the same way
    title: str
    sentence: str
    tips: list[Tip] = field(default_factory=list)

    @property
    def protocols(self) -> list[str]:
        return [e.protocol for e in self.errors]

    @property
    def fix(self):
        """The error whose one-click fix is shown, if any."""
        return next((e for e in self.errors if e.suggestion_fields), None)

    @property
    def auth(self) -> bool:
        """A refused login (a password, or a mailbox's sign-in with its provider)."""
        return all(e.code in AUTH_CODES for e in self.errors)

    @property
    def password(self) -> bool:
        """A refused password: retyping it is the action."""
        return self.auth and all(e.reason in PASSWORD_REASONS for e in self.errors)

    @property
    def sign_in(self) -> bool:
        """Microsoft refused any password: Sign in with Microsoft is the action."""
        return any(e.reason in SIGN_IN_REASONS for e in self.errors)

    @property
    def codes(self) -> str:
        return " ".join(dict.fromkeys(e.code for e in self.errors))


@dataclass
class Result:
    state: str
    headline: str
    problems: list[Problem] = field(default_factory=list)
    action: str = ""  # password, reconnect, fix, folder, retest, edit, or nothing
    folders: list[str] = field(default_factory=list)
    progress: list[Progress] = field(default_factory=list)

    @property
    def tone(self) -> str:
        return TONES[self.state]

    @property
    def final(self) -> bool:
        return self.state in (CONNECTED, ALMOST, FAILED)

    @property
    def label(self) -> str:
        return str(LABELS.get(self.state, ""))

    @property
    def shows_capabilities(self) -> bool:
        """What the mailbox can do is worth a panel once the servers let us in: after a
        login failure it would be a page of unknowns between the person and the fix, and
        while a test runs the panel of an earlier test would read as this test's. (Tests
        from before the round trip followed the verdict failed on a delivery problem.)"""
        if self.state in (UNTESTED, QUEUED, RUNNING):
            return False
        if self.state != FAILED:  # connected or almost done
            return True
        return any(
            e.protocol == "delivery" or e.reason in ("sender_rejected", "message_rejected")
            for problem in self.problems
            for e in problem.errors
        )

    @property
    def announcement(self) -> str:
        """What a screen reader hears once, when the test ends."""
        if not self.final:
            return ""
        if not self.label:
            return self.headline
        return gettext("%(label)s: %(headline)s") % {"label": self.label, "headline": self.headline}


# --- folders ---------------------------------------------------------------------------

# Word stems that suggest sent mail, in the languages the Sent-folder names cover.
_SENT_STEMS = (
    "sent", "send", "gesend", "envoy", "envia", "inviat", "verzonden", "wysłan", "odeslan",
    "skickat", "lähetet", "gönder", "απεσταλ", "отправлен", "已发送", "已傳送", "送信済",
    "보낸", "outbox", "ausgang", "outgoing",
)  # fmt: skip
# Folders that hold mail for other purposes: listed last, in this order.
_LAST = (
    ("inbox",),
    ("draft", "entwürf", "entwurf", "brouillon", "borrador", "bozze", "concept", "rascunho", "черновик"),
    ("trash", "deleted", "bin", "papierkorb", "gelöscht", "corbeille", "papelera", "cestino", "prullenbak"),
    ("junk", "spam", "bulk", "pourriel", "indésirable", "correo no deseado"),
)


def _leaf(name: str) -> str:
    return re.split(r"[./]", name)[-1].casefold()


def _rank(name: str) -> tuple[int, int]:
    leaf = _leaf(name)
    if any(stem in leaf for stem in _SENT_STEMS):
        return (0, 0)
    for order, words in enumerate(_LAST):
        if leaf in words or any(leaf.startswith(w) for w in words):
            return (2, order)
    return (1, 0)


def likely_sent(name: str) -> bool:
    """Whether a folder's name suggests sent mail: only such a folder is ever pre-selected."""
    return _rank(name)[0] == 0


def folder_candidates(folders: list[str]) -> list[str]:
    """The folders to choose the Sent folder from: likeliest first; INBOX, Drafts,
    Trash and Junk last; otherwise in the server's order."""
    return sorted(folders, key=_rank)  # sorted() is stable: ties keep the server's order


# --- problems --------------------------------------------------------------------------


def _meaning(error) -> tuple[str, str]:
    """Two errors with the same meaning are one problem (SMTP's and IMAP's auth codes
    differ only by protocol)."""
    return ("auth" if error.code in AUTH_CODES else error.code, error.reason)


def group(test_errors: list) -> list[list]:
    """Errors grouped into problems: SMTP and IMAP failing the same way become one."""
    groups: list[list] = []
    for error in test_errors:
        twin = next(
            (
                g
                for g in groups
                if _meaning(g[0]) == _meaning(error)
                and error.protocol in PROTOCOLS
                and error.protocol not in [e.protocol for e in g]
                and all(e.protocol in PROTOCOLS for e in g)
            ),
            None,
        )
        if twin is None:
            groups.append([error])
        else:
            twin.append(error)
    return groups


def _server_words(errors: list) -> str:
    """The subject of a timeout sentence, in the active language: say() matches the
    filled sentence back to its template whatever the subject's language."""
    if len(errors) > 1:
        return gettext("The mail servers")
    if errors[0].protocol == "smtp":
        return gettext("The SMTP server")
    if errors[0].protocol == "imap":
        return gettext("The IMAP server")
    return gettext("The server")


def _title(errors: list) -> str:
    if len(errors) > 1:
        return gettext("Password not accepted") if errors[0].code in AUTH_CODES else say(errors[0].title)
    title, protocol = say(errors[0].title), errors[0].protocol
    if protocol in PROTOCOLS and protocol.upper() not in title:
        return f"{title} ({protocol.upper()})"  # the protocol, said once
    return title


def _seconds(errors: list, steps: list, timeout: float, deadline: float) -> int:
    if errors[0].reason == "deadline":
        return round(deadline)
    waited_ms = [
        s.ms for s in steps if not s.ok and (s.protocol, s.name) in {(e.protocol, e.step) for e in errors}
    ]
    return round(max(waited_ms) / 1000) if waited_ms else round(timeout)


def _sentence(errors: list, email: str, steps: list, timeout: float, deadline: float) -> str:
    first = errors[0]
    if first.reason in TIMEOUT_REASONS:
        return say(waited(first.reason, _server_words(errors), _seconds(errors, steps, timeout, deadline)))
    if len(errors) > 1:
        # A refused password, said once; a refused sign-in token says why in its own words.
        said = same_failure(_meaning(first)[0], email) if first.reason in PASSWORD_REASONS else ""
        return say(said or first.detail or first.kind.summary)
    return say(first.detail or first.kind.summary)


def _provider_for(mailbox, errors: list):
    """Whose advice applies: the provider the servers belong to, else the address's."""
    for error in errors:
        host = getattr(mailbox, f"{error.protocol}_host", "") if error.protocol in PROTOCOLS else ""
        found = providers.by_host(host) if host else None
        if found is not None:
            return found
    return providers.by_id(mailbox.provider_id) or providers.lookup(mailbox.email)


def problems_for(mailbox, test_errors: list, steps: list, *, timeout: float, deadline: float, folders=False):
    """The test's errors as problems, each with its words and its advice. `folders`: the
    page shows the folder list (advice may point at it)."""
    found = []
    for errors in group(test_errors):
        shown = set()
        if any(e.suggestion_fields for e in errors):
            shown.add(reasons.FIX)
        if any(e.server_reply for e in errors):
            shown.add(reasons.REPLY)
        if folders:
            shown.add(reasons.FOLDERS)
        failures = [Failure(e.code, e.reason, e.protocol) for e in errors]
        advice = [
            Tip(say(tip.text), tip.url, say(tip.link_text))
            for tip in tips(failures, _provider_for(mailbox, errors), frozenset(shown))
        ]
        sentence = _sentence(errors, mailbox.email, steps, timeout, deadline)
        found.append(Problem(errors, _title(errors), sentence, advice))
    return found


# --- progress --------------------------------------------------------------------------


def progress(test, steps: list, snapshot: dict, now: datetime) -> list[Progress]:
    """Per protocol: the step it is waiting on and since when, or done."""
    lines = []
    for protocol in PROTOCOLS:
        mine = [s for s in steps if s.protocol == protocol]
        security = (snapshot.get(protocol) or {}).get("security", "")
        names = {s.name for s in mine}
        pending = [name for name in expected_steps(protocol, security) if name not in names]
        if any(not s.ok for s in mine) or not pending:
            lines.append(Progress(protocol, "", done=True))
            continue
        since = max((s.created_at for s in mine), default=None) or test.started_at or test.created_at
        words = STEP_WORDS.get(pending[0], WAITING) % {"p": protocol.upper()}
        lines.append(Progress(protocol, words, min(since, now), now))
    return lines


# --- the whole result ------------------------------------------------------------------


def _is_almost(test, test_errors: list) -> bool:
    return (
        test.effective_status == "failed"
        and not test.status_message
        and bool(test.folders)
        and [e.code for e in test_errors] == [catalogue.NO_SENT_FOLDER]
    )


def _action(mailbox, state: str, found: list[Problem], test) -> str:
    if state == ALMOST:
        return "folder"
    if state != FAILED:
        return ""
    if mailbox.auth_method == "oauth" and any(p.auth for p in found):
        return "reconnect"
    if any(p.password for p in found):
        return "password"
    if any(p.fix for p in found):
        return "fix"
    if test.status_message or all(e.reason in RETRY_REASONS for p in found for e in p.errors):
        return "retest"
    if any(e.code == catalogue.RATE_LIMITED for p in found for e in p.errors):
        return ""
    return "edit"


def _failed_headline(mailbox, found: list[Problem], test) -> str:
    if test.status_message:
        return say(test.status_message)
    if len(found) == 1:
        return found[0].sentence
    if not found:
        return gettext("%(email)s could not be connected.") % {"email": mailbox.email}
    return ngettext(
        "%(email)s could not be connected: %(count)d problem needs fixing.",
        "%(email)s could not be connected: %(count)d problems need fixing.",
        len(found),
    ) % {"email": mailbox.email, "count": len(found)}


def summarize(
    mailbox, test, steps: list, test_errors: list, *, timeout: float, deadline: float, now=None
) -> Result:
    """Everything the result block shows, worked out from the test's rows."""
    now = now or datetime.now(UTC)
    if test is None:
        return Result(UNTESTED, gettext("This mailbox has not been tested yet."))
    status = test.effective_status
    if status in ("queued", "running"):
        snapshot = test.settings or mailbox.settings_snapshot()
        state = QUEUED if status == "queued" else RUNNING
        # Not announced: the person just asked for it; the outcome is.
        if state == RUNNING:
            headline = gettext("Checking that we can send and receive…")
        elif test.held:  # the outbox holds its task: the broker, not the workers, is the cause
            headline = gettext("Waiting for the queue…")
        else:
            headline = gettext("Waiting for a test worker…")
        lines = progress(test, steps, snapshot, now) if state == RUNNING else []
        return Result(state, headline, progress=lines)
    if status == "connected":
        return Result(CONNECTED, gettext("Sending and receiving work."))
    if _is_almost(test, test_errors):
        found = problems_for(mailbox, test_errors, steps, timeout=timeout, deadline=deadline, folders=True)
        # The folder list is the action itself: no tip needs to point at it.
        said = say(reasons.FOLDER_NAME_TIP.text({reasons.FOLDERS}))
        for problem in found:
            problem.tips = [tip for tip in problem.tips if tip.text != said]
        return Result(
            ALMOST,
            gettext("Almost done: choose the folder that holds your sent mail."),
            found,
            action="folder",
            folders=folder_candidates(test.folders),
        )
    # IMAP listed the folders but none is the Sent folder: the page offers them here too.
    folders = folder_candidates(test.folders) if test.folders and not test.sent_folder else []
    found = problems_for(
        mailbox, test_errors, steps, timeout=timeout, deadline=deadline, folders=bool(folders)
    )
    result = Result(FAILED, _failed_headline(mailbox, found, test), found, folders=folders)
    result.action = _action(mailbox, FAILED, found, test)
    return result

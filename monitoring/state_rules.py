"""The rules of a mailbox's one state (see monitoring/state.py, which loads their inputs):
plain functions over a mailbox, its newest test and errors, its health record and the
status of its newest round trip. No queries here.
"""

from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse
from django.utils.translation import gettext as _

from diagnostics.models import DELIVERY_PROBLEMS, ConnectionTest, Delivery
from diagnostics.net import errors as catalogue
from diagnostics.net.advice import AUTH_CODES, PASSWORD_REASONS, RETRY_REASONS, SIGN_IN_REASONS
from languages.words import say

from .models import State as HealthState

UNTESTED, QUEUED, TESTING = "untested", "queued", "testing"
CONNECTED, DELIVERY_WARNING, ALMOST, FAILED = "connected", "delivery_warning", "almost", "failed"
DEGRADED, DISCONNECTED, PAUSED, RECONNECT = "degraded", "disconnected", "paused", "reconnect"
NAMES = (UNTESTED, QUEUED, TESTING, CONNECTED, DELIVERY_WARNING, ALMOST, FAILED) + (
    DEGRADED,
    DISCONNECTED,
    PAUSED,
    RECONNECT,
)
# The states the banner on every page names: trouble found behind the person's back.
BANNER = (DISCONNECTED, RECONNECT)
# The states whose action the mailbox page's result block carries (from the same errors).
FIX_IN_RESULT = (FAILED, ALMOST, DISCONNECTED, RECONNECT)
# The badge classes of static/css/app.css, per tone.
BADGES = {"ok": "connected", "warn": "warn", "bad": "failed", "info": "info", "off": "off"}
PROVIDER_NAMES = {"google": "Google", "microsoft": "Microsoft"}


@dataclass(frozen=True)
class Action:
    label: str
    url: str
    method: str = "get"  # "post": a button in a form (with the CSRF token)
    field: tuple[str, str] | None = None  # one hidden field the POST sends


@dataclass(frozen=True)
class MailboxState:
    name: str  # one of NAMES: for machines (JSON, CSV, data-mailbox-state)
    label: str  # the badge: "Disconnected"
    sentence: str  # one sentence, error words from the catalogue
    tone: str  # ok, warn, bad, info, off
    action: Action | None
    needs_person: bool
    error_title: str = ""  # the catalogue's title of the error behind it, if any
    error_code: str = ""  # machine output only
    error_reason: str = ""

    @property
    def badge(self) -> str:
        return BADGES[self.tone]

    @property
    def fix_in_result(self) -> bool:
        """The mailbox page's result block offers this state's action: the page shows no other."""
        return self.name in FIX_IN_RESULT

    @property
    def in_banner(self) -> bool:
        return self.name in BANNER

    def as_dict(self) -> dict:
        """For JSON: additive keys beside whatever the output already had."""
        return {
            "state": self.name,
            "state_label": self.label,
            "state_sentence": self.sentence,
            "state_tone": self.tone,
            "needs_person": self.needs_person,
            "next_action": {"label": self.action.label, "url": self.action.url} if self.action else None,
            "state_error_code": self.error_code,
            "state_error_reason": self.error_reason,
        }


def health_words() -> list[tuple[str, str]]:
    """The health record's states in the state model's words (the fleet's filter and counts)."""
    return [
        (HealthState.CONNECTED, _("Connected")),
        (HealthState.DEGRADED, _("Connection trouble")),
        (HealthState.DISCONNECTED, _("Disconnected")),
        (HealthState.PAUSED, _("Paused")),
    ]


# --- the rules --------------------------------------------------------------------------


def _after(test, health) -> bool:
    """The test ran after the health record last changed state (the owner's own test)."""
    changed: datetime | None = health.state_changed_at
    return changed is not None and test.created_at > changed


def _error_words(code: str, protocol: str = "") -> str:
    """The catalogue's title (in the active language), with its protocol when the title
    does not say it."""
    title = say(catalogue.kind(code).title)
    upper = protocol.upper()
    return f"{title} ({upper})" if upper in ("SMTP", "IMAP") and upper not in title else title


def _page(mailbox, anchor: str = "result") -> str:
    return reverse("mailbox_detail", args=[mailbox.pk]) + f"#{anchor}"


def _reconnect(mailbox) -> Action:
    who = PROVIDER_NAMES.get(mailbox.provider_id, mailbox.provider_id.title() or _("your provider"))
    url = reverse("sso_start", args=[mailbox.provider_id or "google"]) + f"?mailbox={mailbox.pk}"
    return Action(_("Reconnect with %(provider)s") % {"provider": who}, url)


def _fix_action(mailbox, found: list) -> Action | None:
    """The one thing to do about these errors (as the mailbox page's result offers it)."""
    if mailbox.auth_method != "oauth" and any(e.reason in SIGN_IN_REASONS for e in found):
        # Microsoft refuses every password there: only its sign-in lets the mailbox in.
        url = reverse("sso_start", args=["microsoft"]) + f"?mailbox={mailbox.pk}"
        return Action(_("Reconnect with Sign in with Microsoft"), url)
    if any(e.code in AUTH_CODES and e.reason in PASSWORD_REASONS for e in found):
        return Action(_("Type the password again"), _page(mailbox))
    if any((e.suggestion or {}).get("message") for e in found):
        return Action(_("Apply the suggested fix"), _page(mailbox))
    if any(e.code == catalogue.RATE_LIMITED for e in found):
        return None
    if not found or all(e.reason in RETRY_REASONS or e.code in catalogue.TRANSIENT_CODES for e in found):
        return Action(_("Test again"), reverse("mailbox_retest", args=[mailbox.pk]), "post")
    return Action(_("Edit settings"), reverse("mailbox_edit", args=[mailbox.pk]))


@dataclass(frozen=True)
class _Error:
    """A health record's error, shaped like a TestError for the rules above."""

    code: str
    reason: str
    protocol: str = ""
    suggestion: dict | None = None


@dataclass(frozen=True)
class _Imported:
    """A mailbox imported as connected has no test row: the import tested it."""

    created_at: datetime
    effective_status: str = ConnectionTest.Status.CONNECTED
    status_message: str = ""
    overdue: bool = False
    folders: tuple = ()


def _reconnect_state(mailbox, first) -> MailboxState:
    words = _error_words(first.code, first.protocol)
    return MailboxState(
        RECONNECT,
        _("Reconnect needed"),
        _("%(error)s: sign in with your provider again to keep this mailbox connected.") % {"error": words},
        "bad",
        _reconnect(mailbox),
        True,
        words,
        first.code,
        first.reason,
    )


def _trouble(mailbox, test, test_errors: list, health) -> MailboxState:
    """Disconnected or degraded by a health check (the newest failure's words)."""
    # A test we refused to run (rate limit, wrong-password pause) says nothing about the server.
    said = [e for e in test_errors if e.code != catalogue.RATE_LIMITED]
    found = said if test.effective_status == ConnectionTest.Status.FAILED else []
    found = found or ([_Error(health.error_code, health.error_reason)] if health.error_code else [])
    first = found[0] if found else _Error(catalogue.UNKNOWN, "")
    if mailbox.auth_method == "oauth" and any(e.code in AUTH_CODES for e in found):
        return _reconnect_state(mailbox, first)
    words = _error_words(first.code, first.protocol)
    if health.state == HealthState.DEGRADED:
        return MailboxState(
            DEGRADED,
            _("Connection trouble"),
            _("%(error)s: the server failed for now; we try again in a few minutes before telling you.")
            % {"error": words},
            "warn",
            None,
            False,
            words,
            first.code,
            first.reason,
        )
    why = (
        _("its server has not answered for a while.")
        if health.transient
        else _("the server refused it and we stopped trying, so that the account is not locked.")
    )
    return MailboxState(
        DISCONNECTED,
        _("Disconnected"),
        _("%(error)s: %(why)s") % {"error": words, "why": why},
        "bad",
        _fix_action(mailbox, found),
        True,
        words,
        first.code,
        first.reason,
    )


def _is_almost(test, test_errors: list) -> bool:
    return (
        not test.status_message
        and bool(test.folders)
        and [e.code for e in test_errors] == [catalogue.NO_SENT_FOLDER]
    )


def _connected(trip_status: str) -> MailboxState:
    if trip_status in DELIVERY_PROBLEMS:
        spam = trip_status == Delivery.DELIVERED_TO_SPAM
        if spam:
            sentence = _("Sending and receiving work, but our test message went to the spam folder.")
        elif trip_status == Delivery.NOT_DELIVERED:
            sentence = _("Sending and receiving work, but our test message did not arrive in time.")
        else:
            sentence = _("Sending and receiving work, but our delivery test could not finish.")
        return MailboxState(
            DELIVERY_WARNING,
            _("Connected, delivery warning"),
            sentence,
            "warn",
            None,  # filled in by derive(): it needs the mailbox
            True,
            _("Delivered to spam") if spam else say(catalogue.kind(catalogue.NOT_DELIVERED).title),
            catalogue.NOT_DELIVERED if not spam else "",
            trip_status,
        )
    return MailboxState(CONNECTED, _("Connected"), _("Sending and receiving work."), "ok", None, False)


def derive(mailbox, test, test_errors: list, health, trip_status: str = "") -> MailboxState:
    """The state from the newest test (and its errors), the health record (or None) and the
    status of the newest round trip ("" when none ran)."""
    if test is None and mailbox.status == "connected":
        test = _Imported(mailbox.last_tested_at or mailbox.created_at)  # the import's own test
    if test is None:
        return MailboxState(
            UNTESTED,
            _("Not tested yet"),
            _("This mailbox has not been tested yet."),
            "info",
            Action(_("Test now"), reverse("mailbox_retest", args=[mailbox.pk]), "post"),
            True,
        )
    status = test.effective_status
    if status == ConnectionTest.Status.QUEUED:
        return MailboxState(QUEUED, _("Queued"), _("Waiting for a test worker."), "info", None, False)
    if status == ConnectionTest.Status.RUNNING:
        words = _("Checking that we can send and receive.")
        return MailboxState(TESTING, _("Testing…"), words, "info", None, False)
    failed = status == ConnectionTest.Status.FAILED
    codes = {e.code for e in test_errors}
    # Only the test message went missing: the logins worked (a delivery problem never fails a mailbox).
    if failed and codes == {catalogue.NOT_DELIVERED}:
        failed, trip_status = False, "not_delivered"
    if health is not None and health.state == HealthState.PAUSED and not (failed and _after(test, health)):
        return MailboxState(
            PAUSED,
            _("Paused"),
            _("Checks are paused: we do not check this mailbox until you resume them."),
            "off",
            Action(_("Resume checks"), reverse("health_pause", args=[mailbox.pk]), "post", ("paused", "0")),
            False,
        )
    troubled = (HealthState.DISCONNECTED, HealthState.DEGRADED)
    if health is not None and health.state in troubled and (failed or not _after(test, health)):
        return _trouble(mailbox, test, test_errors, health)
    if not failed:
        state = _connected(trip_status)
        if state.name == DELIVERY_WARNING:
            action = Action(_("See the delivery result"), _page(mailbox, "delivery"))
            state = MailboxState(**{**state.__dict__, "action": action})
        return state
    if _is_almost(test, test_errors):
        return _almost(Action(_("Choose the Sent folder"), _page(mailbox)))
    found = test_errors
    if not found:  # past its deadline, or failed without a classified error
        found = [_Error(catalogue.TIMEOUT, "stuck") if test.overdue else _Error(catalogue.UNKNOWN, "")]
    first = found[0]
    if mailbox.auth_method == "oauth" and any(e.code in AUTH_CODES for e in found):
        return _reconnect_state(mailbox, first)
    summary = say(test.status_message or catalogue.kind(first.code).summary)
    return _failed(first, summary, _fix_action(mailbox, found))


def _almost(action: Action | None, reason: str = "") -> MailboxState:
    return MailboxState(
        ALMOST,
        _("Almost done"),
        _("Sending and receiving work; choose the folder that holds your sent mail."),
        "warn",
        action,
        True,
        say(catalogue.kind(catalogue.NO_SENT_FOLDER).title),
        catalogue.NO_SENT_FOLDER,
        reason,
    )


def _failed(first, summary: str, action: Action | None) -> MailboxState:
    words = _error_words(first.code, first.protocol)
    return MailboxState(
        FAILED,
        _("Failed"),
        _("%(error)s: %(summary)s") % {"error": words, "summary": summary},
        "bad",
        action,
        True,
        words,
        first.code,
        first.reason,
    )


def of_outcome(connected: bool, code: str = "", reason: str = "", protocol: str = "") -> MailboxState:
    """The words for a test's outcome that is not (yet) a mailbox's, such as an import
    row's dry run: the same names, labels and error titles as a mailbox in that state."""
    if connected:
        return _connected("")
    if code == catalogue.NO_SENT_FOLDER:
        return _almost(None, reason)
    error = _Error(code or catalogue.UNKNOWN, reason, protocol)
    return _failed(error, say(catalogue.kind(error.code).summary), None)

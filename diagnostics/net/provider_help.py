"""Provider advice for a failure: the step on the provider's own side ("create an app
password", "switch IMAP on", "allow SMTP AUTH"), said with the provider's name and
linked to its help page for exactly that step (directory/deep_links.py). It replaces
the general tip on the same topic. Data only, like reasons.py.
"""

from .reasons import IMAP_SWITCH_TIP, TWO_STEP_TIP, Shown
from .words import N_

APP_PASSWORD = "app_password"  # noqa: S105 (a topic name, not a secret)
IMAP_SWITCH = "imap_switch"
SMTP_AUTH_SWITCH = "smtp_auth_switch"
PROVIDER_HELP: dict[str, str] = {
    APP_PASSWORD: (
        N_(
            "{provider} takes only an app password from mail apps, not the password you sign in with: "
            "create one and type it here."
        )
    ),
    IMAP_SWITCH: (
        N_("{provider} ships with IMAP access switched off: switch it on in its settings, then test again.")
    ),
    SMTP_AUTH_SWITCH: (
        N_(
            "Microsoft 365 refuses passwords over SMTP until an administrator switches on SMTP AUTH "
            "(authenticated SMTP) for this mailbox."
        )
    ),
}
# The words of each topic's deep link.
PROVIDER_LINK_TEXT: dict[str, str] = {
    APP_PASSWORD: N_("How to create an app password"),
    IMAP_SWITCH: N_("How to switch IMAP on"),
    SMTP_AUTH_SWITCH: N_("How an administrator allows SMTP AUTH"),
}
# The general tip (or the reason's own advice) each topic replaces.
PROVIDER_REPLACES: dict[str, tuple[str | Shown, ...]] = {
    APP_PASSWORD: (TWO_STEP_TIP,),
    IMAP_SWITCH: (IMAP_SWITCH_TIP,),
}
# Which provider advice a reason calls for; IMAP_SWITCH only where IMAP failed.
REASON_TOPICS: dict[str, tuple[str, ...]] = {
    "wrong_credentials": (APP_PASSWORD, IMAP_SWITCH),
    "app_password_required": (APP_PASSWORD,),
    "mechanism_too_weak": (APP_PASSWORD,),
    "auth_paused": (APP_PASSWORD,),
    "already_refused": (APP_PASSWORD,),
    "imap_disabled": (IMAP_SWITCH,),
    "smtp_auth_disabled": (SMTP_AUTH_SWITCH,),
    "imap_disabled_for_account": (SMTP_AUTH_SWITCH,),
}
# Providers whose one switch opens IMAP, POP3 and SMTP together (GMX, WEB.DE): when both
# protocols refuse the login, that switch is still the likely cause, not only the password.
SWITCH_COVERS_SMTP = frozenset({"gmx", "gmx-com", "webde"})
# Reasons whose own advice is the general form of a topic's provider advice.
REASON_IS_TOPIC: dict[str, str] = {"app_password_required": APP_PASSWORD, "imap_disabled": IMAP_SWITCH}

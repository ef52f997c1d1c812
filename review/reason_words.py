"""Staff words for the reasons the classifier and the flows record: the review list, a
test's page and the fleet show them beside the error's title, in the viewer's language.
A key stays English everywhere (JSON, CSV, filters); its words here are for people. A
reason not listed (a new one, or a value only an old row holds) reads as its key, spaced."""

from django.utils.translation import gettext, gettext_noop

REASON_WORDS = {
    "account_locked": gettext_noop("Account locked"),
    "already_refused": gettext_noop("Password already refused"),
    "app_password_required": gettext_noop("App password required"),
    "auth_not_offered": gettext_noop("Sign-in not offered"),
    "auth_paused": gettext_noop("Paused after refused passwords"),
    "bad_reply": gettext_noop("Unexpected reply"),
    "basic_auth_disabled": gettext_noop("Password sign-in disabled"),
    "basic_auth_retired": gettext_noop("Password sign-in retired"),
    "blocked": gettext_noop("Address not allowed"),
    "bye": gettext_noop("Server ended the session (BYE)"),
    "cert_expired": gettext_noop("Certificate expired"),
    "cert_untrusted": gettext_noop("Certificate untrusted"),
    "closed": gettext_noop("Connection closed"),
    "connect_timeout": gettext_noop("Connection timed out"),
    "crash": gettext_noop("Test crashed"),
    "create_refused": gettext_noop("Folder creation refused"),
    "deadline": gettext_noop("Deadline passed"),
    "decryption_failed": gettext_noop("Saved password unreadable"),
    "delivered_to_spam": gettext_noop("Delivered to spam"),
    "detection_timeout": gettext_noop("Detection timed out"),
    "dns": gettext_noop("Name lookup failed"),
    "ehlo_refused": gettext_noop("Greeting refused (EHLO)"),
    "error_reply": gettext_noop("Error reply"),
    "existing": gettext_noop("Already in the list"),
    "flood": gettext_noop("Endless reply"),
    "garbage": gettext_noop("Not a mail server's reply"),
    "greeting_rejected": gettext_noop("Server refused the connection"),
    "greeting_temporary": gettext_noop("Server busy"),
    "handshake": gettext_noop("Encryption handshake failed"),
    "hostname_mismatch": gettext_noop("Certificate for another name"),
    "imap_disabled": gettext_noop("IMAP switched off"),
    "imap_disabled_for_account": gettext_noop("IMAP switched off for this account"),
    "in_file": gettext_noop("Twice in the file"),
    "insufficient_scope": gettext_noop("Sign-in lacks mail access"),
    "invalid_row": gettext_noop("Invalid row"),
    "line_too_long": gettext_noop("Reply line too long"),
    "literal_too_big": gettext_noop("Reply too large"),
    "logindisabled": gettext_noop("Sign-in disabled before encryption (LOGINDISABLED)"),
    "mechanism_too_weak": gettext_noop("Sign-in method too weak"),
    "message_rejected": gettext_noop("Message rejected"),
    "no_address": gettext_noop("No address for the server"),
    "no_greeting": gettext_noop("No greeting"),
    "no_reply": gettext_noop("No reply"),
    "no_route": gettext_noop("Server unreachable"),
    "no_tagged_reply": gettext_noop("No final reply"),
    "not_delivered": gettext_noop("Not delivered"),
    "not_found": gettext_noop("Not found"),
    "nxdomain": gettext_noop("Name not found (NXDOMAIN)"),
    "oauth_not_configured": gettext_noop("Sign-in with the provider not set up"),
    "oauth_not_offered": gettext_noop("Provider sign-in not offered"),
    "password_expired": gettext_noop("Password expired"),
    "port_not_allowed": gettext_noop("Port not allowed"),
    "privacy_required": gettext_noop("Encryption required"),
    "private_address": gettext_noop("Private address"),
    "protocol": gettext_noop("Protocol error"),
    "protocol_too_old": gettext_noop("TLS version too old"),
    "rate_limited": gettext_noop("Too many tests"),
    "refused": gettext_noop("Connection refused"),
    "resolver_failure": gettext_noop("Name lookup failed"),
    "security_defaults": gettext_noop("Blocked by security defaults"),
    "sender_rejected": gettext_noop("Sender refused"),
    "settings_not_found": gettext_noop("Settings not found"),
    "smtp_auth_disabled": gettext_noop("SMTP sign-in disabled"),
    "sso_required": gettext_noop("Provider sign-in required"),
    "starttls_not_offered": gettext_noop("STARTTLS not offered"),
    "starttls_refused": gettext_noop("STARTTLS refused"),
    "stuck": gettext_noop("No worker finished"),
    "temporary_failure": gettext_noop("Temporary failure"),
    "token_expired": gettext_noop("Sign-in expired"),
    "token_rejected": gettext_noop("Sign-in refused"),
    "token_revoked": gettext_noop("Sign-in revoked"),
    "token_wrong_account": gettext_noop("Signed in to another account"),
    "too_many_connections": gettext_noop("Too many connections"),
    "too_many_folders": gettext_noop("Too many folders"),
    "unexpected": gettext_noop("Unexpected error"),
    "username_form": gettext_noop("Username form"),
    "web_login_required": gettext_noop("Web sign-in required"),
    "wrong_credentials": gettext_noop("Wrong credentials"),
    "wrong_mode": gettext_noop("Wrong encryption mode"),
    "wrong_protocol": gettext_noop("Wrong protocol on this port"),
}
# Reasons that carry a name: "wrong_protocol_pop3", "sso_google".
_PREFIXES = {
    "wrong_protocol_": gettext_noop("Another protocol on this port (%(name)s)"),
    "sso_": gettext_noop("Sign-in with %(name)s required"),
}
_NAMES = {"google": "Google", "microsoft": "Microsoft", "yahoo": "Yahoo"}


def reason_label(reason: str) -> str:
    """ "cert_untrusted" reads "Certificate untrusted", in the active language."""
    if reason in REASON_WORDS:
        return gettext(REASON_WORDS[reason])
    for prefix, words in _PREFIXES.items():
        if reason.startswith(prefix) and len(reason) > len(prefix):
            name = reason[len(prefix) :]
            return gettext(words) % {"name": _NAMES.get(name, name.upper())}
    text = reason.replace("_", " ")
    return text[:1].upper() + text[1:]

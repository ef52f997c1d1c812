"""Advice for each finer cause (`reason`) of an error, in our own words.

The category's checklist lives in errors.CATALOGUE; a reason adds what is specific
to it, shown first (errors.help_for puts the two together). Data only: this module
imports nothing of ours.
"""

# Advice specific to a finer cause; shown before the category's general checklist.
REASON_HELP: dict[str, tuple[str, ...]] = {
    # TLS
    "wrong_mode": (
        "SSL/TLS encrypts from the very first byte (usually port 465 for SMTP, 993 for IMAP); "
        "STARTTLS starts in plain text and upgrades (usually 587 and 143). Pick the one that matches "
        "the port, or apply the suggested fix.",
    ),
    "cert_untrusted": (
        "The certificate is self-signed or from an authority we do not trust. Use the exact server "
        "name your provider publishes; if it is your own server, install a certificate from a "
        "public authority.",
    ),
    "cert_expired": ("The server's certificate has run out. Only the provider can renew it: let them know.",),
    "hostname_mismatch": (
        "The certificate belongs to another name. Use the server name from your provider's "
        "instructions (often a shared name such as mail.provider.com rather than your own domain).",
    ),
    "protocol_too_old": (
        "The server offers only outdated encryption (TLS 1.0/1.1 or weak ciphers). Ask the provider "
        "to enable TLS 1.2 or newer.",
    ),
    "starttls_not_offered": (
        "This port did not offer STARTTLS. Try SSL/TLS instead (465 for SMTP, 993 for IMAP), "
        "or check the port.",
    ),
    "starttls_refused": ("The server listed STARTTLS but then refused it. Try again later, or use SSL/TLS.",),
    # Authentication
    "app_password_required": (
        "Your provider does not accept your normal password from mail apps. Create an app password in "
        "your account's security settings and paste it here instead.",
    ),
    "basic_auth_disabled": (
        "This Microsoft 365 organisation has switched off password logins for mail apps. Connect with "
        "Sign in with Microsoft, or ask your administrator to allow SMTP AUTH and IMAP for this mailbox.",
    ),
    "imap_disabled": (
        "IMAP is switched off for this mailbox. Turn it on in your webmail settings (often under "
        "'POP/IMAP' or 'Mail apps'), then test again.",
    ),
    "logindisabled": (
        "The server only takes passwords over an encrypted connection. Set IMAP encryption to STARTTLS "
        "or SSL/TLS.",
    ),
    "auth_not_offered": (
        "The server did not offer a login on this connection. Logins often appear only after STARTTLS, "
        "or only on the submission ports 587 and 465.",
    ),
    "too_many_connections": (
        "The server limits how many connections or logins one mailbox may have. Close other mail apps "
        "using it, wait a few minutes, then test again.",
    ),
    "web_login_required": (
        "The provider wants you to sign in on its website first, for example to pass a security check. "
        "Log in to webmail, clear any prompts, then test again.",
    ),
    "account_locked": (
        "The provider has locked or disabled this account, or asks you to contact an administrator. "
        "Sign in to webmail or contact your provider.",
    ),
    "privacy_required": (
        "The server wants encryption before it takes a password. Choose STARTTLS or SSL/TLS.",
    ),
    "password_expired": (
        "The password has expired. Change it with your provider, then enter the new one here.",
    ),
    "mechanism_too_weak": (
        "The server refused this login method. It may require an app password or a sign-in through "
        "the provider (OAuth).",
    ),
    "temporary_failure": ("The server turned the login down for now. Wait a few minutes and test again.",),
    "username_form": (
        "Your provider expects a different form of username here (the whole address, or only the part "
        "before the @). Apply the suggested fix.",
    ),
    # Network
    "nxdomain": ("This name does not exist in DNS. Check it for typos, letter by letter.",),
    "resolver_failure": (
        "The DNS lookup itself failed (this is not a 'no such name' answer). It is usually temporary: "
        "try again shortly.",
    ),
    "no_address": ("The name exists but points to no server address. Check the name with your provider.",),
    "connect_timeout": (
        "Not even a refusal came back. That is typical of a firewall silently dropping the connection "
        "(many networks and hosts block outgoing mail ports), or of a wrong port.",
    ),
    "no_route": ("The network has no path to that address. Check the server name, and try again later.",),
    "wrong_protocol": (
        "Another kind of server answers on this port. SMTP normally uses 465 or 587, IMAP 993 or 143: "
        "check the port number.",
    ),
    "port_not_allowed": (
        "Mail servers listen on 465 or 587 (sending) and 993 or 143 (receiving). Use the port from "
        "your provider's instructions.",
    ),
    "private_address": (
        "The name points to a private or internal address, which we never connect to for safety.",
    ),
    # SMTP fatal
    "greeting_rejected": (
        "The server refused the session outright. It may not accept connections from outside apps, "
        "or from our servers' network.",
    ),
    "greeting_temporary": ("The server is busy or limiting connections. Test again in a few minutes.",),
    "ehlo_refused": ("The server refused the opening handshake. Check that this really is an SMTP server.",),
    "closed": ("The server hung up mid-conversation. Run the test again; if it repeats, ask your provider.",),
    "flood": (
        "The server sent far more data than a mail server would. It is probably not a mail server, or "
        "something between us interferes.",
    ),
    "line_too_long": ("The server sent an impossibly long line. It is probably not a mail server.",),
    # IMAP no response
    "no_tagged_reply": ("The server went quiet in the middle of the conversation. Run the test again.",),
    "bye": ("The server ended the session (BYE). It may be overloaded or limiting connections.",),
    "bad_reply": ("The server rejected a standard IMAP command. It may not fully support IMAP.",),
    "garbage": ("The server's reply is not IMAP. Check the server name and port.",),
    "too_many_folders": (
        "The server listed an absurd number of folders. It is probably not a real mailbox.",
    ),
    "literal_too_big": (
        "The server tried to send an absurd amount of data. It is probably not a mail server.",
    ),
    # Others
    "not_found": ("If your Sent folder has another name, pick it from the list of folders below.",),
    "no_greeting": (
        "The server accepted the connection but said nothing. An implicit-TLS port (465, 993) behaves "
        "like this when STARTTLS is chosen.",
    ),
    "stuck": ("The test was lost on our side (a worker stopped). Nothing is wrong with your settings yet.",),
    "rate_limited": ("Many tests ran in a short time. Wait a little before the next one.",),
    "auth_paused": (
        "The password was refused several times. Check it, or create an app password, before testing again.",
    ),
    "deadline": ("The server answered, but far too slowly to finish in time. Try again later.",),
    "decryption_failed": ("Enter the password again: the saved copy could not be read.",),
}


def specific_help(reason: str) -> tuple[str, ...]:
    """The advice for one reason, or nothing when it has none of its own."""
    specific = REASON_HELP.get(reason)
    if specific is None and reason.startswith("wrong_protocol"):
        specific = REASON_HELP["wrong_protocol"]
    return tuple(specific or ())

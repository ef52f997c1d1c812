"""Advice for each finer cause (`reason`) of an error, in our own words.

The category's checklist lives in errors.CATALOGUE; a reason adds what is specific
to it, shown first (errors.help_for puts the two together). Data only: this module
imports nothing of ours but the N_ marker (words.py): the pages translate these words.

Advice never points at something the reader cannot see: a tip that mentions the
suggested fix, the server's reply or the folder list is a `Shown`, with other words
for a page (or the JSON) that does not show it. The page says what it shows.
"""

from dataclasses import dataclass

from .words import N_

# What a page may show beside the advice.
FIX = "fix"  # a one-click fix for this error
REPLY = "reply"  # the server's own reply
FOLDERS = "folders"  # the mailbox's folders, to choose the Sent folder from
RECORDS = "records"  # the sender domain's SPF, DKIM and DMARC records, below the advice


@dataclass(frozen=True)
class Shown:
    """A tip whose words depend on whether the page shows `needs` (FIX, REPLY, FOLDERS)."""

    needs: str
    shown: str
    otherwise: str

    def text(self, shown=frozenset()) -> str:
        return self.shown if self.needs in shown else self.otherwise


# Tips the categories' checklists share (errors.CATALOGUE), so that an error reported
# for both protocols, or a reason that says the same, lists each of them once.
TYPO_TIP = N_("Check the email address, the username and the password for typos.")
TWO_STEP_TIP = N_(
    "If two-step verification is on, your normal password may be refused: create an app password "
    "and use that instead."
)
IMAP_SWITCH_TIP = N_(
    "Make sure IMAP access is switched on in your mailbox's settings; some providers ship with it off."
)
PORT_MODE_TIP = N_(
    "Match the port to the encryption: SSL/TLS is usually 465 (SMTP) or 993 (IMAP); STARTTLS is "
    "usually 587 (SMTP) or 143 (IMAP)."
)
SMTP_SERVER_TIP = N_(
    "Check that the SMTP server, port and encryption are your provider's own, as its instructions give them."
)
IMAP_SERVER_TIP = N_(
    "Check that the IMAP server and port are your provider's own, as its instructions give them."
)
# Both protocols refused the same way: one tip for both servers.
BOTH_SERVERS_TIP = N_(
    "Check that the SMTP and IMAP servers, ports and encryption are your provider's own, as its "
    "instructions give them."
)
RETRY_TIP = N_("Run the test again: a busy server sometimes fails once.")
CURRENT_TLS_TIP = N_("The server must support a current TLS version and a valid certificate.")
HOST_TYPO_TIP = N_("Check the server name letter by letter for typos.")
FOLDER_NAME_TIP = Shown(
    FOLDERS,
    N_("Your Sent folder may have a name we do not know: choose it from your folders."),
    N_("Your Sent folder may have a name we do not know: choose it on the mailbox's page."),
)

# Advice specific to a finer cause; shown before the category's general checklist.
REASON_HELP: dict[str, tuple[str | Shown, ...]] = {
    # TLS
    "wrong_mode": (
        Shown(
            FIX,
            N_(
                "This port expects the other encryption mode. Apply the suggested fix: we checked that "
                "your server answers that way."
            ),
            N_(
                "This port expects the other encryption mode: SSL/TLS encrypts from the very first byte, "
                "STARTTLS starts in plain text and upgrades."
            ),
        ),
    ),
    "cert_untrusted": (
        N_(
            "The certificate is self-signed or from an authority we do not trust. Use the exact server "
            "name your provider publishes; if it is your own server, install a certificate from a "
            "public authority."
        ),
    ),
    "cert_expired": (
        N_("The server's certificate has run out. Only the provider can renew it: let them know."),
    ),
    "hostname_mismatch": (
        N_(
            "The certificate belongs to another name. Use the server name from your provider's "
            "instructions (often a shared name such as mail.provider.com rather than your own domain)."
        ),
    ),
    "protocol_too_old": (
        N_(
            "The server offers only outdated encryption (TLS 1.0/1.1 or weak ciphers). Ask the provider "
            "to enable TLS 1.2 or newer."
        ),
    ),
    "starttls_not_offered": (
        N_("This port did not offer STARTTLS: it may expect SSL/TLS from the very first byte instead."),
    ),
    "starttls_refused": (
        N_("The server listed STARTTLS but then refused it. Try again later, or use SSL/TLS."),
    ),
    # Authentication
    "app_password_required": (
        N_(
            "Your provider does not accept your normal password from mail apps. Create an app password in "
            "your account's security settings and paste it here instead."
        ),
    ),
    "basic_auth_disabled": (
        N_(
            "This Microsoft 365 organisation has switched off password logins for mail apps, so no password "
            "can work here. Connect with Sign in with Microsoft instead."
        ),
    ),
    "basic_auth_retired": (
        N_(
            "Microsoft has switched off password sign-in for mail apps on this mailbox (Basic "
            "authentication), so no password can work here, however it is typed, and app passwords do not "
            "help either. Connect with Sign in with Microsoft instead: the mailbox, its settings and its "
            "history are kept."
        ),
    ),
    "smtp_auth_disabled": (
        N_(
            "This Microsoft 365 organisation has switched SMTP AUTH off (SmtpClientAuthentication is "
            "disabled), which refuses mail apps whatever the password. Only an administrator can switch it "
            "on for this mailbox; Sign in with Microsoft needs it switched on too."
        ),
    ),
    "security_defaults": (
        N_(
            "This Microsoft 365 organisation has security defaults on, which refuse any password from a "
            "mail app: the password is not the problem. Connect with Sign in with Microsoft, or ask your "
            "administrator."
        ),
    ),
    "imap_disabled": (
        N_(
            "IMAP is switched off for this mailbox. Turn it on in your webmail settings (often under "
            "'POP/IMAP' or 'Mail apps'), then test again."
        ),
    ),
    "logindisabled": (
        N_(
            "The server only takes passwords over an encrypted connection. Set IMAP encryption to STARTTLS "
            "or SSL/TLS."
        ),
    ),
    "auth_not_offered": (
        N_(
            "The server did not offer a login on this connection. Logins often appear only after STARTTLS, "
            "or only on the submission ports 587 and 465."
        ),
    ),
    "too_many_connections": (
        N_(
            "The server limits how many connections or logins one mailbox may have. Close other mail apps "
            "using it, wait a few minutes, then test again."
        ),
    ),
    "web_login_required": (
        N_(
            "The provider wants you to sign in on its website first, for example to pass a security check. "
            "Log in to webmail, clear any prompts, then test again."
        ),
    ),
    "account_locked": (
        N_(
            "The provider has locked or disabled this account, or asks you to contact an administrator. "
            "Sign in to webmail or contact your provider."
        ),
    ),
    "privacy_required": (
        N_("The server wants encryption before it takes a password. Choose STARTTLS or SSL/TLS."),
    ),
    "password_expired": (
        N_("The password has expired. Change it with your provider, then enter the new one here."),
    ),
    "mechanism_too_weak": (
        N_(
            "The server refused this login method. It may require an app password or a sign-in through "
            "the provider (OAuth)."
        ),
    ),
    "temporary_failure": (
        N_("The server turned the login down for now. Wait a few minutes and test again."),
    ),
    "username_form": (
        Shown(
            FIX,
            N_(
                "Your provider expects a different form of username here (the whole address, or only the "
                "part before the @). Apply the suggested fix."
            ),
            N_(
                "Your provider expects a different form of username here (the whole address, or only the "
                "part before the @): change the username to that form."
            ),
        ),
    ),
    # Network
    "nxdomain": (N_("This name does not exist in DNS: check it for typos, letter by letter."),),
    "resolver_failure": (
        N_(
            "The DNS lookup itself failed (this is not a 'no such name' answer). It is usually temporary: "
            "try again shortly."
        ),
    ),
    "no_address": (
        N_("The name exists but points to no server address. Check the name with your provider."),
    ),
    "connect_timeout": (
        N_(
            "Not even a refusal came back. That is typical of a wrong port, or of a firewall silently "
            "dropping the connection (many networks and hosts block outgoing mail ports): check the port "
            "against your provider's instructions."
        ),
    ),
    "no_route": (
        N_("The network has no path to that address: the server may be down or on a private network."),
    ),
    "wrong_protocol": (
        N_(
            "Another kind of server answers on this port. SMTP normally uses 465 or 587, IMAP 993 or 143: "
            "check the port number."
        ),
    ),
    "port_not_allowed": (
        N_(
            "Mail servers listen on 465 or 587 (sending) and 993 or 143 (receiving). Use the port from "
            "your provider's instructions."
        ),
    ),
    "private_address": (
        N_("The name points to a private or internal address, which we never connect to for safety."),
    ),
    # SMTP fatal
    "greeting_rejected": (
        N_(
            "The server refused the session outright. It may not accept connections from outside apps, "
            "or from our servers' network."
        ),
    ),
    "greeting_temporary": (N_("The server is busy or limiting connections. Test again in a few minutes."),),
    "ehlo_refused": (
        N_("The server refused the opening handshake. Check that this really is an SMTP server."),
    ),
    "closed": (N_("The server hung up in the middle of the conversation."),),
    "flood": (
        N_(
            "The server sent far more data than a mail server would. It is probably not a mail server, or "
            "something between us interferes."
        ),
    ),
    "line_too_long": (N_("The server sent an impossibly long line. It is probably not a mail server."),),
    "sender_rejected": (
        N_(
            "The server will not send mail from this address for this login. If the address is an alias "
            "or a shared mailbox, allow the login to send as it (Gmail: 'Send mail as'; Microsoft 365: the "
            "'Send As' permission; cPanel and others: add the address as an alias or identity), or connect "
            "the mailbox whose address this really is."
        ),
    ),
    "message_rejected": (
        Shown(
            REPLY,
            N_(
                "The server accepted the login but refused the test message itself. Its reply, shown here, "
                "says why; the provider may be limiting or reviewing sending from this account."
            ),
            N_(
                "The server accepted the login but refused the test message itself. Its reply says why; "
                "the provider may be limiting or reviewing sending from this account."
            ),
        ),
    ),
    # Round trip: where the test message went
    "delivered_to_spam": (
        Shown(
            RECORDS,
            N_(
                "The test message arrived, but in the spam (Junk) folder. Messages from this mailbox may be "
                "filtered as spam: check the sender domain's SPF, DKIM and DMARC records below, and mark the "
                "test message as 'not spam' if you see it."
            ),
            N_(
                "The test message arrived, but in the spam (Junk) folder. Messages from this mailbox may be "
                "filtered as spam: check the sender domain's SPF, DKIM and DMARC records, and mark the test "
                "message as 'not spam' if you see it."
            ),
        ),
    ),
    "not_delivered": (
        N_(
            "The server accepted the message but it did not reach the inbox or the spam folder within the "
            "time we waited."
        ),
    ),
    # IMAP no response
    "no_tagged_reply": (
        N_("The server went quiet in the middle of the conversation; busy servers do this now and then."),
    ),
    "bye": (N_("The server ended the session (BYE). It may be overloaded or limiting connections."),),
    "bad_reply": (N_("The server rejected a standard IMAP command. It may not fully support IMAP."),),
    "garbage": (N_("The server's reply is not IMAP: something else answers on this port."),),
    "too_many_folders": (
        N_("The server listed an absurd number of folders. It is probably not a real mailbox."),
    ),
    "literal_too_big": (
        N_("The server tried to send an absurd amount of data. It is probably not a mail server."),
    ),
    # Others
    "not_found": (FOLDER_NAME_TIP,),
    "create_refused": (
        N_("Create a folder named Sent in your webmail, then test again; or choose one of your folders."),
    ),
    "no_greeting": (
        N_(
            "Try the other encryption mode with its usual port: SSL/TLS on 465 (sending) or 993 "
            "(receiving), STARTTLS on 587 or 143. An SSL/TLS port waits in silence for a client that "
            "starts with STARTTLS."
        ),
    ),
    "stuck": (
        N_(
            "The test was lost on our side (a worker stopped). Nothing is wrong with your settings: run "
            "the test again."
        ),
    ),
    "rate_limited": (N_("Many tests ran in a short time. Wait a little before the next one."),),
    "auth_paused": (
        N_(
            "The server refused several different passwords for this login. Providers lock an account that "
            "keeps receiving wrong passwords, so we wait before trying another one. Check the password in "
            "your provider's webmail, or create an app password, before the pause ends."
        ),
    ),
    "already_refused": (
        N_(
            "The server refused this very password a moment ago, so we did not send it again: providers "
            "lock accounts that keep receiving a refused password. Type the password again, or an app "
            "password if your provider needs one; a different password is tried at once."
        ),
    ),
    "deadline": (N_("The server answered, but far too slowly to finish in time. Test again later."),),
    "decryption_failed": (N_("Enter the password again: the saved copy could not be read."),),
    # Mailboxes signed in with Google or Microsoft (OAuth)
    "token_expired": (
        N_(
            "The sign-in token had expired. We renew it on our own and try once more; when that is not "
            "possible, reconnect the mailbox with its provider."
        ),
    ),
    "token_revoked": (
        N_(
            "The provider no longer lets us in: access was removed in the account's security settings, the "
            "password changed, or the sign-in ran out (a Google app in 'Testing' status loses it "
            "after 7 days). "
            "Reconnect the mailbox: its settings and history are kept."
        ),
    ),
    "token_rejected": (
        N_(
            "The server refused the sign-in token and did not say why. Reconnect the mailbox with "
            "its provider; "
            "if that does not help, check that IMAP and SMTP are allowed for this account."
        ),
    ),
    "token_wrong_account": (
        N_(
            "The sign-in belongs to another account. Reconnect and choose this mailbox's own account on the "
            "provider's page."
        ),
    ),
    "insufficient_scope": (
        N_(
            "The sign-in did not grant access to mail. Reconnect and leave the mail permission ticked on the "
            "provider's consent page."
        ),
    ),
    "imap_disabled_for_account": (
        N_(
            "The sign-in is valid, but this account does not allow mail apps over this protocol. "
            "Microsoft 365: "
            "an administrator must enable SMTP AUTH (authenticated SMTP) and IMAP for this mailbox, "
            "or for the "
            "whole tenant. Google Workspace: an administrator must allow IMAP access for the organisation."
        ),
    ),
    "oauth_not_offered": (
        N_(
            "This server does not take sign-in tokens (XOAUTH2 or OAUTHBEARER). Check that the server is the "
            "provider's own (for example imap.gmail.com or outlook.office365.com)."
        ),
    ),
    "oauth_not_configured": (
        N_(
            "Sign-in with this provider is not enabled on this installation right now, so we cannot reach "
            "the mailbox. Contact support: once it is enabled again, the mailbox works without any change."
        ),
    ),
}

# Reasons whose advice replaces the category's checklist: that checklist is about
# passwords, which a mailbox signed in with its provider does not have; or about the
# settings, when the cause is on our side (a lost test, our own limits).
REPLACES_CHECKLIST = frozenset(
    {
        "stuck",
        "rate_limited",
        "auth_paused",
        "already_refused",
        "decryption_failed",
        "token_expired",
        "token_revoked",
        "token_rejected",
        "token_wrong_account",
        "insufficient_scope",
        "imap_disabled_for_account",
        "oauth_not_offered",
        "oauth_not_configured",
        # Microsoft refusing any password: typos and app passwords are not the cause.
        "basic_auth_retired",
        "basic_auth_disabled",
        "smtp_auth_disabled",
        "security_defaults",
    }
)


# Checklist tips that a reason's own advice already says.
COVERS: dict[str, tuple[str | Shown, ...]] = {
    "app_password_required": (TWO_STEP_TIP,),
    "mechanism_too_weak": (TWO_STEP_TIP,),
    "imap_disabled": (IMAP_SWITCH_TIP,),
    "nxdomain": (HOST_TYPO_TIP,),
    "greeting_temporary": (RETRY_TIP,),
    "deadline": (RETRY_TIP,),
    "no_greeting": (PORT_MODE_TIP,),
    "not_found": (FOLDER_NAME_TIP,),
    "cert_untrusted": (CURRENT_TLS_TIP,),
    "cert_expired": (CURRENT_TLS_TIP,),
    "hostname_mismatch": (CURRENT_TLS_TIP,),
    "protocol_too_old": (CURRENT_TLS_TIP,),
}

# Both protocols failing the same way are said once, in these words ({email}: the address).
SAME_FAILURE: dict[str, str] = {
    "auth": N_("Your password was not accepted by {email}’s mail server."),
}

# A timeout says what we waited for and for how long. {server}: "The IMAP server",
# "The mail servers"; {seconds}: how long the failed step waited.
WAITED: dict[str, str] = {
    "connect_timeout": N_("{server} did not take the connection: nothing came back for {seconds} s."),
    "no_greeting": (
        N_(
            "{server} accepted the connection but sent nothing for {seconds} s. This usually means the "
            "wrong port or the wrong encryption mode."
        )
    ),
    "no_reply": N_("{server} stopped answering: nothing came back for {seconds} s."),
    "no_tagged_reply": N_("{server} stopped answering mid-conversation: nothing came back for {seconds} s."),
    "deadline": N_("{server} answered, but too slowly to finish within {seconds} s."),
}


def _reason_help(reason: str) -> tuple[str | Shown, ...]:
    specific = REASON_HELP.get(reason)
    if specific is None and reason.startswith("wrong_protocol"):
        specific = REASON_HELP["wrong_protocol"]
    return tuple(specific or ())


def resolve(tip: str | Shown, shown=frozenset()) -> str:
    """A tip's words for a page that shows `shown` (nothing: the JSON, another page)."""
    return tip.text(shown) if isinstance(tip, Shown) else tip


def specific_help(reason: str, shown=frozenset()) -> tuple[str, ...]:
    """The advice for one reason, or nothing when it has none of its own."""
    return tuple(resolve(tip, shown) for tip in _reason_help(reason))


# Refusals of the password itself: sending the same password again can only be refused
# again (and gets accounts locked), so it is remembered and never resent (core.refused).
# Not the switches (IMAP off, Basic auth off): there the same password is fine once fixed.
PASSWORD_REFUSED = frozenset({"wrong_credentials", "app_password_required"})


# --- Transient or permanent (health checks alert only on lasting failures) ---------
# Reasons that may pass by themselves (an outage, a busy server): health checks retry
# them with backoff before they tell anyone.
TRANSIENT_REASONS = frozenset(
    {
        "temporary_failure",  # SMTP 4.7.x, IMAP [UNAVAILABLE]
        "too_many_connections",  # IMAP [LIMIT]/[INUSE], "too many connections"
        "greeting_temporary",  # SMTP 421 in the greeting
        "connect_timeout",
        "no_reply",
        "no_tagged_reply",
        "deadline",
        "refused",
        "resolver_failure",
        "closed",
        "bye",
        "stuck",
        "rate_limited",
    }
)
# Reasons that need the owner whatever the reply code says: retrying them in a loop
# could lock the account (a wrong password) or can never work (a revoked grant).
PERMANENT_REASONS = frozenset(
    {
        "wrong_credentials",
        "auth_paused",
        "already_refused",
        "app_password_required",
        "basic_auth_disabled",
        "basic_auth_retired",
        "smtp_auth_disabled",
        "security_defaults",
        "imap_disabled",
        "imap_disabled_for_account",
        "web_login_required",
        "account_locked",
        "password_expired",
        "token_revoked",
        "token_expired",
        "token_rejected",
        "token_wrong_account",
        "insufficient_scope",
        "decryption_failed",
    }
)

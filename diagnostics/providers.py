"""A small built-in table of well-known providers and their rules.

Plain data, no network. Facts come from the providers' own help pages; notes are
our own words. Full autodetection (MX, SRV, autoconfig) builds on this table.
"""

from dataclasses import dataclass, field

OK = "ok"
SSO_REQUIRED = "sso_required"
UNSUPPORTED = "unsupported"
NOT_RECOMMENDED = "not_recommended"
NEEDS_PREPARATION = "needs_preparation"

ADDRESS = "address"  # the username is the full email address
LOCAL_PART = "local"  # the username is the part before the @


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    security: str
    username: str = ADDRESS


@dataclass(frozen=True)
class Provider:
    id: str
    name: str
    domains: tuple[str, ...]
    policy: str = OK
    smtp: Endpoint | None = None
    imap: Endpoint | None = None
    notes: tuple[str, ...] = ()
    help_url: str = ""
    sso: str = ""  # "google" or "microsoft" when policy is sso_required
    domain_prefixes: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "policy": self.policy,
            "notes": list(self.notes),
            "help_url": self.help_url,
            "sso": self.sso,
        }


PROVIDERS: tuple[Provider, ...] = (
    Provider(
        "google",
        "Google (Gmail)",
        ("gmail.com", "googlemail.com"),
        policy=SSO_REQUIRED,
        sso="google",
        notes=("Gmail and Google Workspace mailboxes connect with Sign in with Google.",),
        help_url="https://support.google.com/mail/answer/7126229",
    ),
    Provider(
        "microsoft",
        "Microsoft (Outlook.com)",
        ("outlook.com", "hotmail.com", "live.com", "msn.com"),
        domain_prefixes=("hotmail.", "live.", "outlook."),
        policy=SSO_REQUIRED,
        sso="microsoft",
        notes=(
            "Outlook.com, Hotmail, Live and Microsoft 365 mailboxes connect with Sign in with Microsoft.",
        ),
        help_url="https://support.microsoft.com/office/pop-imap-and-smtp-settings-8361e398-8af4-4e97-b147-6c6c4ac95353",
    ),
    Provider(
        "proton",
        "Proton Mail",
        ("proton.me", "protonmail.com", "protonmail.ch", "pm.me"),
        policy=UNSUPPORTED,
        notes=(
            "Proton Mail encrypts mailboxes end to end and offers no direct SMTP/IMAP "
            "access, so it cannot be connected.",
        ),
        help_url="https://proton.me/support/protonmail-bridge-install",
    ),
    Provider(
        "icloud",
        "iCloud Mail",
        ("icloud.com", "me.com", "mac.com"),
        policy=NOT_RECOMMENDED,
        smtp=Endpoint("smtp.mail.me.com", 587, "starttls", ADDRESS),
        imap=Endpoint("imap.mail.me.com", 993, "ssl", LOCAL_PART),
        notes=(
            "iCloud mailboxes work but are not recommended for sending sequences.",
            "You need an app-specific password from your Apple Account settings.",
            "For IMAP, iCloud expects only the part of your address before the @.",
        ),
        help_url="https://support.apple.com/102525",
    ),
    Provider(
        "zoho",
        "Zoho Mail",
        ("zoho.com", "zohomail.com"),
        policy=NEEDS_PREPARATION,
        smtp=Endpoint("smtp.zoho.com", 465, "ssl"),
        imap=Endpoint("imap.zoho.com", 993, "ssl"),
        notes=(
            "Switch on IMAP access in Zoho Mail's settings before connecting.",
            "Zoho's free plan may not include IMAP/SMTP: a paid plan can be needed.",
            "With two-factor authentication on, use an app-specific password.",
        ),
        help_url="https://www.zoho.com/mail/help/imap-access.html",
    ),
    Provider(
        "yahoo",
        "Yahoo Mail",
        ("yahoo.com", "ymail.com", "rocketmail.com"),
        policy=NEEDS_PREPARATION,
        smtp=Endpoint("smtp.mail.yahoo.com", 465, "ssl"),
        imap=Endpoint("imap.mail.yahoo.com", 993, "ssl"),
        notes=("Yahoo requires an app password generated in your account security settings.",),
        help_url="https://help.yahoo.com/kb/SLN4075.html",
    ),
    Provider(
        "aol",
        "AOL Mail",
        ("aol.com",),
        policy=NEEDS_PREPARATION,
        smtp=Endpoint("smtp.aol.com", 465, "ssl"),
        imap=Endpoint("imap.aol.com", 993, "ssl"),
        notes=("AOL requires an app password generated in your account security settings.",),
        help_url="https://help.aol.com/articles/how-do-i-use-other-email-applications-to-send-and-receive-my-aol-mail",
    ),
    Provider(
        "fastmail",
        "Fastmail",
        ("fastmail.com", "fastmail.fm"),
        policy=NEEDS_PREPARATION,
        smtp=Endpoint("smtp.fastmail.com", 465, "ssl"),
        imap=Endpoint("imap.fastmail.com", 993, "ssl"),
        notes=("Fastmail needs an app password created under Settings → Privacy & Security.",),
        help_url="https://www.fastmail.help/hc/en-us/articles/1500000278342",
    ),
    Provider(
        "gmx",
        "GMX",
        ("gmx.com", "gmx.net", "gmx.de"),
        policy=NEEDS_PREPARATION,
        smtp=Endpoint("mail.gmx.net", 587, "starttls"),
        imap=Endpoint("imap.gmx.net", 993, "ssl"),
        notes=("Turn on POP3/IMAP access in GMX's mail settings first.",),
        help_url="https://support.gmx.com/pop-imap/toggle.html",
    ),
    Provider(
        "webde",
        "WEB.DE",
        ("web.de",),
        policy=NEEDS_PREPARATION,
        smtp=Endpoint("smtp.web.de", 587, "starttls"),
        imap=Endpoint("imap.web.de", 993, "ssl"),
        notes=("Turn on POP3/IMAP access in WEB.DE's mail settings first.",),
        help_url="https://hilfe.web.de/pop-imap/einschalten.html",
    ),
    Provider(
        "yandex",
        "Yandex Mail",
        ("yandex.com", "yandex.ru", "ya.ru"),
        smtp=Endpoint("smtp.yandex.com", 465, "ssl"),
        imap=Endpoint("imap.yandex.com", 993, "ssl"),
        notes=("Allow access from mail clients in Yandex Mail's settings; an app password is needed.",),
        help_url="https://yandex.com/support/mail/mail-clients/others.html",
    ),
    Provider(
        "mailru",
        "Mail.ru",
        ("mail.ru", "inbox.ru", "list.ru", "bk.ru"),
        smtp=Endpoint("smtp.mail.ru", 465, "ssl"),
        imap=Endpoint("imap.mail.ru", 993, "ssl"),
        notes=("Mail.ru needs a password for external apps, created in its security settings.",),
        help_url="https://help.mail.ru/mail/mailer/popsmtp",
    ),
)

_BY_DOMAIN = {domain: p for p in PROVIDERS for domain in p.domains}


def domain_of(email: str) -> str:
    return email.rpartition("@")[2].strip().rstrip(".").lower()


def lookup(email: str) -> Provider | None:
    """The provider for an address's domain, with no network."""
    domain = domain_of(email)
    if not domain:
        return None
    if domain in _BY_DOMAIN:
        return _BY_DOMAIN[domain]
    for provider in PROVIDERS:
        if any(domain.startswith(prefix) for prefix in provider.domain_prefixes):
            return provider
    return None


def username_for(email: str, form: str) -> str:
    return email.partition("@")[0] if form == LOCAL_PART else email

"""Large international mailbox providers. Facts from each provider's own help pages;
the notes are our own words."""

from ..words import N_
from .model import (
    LOCAL_PART,
    NEEDS_PREPARATION,
    NOT_RECOMMENDED,
    SSO_REQUIRED,
    UNSUPPORTED,
    Provider,
    ssl,
    starttls,
)

GOOGLE = Provider(
    "google",
    "Google (Gmail, Google Workspace)",
    ("gmail.com", "googlemail.com"),
    policy=SSO_REQUIRED,
    sso="google",
    # Workspace domains point their MX at aspmx.l.google.com and friends, or at
    # smtp.google.com for domains set up since 2023.
    mx=("google.com", "googlemail.com"),
    known_hosts=("imap.gmail.com", "smtp.gmail.com", "smtp-relay.gmail.com"),
    oauth_smtp=ssl("smtp.gmail.com", 465),
    oauth_imap=ssl("imap.gmail.com", 993),
    spf_includes=("_spf.google.com",),
    dkim_selectors=("google",),
    notes=(N_("Gmail and Google Workspace mailboxes connect with Sign in with Google."),),
    help_url="https://support.google.com/mail/answer/7126229",
)

MICROSOFT = Provider(
    "microsoft",
    "Microsoft (Outlook.com, Microsoft 365)",
    ("outlook.com", "hotmail.com", "live.com", "msn.com", "passport.com", "windowslive.com"),
    domain_prefixes=("hotmail", "live", "outlook"),
    policy=SSO_REQUIRED,
    sso="microsoft",
    # Microsoft 365 tenants: <tenant>.mail.protection.outlook.com; Outlook.com itself
    # uses *.olc.protection.outlook.com.
    mx=("mail.protection.outlook.com", "olc.protection.outlook.com", "outlook.com"),
    known_hosts=(
        "outlook.office365.com",
        "smtp.office365.com",
        "imap-mail.outlook.com",
        "smtp-mail.outlook.com",
    ),
    oauth_smtp=starttls("smtp.office365.com", 587),
    oauth_imap=ssl("outlook.office365.com", 993),
    spf_includes=("spf.protection.outlook.com",),
    # CNAMEs to selectorN-<domain>._domainkey.<tenant>.onmicrosoft.com.
    dkim_selectors=("selector1", "selector2"),
    notes=(
        N_("Outlook.com, Hotmail, Live and Microsoft 365 mailboxes connect with Sign in with Microsoft."),
        N_("Microsoft has switched off password sign-in for mail apps on these mailboxes."),
    ),
    help_url="https://support.microsoft.com/office/pop-imap-and-smtp-settings-8361e398-8af4-4e97-b147-6c6c4ac95353",
)

YAHOO = Provider(
    "yahoo",
    "Yahoo Mail",
    ("yahoo.com", "ymail.com", "rocketmail.com"),
    domain_prefixes=("yahoo",),
    policy=NEEDS_PREPARATION,
    mx=("yahoodns.net",),
    smtp=ssl("smtp.mail.yahoo.com", 465),
    imap=ssl("imap.mail.yahoo.com", 993),
    notes=(
        N_("Yahoo only accepts an app password here: generate one in your Yahoo account's security page."),
    ),
    help_url="https://help.yahoo.com/kb/SLN4075.html",
)

YAHOO_JAPAN = Provider(
    "yahoo-jp",
    "Yahoo! JAPAN Mail",
    ("yahoo.co.jp",),
    policy=NEEDS_PREPARATION,
    smtp=ssl("smtp.mail.yahoo.co.jp", 465, LOCAL_PART),
    imap=ssl("imap.mail.yahoo.co.jp", 993, LOCAL_PART),
    notes=(
        N_("Turn on IMAP/SMTP access in Yahoo! JAPAN Mail's settings first."),
        N_("The username is your Yahoo! JAPAN ID, the part before the @."),
    ),
    help_url="https://support.yahoo-net.jp/",
)

AOL = Provider(
    "aol",
    "AOL Mail",
    ("aol.com", "aim.com"),
    domain_prefixes=("aol",),
    policy=NEEDS_PREPARATION,
    mx=("mx-aol.mail.gm0.yahoodns.net",),
    smtp=ssl("smtp.aol.com", 465),
    imap=ssl("imap.aol.com", 993),
    notes=(N_("AOL only accepts an app password here: generate one under Account Security."),),
    help_url="https://help.aol.com/articles/how-do-i-use-other-email-applications-to-send-and-receive-my-aol-mail",
)

ICLOUD = Provider(
    "icloud",
    "iCloud Mail",
    ("icloud.com", "me.com", "mac.com"),
    policy=NOT_RECOMMENDED,
    mx=("mail.icloud.com",),
    spf_includes=("icloud.com",),
    dkim_selectors=("sig1",),
    smtp=starttls("smtp.mail.me.com", 587),
    imap=ssl("imap.mail.me.com", 993, LOCAL_PART),
    notes=(
        N_("iCloud mailboxes work but are not recommended for sending sequences."),
        N_("You need an app-specific password from your Apple Account settings."),
        N_("For IMAP, iCloud expects only the part of your address before the @."),
    ),
    help_url="https://support.apple.com/102525",
)

_ZOHO_NOTES = (
    N_("Switch on IMAP access in Zoho Mail's settings before connecting."),
    N_("Zoho's free plan may not include IMAP/SMTP: a paid plan can be needed."),
    N_("With two-factor authentication on, use an app-specific password."),
)


def _zoho(region_id: str, label: str, suffix: str, domains: tuple[str, ...]) -> Provider:
    # Each Zoho data centre has its own hosts; organisation (custom domain)
    # accounts use the "pro" servers of the same region.
    return Provider(
        f"zoho{region_id}",
        f"Zoho Mail{label}",
        domains,
        policy=NEEDS_PREPARATION,
        mx=(f"zoho.{suffix}", f"zohomail.{suffix}"),
        spf_includes=(f"zoho.{suffix}",),
        smtp=ssl(f"smtp.zoho.{suffix}", 465),
        imap=ssl(f"imap.zoho.{suffix}", 993),
        hosted_smtp=ssl(f"smtppro.zoho.{suffix}", 465),
        hosted_imap=ssl(f"imappro.zoho.{suffix}", 993),
        notes=_ZOHO_NOTES,
        help_url=f"https://www.zoho.{suffix}/mail/help/imap-access.html",
    )


ZOHO = _zoho("", "", "com", ("zoho.com", "zohomail.com"))
ZOHO_EU = _zoho("-eu", " (Europe)", "eu", ("zoho.eu", "zohomail.eu"))
ZOHO_IN = _zoho("-in", " (India)", "in", ("zoho.in", "zohomail.in"))
ZOHO_AU = _zoho("-au", " (Australia)", "com.au", ("zoho.com.au", "zohomail.com.au"))
ZOHO_JP = _zoho("-jp", " (Japan)", "jp", ("zoho.jp", "zohomail.jp"))

PROTON = Provider(
    "proton",
    "Proton Mail",
    ("proton.me", "protonmail.com", "protonmail.ch", "pm.me"),
    policy=UNSUPPORTED,
    mx=("protonmail.ch",),
    notes=(
        N_(
            "Proton Mail encrypts mailboxes end to end and offers no direct SMTP/IMAP "
            "access, so it cannot be connected."
        ),
    ),
    help_url="https://proton.me/support/protonmail-bridge-install",
)

TUTA = Provider(
    "tuta",
    "Tuta (Tutanota)",
    ("tuta.com", "tutanota.com", "tutanota.de", "tutamail.com", "tuta.io", "keemail.me"),
    policy=UNSUPPORTED,
    mx=("tutanota.de",),
    notes=(
        N_(
            "Tuta keeps mail encrypted on its servers and has no IMAP or SMTP at all, so it cannot be "
            "connected."
        ),
    ),
    help_url="https://tuta.com/faq#imap",
)

HEY = Provider(
    "hey",
    "HEY",
    ("hey.com",),
    policy=UNSUPPORTED,
    mx=("hey.com",),
    notes=(N_("HEY does not offer IMAP or SMTP access, so it cannot be connected."),),
    help_url="https://help.hey.com/",
)

FASTMAIL = Provider(
    "fastmail",
    "Fastmail",
    (
        "fastmail.com",
        "fastmail.fm",
        "fastmail.net",
        "fastmail.org",
        "fastmail.to",
        "fastmail.us",
        "fastmail.de",
        "fastmail.cn",
        "fastmail.in",
        "fastmail.jp",
        "messagingengine.com",
        "sent.com",
    ),
    policy=NEEDS_PREPARATION,
    # Custom domains hosted at Fastmail receive through in1/in2-smtp.messagingengine.com.
    mx=("messagingengine.com",),
    spf_includes=("spf.messagingengine.com",),
    dkim_selectors=("fm1", "fm2", "fm3"),
    smtp=ssl("smtp.fastmail.com", 465),
    imap=ssl("imap.fastmail.com", 993),
    notes=(
        N_(
            "Fastmail needs an app password, created under Settings → Privacy & Security.",
        )
    ),
    help_url="https://www.fastmail.help/hc/en-us/articles/1500000278342",
)

POBOX = Provider(
    "pobox",
    "Pobox",
    ("pobox.com",),
    mx=("pobox.com",),
    smtp=ssl("smtp.pobox.com", 465),
    imap=ssl("mail.pobox.com", 993),
    notes=(N_("Pobox's IMAP mailbox is part of its Mailstore plan."),),
    help_url="https://www.pobox.help/",
)

YANDEX = Provider(
    "yandex",
    "Yandex Mail",
    ("yandex.com", "yandex.ru", "ya.ru", "yandex.by", "yandex.kz", "yandex.ua", "narod.ru"),
    policy=NEEDS_PREPARATION,
    mx=("mx.yandex.ru",),
    smtp=ssl("smtp.yandex.com", 465),
    imap=ssl("imap.yandex.com", 993),
    notes=(
        N_("Allow access from mail programs in Yandex Mail's settings first."),
        N_("Yandex asks for an app password for mail programs."),
    ),
    help_url="https://yandex.com/support/mail/mail-clients/others.html",
)

YANDEX_360 = Provider(
    "yandex360",
    "Yandex 360 for Business",
    (),
    policy=NEEDS_PREPARATION,
    # Business domains point their MX at mx.yandex.net.
    mx=("yandex.net",),
    smtp=ssl("smtp.yandex.com", 465),
    imap=ssl("imap.yandex.com", 993),
    notes=(
        N_("An administrator may need to allow mail programs for the organisation first."),
        N_("Use an app password created in your Yandex ID settings."),
    ),
    help_url="https://yandex.com/support/business/",
)

MAILRU = Provider(
    "mailru",
    "Mail.ru",
    ("mail.ru", "inbox.ru", "list.ru", "bk.ru", "internet.ru", "mail.ua"),
    policy=NEEDS_PREPARATION,
    mx=("mail.ru",),
    smtp=ssl("smtp.mail.ru", 465),
    imap=ssl("imap.mail.ru", 993),
    notes=(N_("Mail.ru needs a password for external apps, created in its security settings."),),
    help_url="https://help.mail.ru/mail/mailer/popsmtp",
)

RAMBLER = Provider(
    "rambler",
    "Rambler Mail",
    ("rambler.ru", "lenta.ru", "autorambler.ru", "myrambler.ru", "ro.ru"),
    policy=NEEDS_PREPARATION,
    mx=("rambler.ru",),
    smtp=ssl("smtp.rambler.ru", 465),
    imap=ssl("imap.rambler.ru", 993),
    notes=(N_("Switch on access for mail programs in Rambler Mail's settings first."),),
    help_url="https://help.rambler.ru/mail/",
)

PROVIDERS = (
    GOOGLE,
    MICROSOFT,
    YAHOO,
    YAHOO_JAPAN,
    AOL,
    ICLOUD,
    ZOHO,
    ZOHO_EU,
    ZOHO_IN,
    ZOHO_AU,
    ZOHO_JP,
    PROTON,
    TUTA,
    HEY,
    FASTMAIL,
    POBOX,
    YANDEX,
    YANDEX_360,
    MAILRU,
    RAMBLER,
)

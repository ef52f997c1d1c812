"""Hosting companies and business mail services, found mostly through a custom
domain's MX record. Facts from each provider's own help pages; notes are ours."""

from ..words import N_
from .model import NEEDS_PREPARATION, Provider, ssl, starttls

GODADDY = Provider(
    "godaddy",
    "GoDaddy Workspace Email",
    (),
    mx=("secureserver.net",),
    smtp=ssl("smtpout.secureserver.net", 465),
    imap=ssl("imap.secureserver.net", 993),
    notes=(
        N_(
            "GoDaddy's Microsoft 365 plans are Microsoft mailboxes: those connect with Sign in with "
            "Microsoft."
        ),
    ),
    help_url="https://www.godaddy.com/help/server-and-port-settings-for-workspace-email-6949",
)


def _ionos(region_id: str, label: str, suffix: str, legacy_mx: tuple[str, ...]) -> Provider:
    return Provider(
        f"ionos{region_id}",
        f"IONOS{label}",
        (),
        mx=(f"ionos.{suffix}", *legacy_mx),
        smtp=starttls(f"smtp.ionos.{suffix}", 587),
        imap=ssl(f"imap.ionos.{suffix}", 993),
        help_url=f"https://www.ionos.{suffix}/help/email/",
    )


# 1&1 became IONOS; older contracts still receive through kundenserver.de / 1and1.
IONOS_DE = _ionos("", " (Germany)", "de", ("kundenserver.de", "1und1.de"))
IONOS_COM = _ionos("-com", " (USA)", "com", ("1and1.com",))
IONOS_UK = _ionos("-uk", " (UK)", "co.uk", ("1and1.co.uk",))

OVH = Provider(
    "ovh",
    "OVHcloud Email",
    (),
    mx=("mail.ovh.net",),
    smtp=ssl("ssl0.ovh.net", 465),
    imap=ssl("ssl0.ovh.net", 993),
    help_url="https://help.ovhcloud.com/csm/en-web-paas-email-configuration",
)

GANDI = Provider(
    "gandi",
    "Gandi Mail",
    (),
    mx=("mail.gandi.net",),
    smtp=ssl("mail.gandi.net", 465),
    imap=ssl("mail.gandi.net", 993),
    help_url="https://docs.gandi.net/en/gandimail/",
)

NAMECHEAP = Provider(
    "namecheap",
    "Namecheap Private Email",
    (),
    mx=("privateemail.com",),
    smtp=ssl("mail.privateemail.com", 465),
    imap=ssl("mail.privateemail.com", 993),
    help_url="https://www.namecheap.com/support/knowledgebase/article.aspx/1179/2175/",
)

RACKSPACE = Provider(
    "rackspace",
    "Rackspace Email",
    (),
    mx=("emailsrvr.com",),
    smtp=ssl("secure.emailsrvr.com", 465),
    imap=ssl("secure.emailsrvr.com", 993),
    help_url="https://docs.rackspace.com/docs/email-server-settings",
)

MIGADU = Provider(
    "migadu",
    "Migadu",
    (),
    mx=("migadu.com",),
    smtp=ssl("smtp.migadu.com", 465),
    imap=ssl("imap.migadu.com", 993),
    help_url="https://migadu.com/guides/",
)

PURELYMAIL = Provider(
    "purelymail",
    "Purelymail",
    ("purelymail.com",),
    mx=("purelymail.com",),
    smtp=ssl("smtp.purelymail.com", 465),
    imap=ssl("imap.purelymail.com", 993),
    help_url="https://purelymail.com/docs/",
)

RUNBOX = Provider(
    "runbox",
    "Runbox",
    ("runbox.com", "runbox.no", "runbox.eu", "runbox.us"),
    mx=("runbox.com",),
    smtp=ssl("mail.runbox.com", 465),
    imap=ssl("mail.runbox.com", 993),
    help_url="https://help.runbox.com/",
)

MAILFENCE = Provider(
    "mailfence",
    "Mailfence",
    ("mailfence.com",),
    policy=NEEDS_PREPARATION,
    mx=("mailfence.com",),
    smtp=ssl("smtp.mailfence.com", 465),
    imap=ssl("imap.mailfence.com", 993),
    notes=(N_("Mailfence only offers IMAP and SMTP on its paid plans."),),
    help_url="https://kb.mailfence.com/",
)

KOLAB_NOW = Provider(
    "kolabnow",
    "Kolab Now",
    ("kolabnow.com", "mykolab.com"),
    mx=("kolabnow.com",),
    smtp=ssl("smtp.kolabnow.com", 465),
    imap=ssl("imap.kolabnow.com", 993),
    help_url="https://kb.kolabnow.com/",
)

DISROOT = Provider(
    "disroot",
    "Disroot",
    ("disroot.org",),
    mx=("disroot.org",),
    smtp=starttls("disroot.org", 587),
    imap=ssl("disroot.org", 993),
    help_url="https://howto.disroot.org/en/tutorials/email",
)

HOSTINGER = Provider(
    "hostinger",
    "Hostinger Email",
    (),
    mx=("hostinger.com",),
    smtp=ssl("smtp.hostinger.com", 465),
    imap=ssl("imap.hostinger.com", 993),
    help_url="https://support.hostinger.com/en/collections/1742298-email",
)

TITAN = Provider(
    "titan",
    "Titan Email",
    (),
    mx=("titan.email",),
    smtp=ssl("smtp.titan.email", 465),
    imap=ssl("imap.titan.email", 993),
    help_url="https://support.titan.email/",
)

DREAMHOST = Provider(
    "dreamhost",
    "DreamHost Email",
    (),
    mx=("dreamhost.com",),
    smtp=ssl("smtp.dreamhost.com", 465),
    imap=ssl("imap.dreamhost.com", 993),
    help_url="https://help.dreamhost.com/hc/en-us/articles/214918038",
)

INFOMANIAK = Provider(
    "infomaniak",
    "Infomaniak Mail",
    ("ik.me", "ikmail.com", "etik.com"),
    mx=("infomaniak.ch",),
    smtp=ssl("mail.infomaniak.com", 465),
    imap=ssl("mail.infomaniak.com", 993),
    help_url="https://www.infomaniak.com/en/support/faq/",
)

STRATO = Provider(
    "strato",
    "STRATO Mail",
    (),
    mx=("rzone.de",),
    smtp=ssl("smtp.strato.de", 465),
    imap=ssl("imap.strato.de", 993),
    help_url="https://www.strato.de/faq/mail/",
)

ARUBA = Provider(
    "aruba",
    "Aruba PEC e Mail",
    ("aruba.it",),
    mx=("aruba.it",),
    smtp=ssl("smtps.aruba.it", 465),
    imap=ssl("imaps.aruba.it", 993),
    help_url="https://guide.hosting.aruba.it/",
)

PROVIDERS = (
    GODADDY,
    IONOS_DE,
    IONOS_COM,
    IONOS_UK,
    OVH,
    GANDI,
    NAMECHEAP,
    RACKSPACE,
    MIGADU,
    PURELYMAIL,
    RUNBOX,
    MAILFENCE,
    KOLAB_NOW,
    DISROOT,
    HOSTINGER,
    TITAN,
    DREAMHOST,
    INFOMANIAK,
    STRATO,
    ARUBA,
)

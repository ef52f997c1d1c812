"""European mailbox providers and ISPs. Facts from each provider's own help pages;
the notes are our own words."""

from ..words import N_
from .model import LOCAL_PART, NEEDS_PREPARATION, Provider, ssl, starttls


def _enable(brand: str) -> str:
    return N_("Switch on POP3/IMAP access in {brand}'s mail settings before connecting.").format(brand=brand)


GMX_DE = Provider(
    "gmx",
    "GMX (Germany, Austria, Switzerland)",
    ("gmx.de", "gmx.net", "gmx.at", "gmx.ch"),
    policy=NEEDS_PREPARATION,
    mx=("gmx.net",),
    smtp=starttls("mail.gmx.net", 587),
    imap=ssl("imap.gmx.net", 993),
    notes=(_enable("GMX"),),
    help_url="https://hilfe.gmx.net/pop-imap/einschalten.html",
)

GMX_COM = Provider(
    "gmx-com",
    "GMX",
    ("gmx.com", "gmx.us", "gmx.co.uk", "gmx.fr", "gmx.es", "gmx.it"),
    policy=NEEDS_PREPARATION,
    mx=("gmx.com",),
    smtp=starttls("mail.gmx.com", 587),
    imap=ssl("imap.gmx.com", 993),
    notes=(_enable("GMX"),),
    help_url="https://support.gmx.com/pop-imap/toggle.html",
)

MAILCOM = Provider(
    "mailcom",
    "mail.com",
    ("mail.com", "email.com", "usa.com", "post.com", "consultant.com", "europe.com", "engineer.com"),
    policy=NEEDS_PREPARATION,
    mx=("mail.com",),
    smtp=starttls("smtp.mail.com", 587),
    imap=ssl("imap.mail.com", 993),
    notes=(_enable("mail.com"), N_("mail.com may only offer IMAP on its paid plans.")),
    help_url="https://support.mail.com/pop-imap/",
)

WEBDE = Provider(
    "webde",
    "WEB.DE",
    ("web.de",),
    policy=NEEDS_PREPARATION,
    mx=("web.de",),
    smtp=starttls("smtp.web.de", 587),
    imap=ssl("imap.web.de", 993),
    notes=(_enable("WEB.DE"),),
    help_url="https://hilfe.web.de/pop-imap/einschalten.html",
)

T_ONLINE = Provider(
    "t-online",
    "Telekom Mail (T-Online)",
    ("t-online.de", "magenta.de"),
    policy=NEEDS_PREPARATION,
    mx=("t-online.de",),
    smtp=ssl("securesmtp.t-online.de", 465),
    imap=ssl("secureimap.t-online.de", 993),
    notes=(
        N_(
            "Telekom wants a separate password for mail programs (not your Telekom login "
            "password); set it up in the Telekom Mail settings."
        ),
    ),
    help_url="https://www.telekom.de/hilfe/apps-dienste/e-mail/programme",
)

FREENET = Provider(
    "freenet",
    "freenet Mail",
    ("freenet.de",),
    policy=NEEDS_PREPARATION,
    mx=("freenet.de",),
    smtp=starttls("mx.freenet.de", 587),
    imap=ssl("mx.freenet.de", 993),
    notes=(N_("Allow access from mail programs in freenet Mail's settings first."),),
    help_url="https://hilfe.freenet.de/",
)

MAILDE = Provider(
    "mailde",
    "mail.de",
    ("mail.de",),
    mx=("mail.de",),
    smtp=ssl("smtp.mail.de", 465),
    imap=ssl("imap.mail.de", 993),
    help_url="https://mail.de/hilfe",
)

POSTEO = Provider(
    "posteo",
    "Posteo",
    ("posteo.de", "posteo.net", "posteo.at", "posteo.ch", "posteo.eu", "posteo.org", "posteo.be"),
    mx=("posteo.de",),
    smtp=ssl("posteo.de", 465),
    imap=ssl("posteo.de", 993),
    notes=(N_("Posteo has no custom domains: use your @posteo address."),),
    help_url="https://posteo.de/en/help/how-do-i-set-up-posteo-in-an-email-client-pop3-imap-and-smtp",
)

MAILBOX_ORG = Provider(
    "mailbox-org",
    "mailbox.org",
    ("mailbox.org",),
    mx=("mailbox.org",),
    smtp=ssl("smtp.mailbox.org", 465),
    imap=ssl("imap.mailbox.org", 993),
    help_url="https://kb.mailbox.org/en/private/e-mail-article/mail-client-settings",
)

ORANGE = Provider(
    "orange",
    "Orange",
    ("orange.fr", "wanadoo.fr"),
    mx=("orange.fr",),
    smtp=ssl("smtp.orange.fr", 465),
    imap=ssl("imap.orange.fr", 993),
    help_url="https://assistance.orange.fr/",
)

FREE = Provider(
    "free",
    "Free",
    ("free.fr",),
    mx=("free.fr",),
    smtp=ssl("smtp.free.fr", 465, LOCAL_PART),
    imap=ssl("imap.free.fr", 993, LOCAL_PART),
    notes=(N_("Free expects the part of your address before the @ as the username."),),
    help_url="https://assistance.free.fr/",
)

SFR = Provider(
    "sfr",
    "SFR Mail",
    ("sfr.fr", "neuf.fr", "cegetel.net"),
    mx=("sfr.fr",),
    smtp=ssl("smtp.sfr.fr", 465),
    imap=ssl("imap.sfr.fr", 993),
    help_url="https://assistance.sfr.fr/",
)

LA_POSTE = Provider(
    "laposte",
    "La Poste Mail",
    ("laposte.net",),
    policy=NEEDS_PREPARATION,
    mx=("laposte.net",),
    smtp=ssl("smtp.laposte.net", 465),
    imap=ssl("imap.laposte.net", 993),
    notes=(N_("Allow access from mail programs in La Poste Mail's settings before connecting."),),
    help_url="https://aide.laposte.net/",
)

LIBERO = Provider(
    "libero",
    "Libero Mail",
    ("libero.it", "iol.it", "blu.it", "inwind.it", "giallo.it"),
    mx=("libero.it",),
    smtp=ssl("smtp.libero.it", 465),
    imap=ssl("imapmail.libero.it", 993),
    help_url="https://aiuto.libero.it/",
)

VIRGILIO = Provider(
    "virgilio",
    "Virgilio Mail",
    ("virgilio.it",),
    mx=("virgilio.it",),
    smtp=ssl("out.virgilio.it", 465),
    imap=ssl("in.virgilio.it", 993),
    help_url="https://aiuto.virgilio.it/",
)

TISCALI = Provider(
    "tiscali",
    "Tiscali Mail",
    ("tiscali.it",),
    mx=("tiscali.it",),
    smtp=ssl("smtp.tiscali.it", 465),
    imap=ssl("imap.tiscali.it", 993),
    help_url="https://assistenza.tiscali.it/",
)

SEZNAM = Provider(
    "seznam",
    "Seznam Email",
    ("seznam.cz", "email.cz", "post.cz", "spoluzaci.cz"),
    mx=("seznam.cz",),
    smtp=ssl("smtp.seznam.cz", 465),
    imap=ssl("imap.seznam.cz", 993),
    help_url="https://napoveda.seznam.cz/cz/email/",
)

WP = Provider(
    "wp",
    "Poczta WP",
    ("wp.pl",),
    policy=NEEDS_PREPARATION,
    mx=("wp.pl",),
    smtp=ssl("smtp.wp.pl", 465),
    imap=ssl("imap.wp.pl", 993),
    notes=(N_("Switch on access for mail programs (IMAP, POP3, SMTP) in Poczta WP's settings first."),),
    help_url="https://pomoc.wp.pl/",
)

O2 = Provider(
    "o2",
    "Poczta o2",
    ("o2.pl", "go2.pl", "tlen.pl", "prokonto.pl"),
    policy=NEEDS_PREPARATION,
    mx=("o2.pl",),
    smtp=ssl("poczta.o2.pl", 465, LOCAL_PART),
    imap=ssl("poczta.o2.pl", 993, LOCAL_PART),
    notes=(
        N_("Switch on access for mail programs in Poczta o2's settings first."),
        N_("o2 expects the part of your address before the @ as the username."),
    ),
    help_url="https://pomoc.o2.pl/",
)

INTERIA = Provider(
    "interia",
    "Poczta Interia",
    ("interia.pl", "interia.eu", "interia.com", "poczta.fm"),
    policy=NEEDS_PREPARATION,
    mx=("interia.pl",),
    smtp=ssl("poczta.interia.pl", 465),
    imap=ssl("poczta.interia.pl", 993),
    notes=(N_("Switch on access for mail programs in Poczta Interia's settings first."),),
    help_url="https://pomoc.poczta.interia.pl/",
)

ONET = Provider(
    "onet",
    "Poczta Onet",
    ("onet.pl", "op.pl", "onet.eu", "vp.pl", "poczta.onet.pl", "onet.com.pl", "spoko.pl"),
    policy=NEEDS_PREPARATION,
    mx=("onet.pl",),
    smtp=ssl("smtp.poczta.onet.pl", 465),
    imap=ssl("imap.poczta.onet.pl", 993),
    notes=(N_("Switch on access for mail programs in Poczta Onet's settings first."),),
    help_url="https://pomoc.onet.pl/",
)

BLUEWIN = Provider(
    "bluewin",
    "Swisscom bluewin",
    ("bluewin.ch",),
    mx=("bluewin.ch",),
    smtp=ssl("smtpauths.bluewin.ch", 465),
    imap=ssl("imaps.bluewin.ch", 993),
    help_url="https://www.swisscom.ch/en/residential/help.html",
)

BT = Provider(
    "bt",
    "BT Email",
    ("btinternet.com", "btopenworld.com", "talk21.com"),
    policy=NEEDS_PREPARATION,
    smtp=ssl("mail.btinternet.com", 465),
    imap=ssl("mail.btinternet.com", 993),
    notes=(N_("BT may ask for a separate password for mail programs, set in your BT account."),),
    help_url="https://www.bt.com/help/email",
)

VIRGIN_MEDIA = Provider(
    "virginmedia",
    "Virgin Media Mail",
    ("virginmedia.com", "ntlworld.com", "blueyonder.co.uk", "virgin.net"),
    smtp=ssl("smtp.virginmedia.com", 465),
    imap=ssl("imap.virginmedia.com", 993),
    help_url="https://www.virginmedia.com/help/email",
)

PROVIDERS = (
    GMX_DE,
    GMX_COM,
    MAILCOM,
    WEBDE,
    T_ONLINE,
    FREENET,
    MAILDE,
    POSTEO,
    MAILBOX_ORG,
    ORANGE,
    FREE,
    SFR,
    LA_POSTE,
    LIBERO,
    VIRGILIO,
    TISCALI,
    SEZNAM,
    WP,
    O2,
    INTERIA,
    ONET,
    BLUEWIN,
    BT,
    VIRGIN_MEDIA,
)

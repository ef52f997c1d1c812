"""ISPs and national providers in the Americas and Asia. Facts from each provider's
own help pages; the notes are our own words."""

from ..words import N_
from .model import NEEDS_PREPARATION, Provider, ssl, starttls

COMCAST = Provider(
    "comcast",
    "Xfinity (Comcast)",
    ("comcast.net",),
    policy=NEEDS_PREPARATION,
    mx=("comcast.net",),
    smtp=starttls("smtp.comcast.net", 587),
    imap=ssl("imap.comcast.net", 993),
    notes=(N_("Turn on third-party access to your Xfinity mailbox in its security settings first."),),
    help_url="https://www.xfinity.com/support/articles/email-client-programs-with-xfinity-email",
)

ATT = Provider(
    "att",
    "AT&T Mail",
    ("att.net", "sbcglobal.net", "bellsouth.net", "pacbell.net", "flash.net", "swbell.net", "prodigy.net"),
    policy=NEEDS_PREPARATION,
    mx=("prodigy.net",),
    smtp=ssl("smtp.mail.att.net", 465),
    imap=ssl("imap.mail.att.net", 993),
    notes=(N_("AT&T wants a secure mail key instead of your password: create one in your AT&T profile."),),
    help_url="https://www.att.com/support/article/email-support/KM1240308/",
)

VERIZON = Provider(
    "verizon",
    "Verizon (AOL Mail)",
    ("verizon.net",),
    policy=NEEDS_PREPARATION,
    smtp=ssl("smtp.aol.com", 465),
    imap=ssl("imap.aol.com", 993),
    notes=(
        N_("verizon.net mailboxes now live at AOL and use AOL's servers."),
        N_("Generate an app password in your AOL account's security settings."),
    ),
    help_url="https://help.aol.com/articles/verizon-email-faq",
)

QQ = Provider(
    "qq",
    "QQ Mail",
    ("qq.com", "foxmail.com", "vip.qq.com"),
    policy=NEEDS_PREPARATION,
    mx=("qq.com",),
    smtp=ssl("smtp.qq.com", 465),
    imap=ssl("imap.qq.com", 993),
    notes=(
        N_(
            "Switch on the IMAP/SMTP service in QQ Mail's settings and use the authorisation "
            "code it gives you as the password."
        ),
    ),
    help_url="https://service.mail.qq.com/",
)

NETEASE_163 = Provider(
    "netease163",
    "NetEase 163 Mail",
    ("163.com",),
    policy=NEEDS_PREPARATION,
    mx=("163.com",),
    smtp=ssl("smtp.163.com", 465),
    imap=ssl("imap.163.com", 993),
    notes=(
        N_("Switch on IMAP/SMTP in the mailbox settings and use the authorisation code as the password."),
    ),
    help_url="https://help.mail.163.com/",
)

NETEASE_126 = Provider(
    "netease126",
    "NetEase 126 Mail",
    ("126.com",),
    policy=NEEDS_PREPARATION,
    mx=("126.com",),
    smtp=ssl("smtp.126.com", 465),
    imap=ssl("imap.126.com", 993),
    notes=(
        N_("Switch on IMAP/SMTP in the mailbox settings and use the authorisation code as the password."),
    ),
    help_url="https://help.mail.163.com/",
)

NAVER = Provider(
    "naver",
    "Naver Mail",
    ("naver.com",),
    policy=NEEDS_PREPARATION,
    mx=("naver.com",),
    smtp=ssl("smtp.naver.com", 465),
    imap=ssl("imap.naver.com", 993),
    notes=(N_("Switch on IMAP/SMTP in Naver Mail's settings (POP3/IMAP settings) first."),),
    help_url="https://help.naver.com/",
)

DAUM = Provider(
    "daum",
    "Daum Mail",
    ("daum.net", "hanmail.net"),
    policy=NEEDS_PREPARATION,
    mx=("daum.net",),
    smtp=ssl("smtp.daum.net", 465),
    imap=ssl("imap.daum.net", 993),
    notes=(N_("Switch on IMAP in Daum Mail's settings first."),),
    help_url="https://cs.daum.net/",
)

PROVIDERS = (COMCAST, ATT, VERIZON, QQ, NETEASE_163, NETEASE_126, NAVER, DAUM)

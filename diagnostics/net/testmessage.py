"""The round trip's test message, and what the receiving server wrote on it.

The message carries its token twice: in our own header (the proof, checked on the
fetched headers) and in the subject (what servers can search reliably: SEARCH HEADER
on a custom header fails on Gmail, Yahoo and Outlook).
"""

import re
import secrets
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser
from email.policy import SMTP, SMTPUTF8, compat32
from email.utils import formatdate, make_msgid

TOKEN_HEADER = "X-EAC-Test"  # noqa: S105 (a header name, not a secret)
SUBJECT = "Email Account Center test"
# The headers fetched from a candidate: the proof, and what the receiving server said.
FETCHED = (
    TOKEN_HEADER,
    "Message-ID",
    "Authentication-Results",
    "ARC-Authentication-Results",
    "Received-SPF",
    "DKIM-Signature",
)
BODY = """\
This is an automatic test message from Email Account Center.

It was sent from this mailbox to itself, to check that mail sent
through it arrives, where it arrives (inbox or spam), and whether
the provider keeps a copy in the Sent folder.

It is deleted as soon as the test has found it.
If you still see it, you may delete it.
"""

PASS, FAIL, NONE = "pass", "fail", "none"
_FAILING = {"fail", "softfail", "permerror", "temperror", "hardfail", "policy", "quarantine", "reject"}
_METHOD = re.compile(r"(?:^|[;\s])(spf|dkim|dmarc)\s*=\s*([a-z]+)", re.I)
_TAG = re.compile(r"(?:^|;)\s*([a-z]+)\s*=\s*([^;]*)", re.I)


def new_token() -> str:
    """Letters and digits only, so that a SUBJECT search matches it as typed."""
    return "eac" + secrets.token_hex(8)


def build(address: str, token: str) -> EmailMessage:
    """From the mailbox to itself, with Message-ID, Date and a plain-text body."""
    international = not address.isascii()
    message = EmailMessage(policy=SMTPUTF8 if international else SMTP)
    domain = address.rpartition("@")[2] or "localhost"
    message["From"] = address
    message["To"] = address
    message["Subject"] = f"{SUBJECT} {token}"
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(idstring=token, domain=domain.encode("idna").decode("ascii"))
    message[TOKEN_HEADER] = token
    # RFC 3834: no vacation or other automatic replies to this one.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(BODY)
    return message


def parse_headers(raw: bytes) -> Message:
    # compat32 never raises on malformed headers: a hostile server's bytes stay data.
    return BytesHeaderParser(policy=compat32).parsebytes(raw)


def carries(headers: Message, token: str) -> bool:
    return any(str(value).strip() == token for value in headers.get_all(TOKEN_HEADER) or [])


def _verdict(values: list[str]) -> str:
    lowered = [v.lower() for v in values]
    if "pass" in lowered:
        return PASS
    if any(v in _FAILING for v in lowered):
        return FAIL
    return NONE


def _methods(header: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    # Comments in parentheses may contain "spf=pass"-like text from other hops.
    text = re.sub(r"\([^()]*\)", " ", " ".join(str(header).split()))
    for method, result in _METHOD.findall(text):
        found.setdefault(method.lower(), []).append(result)
    return found


def auth_results(headers: Message) -> tuple[dict[str, str], str]:
    """spf, dkim and dmarc as the receiving server saw them (pass/fail/none), and which
    header said so. The topmost Authentication-Results is the receiving server's own."""
    for name in ("Authentication-Results", "ARC-Authentication-Results"):
        values = headers.get_all(name) or []
        if values:
            methods = _methods(values[0])
            if methods:
                return {m: _verdict(methods.get(m, [])) for m in ("spf", "dkim", "dmarc")}, name
    received_spf = headers.get_all("Received-SPF") or []
    if received_spf:
        first = str(received_spf[0]).strip().split(None, 1)
        spf = _verdict([first[0]]) if first else NONE
        return {"spf": spf, "dkim": NONE, "dmarc": NONE}, "Received-SPF"
    return {"spf": NONE, "dkim": NONE, "dmarc": NONE}, ""


def dkim_signatures(headers: Message) -> list[dict[str, str]]:
    """The signing domain (d=) and selector (s=) of each DKIM-Signature: the exact selector
    to look up in DNS, where guessing can only try known names."""
    found = []
    for value in headers.get_all("DKIM-Signature") or []:
        tags = {k.lower(): "".join(v.split()) for k, v in _TAG.findall(" ".join(str(value).split()))}
        if tags.get("d") and tags.get("s"):
            found.append({"domain": tags["d"].lower().rstrip("."), "selector": tags["s"]})
    return found

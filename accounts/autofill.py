"""What the connect form fills in for the person, and the rules that keep their edits.

The page marks every field it fills with a hidden `auto_<name>` holding the value it put
there. A field whose value still equals its mark is ours and may be filled again (by a
later answer in the page, or by the server on submit); a field the person changed is
theirs and is never written. connect-form.js applies the same rules in the browser.
"""

from urllib.parse import urlencode

from django.utils.translation import gettext, gettext_lazy

from diagnostics import autodetection as autodetect_service
from diagnostics.net import directory
from diagnostics.net.mailbox import PROTOCOLS
from live import topics

# Fields autodetection fills in. The hint requests send them back (never the password)
# with the values last filled in, so a later answer keeps whatever the person changed.
AUTOFILLED = (
    "username",
    "smtp_username",
    "imap_username",
    "smtp_host",
    "smtp_port",
    "smtp_security",
    "imap_host",
    "imap_port",
    "imap_security",
)
# Ports whose encryption is fixed by convention (RFC 8314: 465 and 993 are implicit
# TLS; RFC 6409 and RFC 3501: 587 and 143 upgrade with STARTTLS).
PORT_SECURITY = {"465": "ssl", "587": "starttls", "993": "ssl", "143": "starttls"}
SECURITY_LABELS = {"ssl": "SSL/TLS", "starttls": "STARTTLS", "none": gettext_lazy("no encryption")}
BLOCKING_POLICIES = (directory.SSO_REQUIRED, directory.UNSUPPORTED)
MAX_VALUE = 500
# Sources sure enough that the page folds the server fields away behind "Edit settings".
CONFIDENT_SOURCES = frozenset({"directory", "mx", "srv", "autoconfig", "ispdb"})


def initial_for(email: str, detection=None) -> dict:
    """Fields to pre-fill for a validated address ("" for none yet): what autodetection
    found so far (the directory, the cached cascade, or the usual names while the cascade
    runs)."""
    if not email:
        return {}
    if detection is None:
        detection = autodetect_service.hint(email, start=False)
    if detection.smtp is None and detection.imap is None:
        return {"email": email}
    # The username is filled in (the address, usually); a protocol's own username only
    # where it differs (iCloud: the local part for IMAP). With one half unusable (a
    # plaintext-only IMAP), the usable half is still filled in.
    smtp_login = detection.smtp.username if detection.smtp else email
    imap_login = detection.imap.username if detection.imap else email
    shared = smtp_login if smtp_login == imap_login or email not in (smtp_login, imap_login) else email
    initial = {
        "email": email,
        "username": shared,
        "smtp_username": "" if smtp_login == shared else smtp_login,
        "imap_username": "" if imap_login == shared else imap_login,
    }
    for protocol in PROTOCOLS:
        server = getattr(detection, protocol)
        if server is None:
            continue
        initial.update(
            {
                f"{protocol}_host": server.host,
                f"{protocol}_port": server.port,
                f"{protocol}_security": server.security,
            }
        )
    return initial


def confident(detection) -> bool:
    """Settings found by a source sure enough to fold the fields away (not a guess, not
    plain http, not still looking)."""
    return (
        detection is not None
        and not detection.pending
        and detection.smtp is not None
        and detection.imap is not None
        and detection.source in CONFIDENT_SOURCES
    )


def servers_line(detected: dict) -> str:
    """The servers as one quiet line, without ports: "smtp.mail.me.com and imap.mail.me.com"."""
    hosts = list(dict.fromkeys(h for h in (detected.get("smtp_host"), detected.get("imap_host")) if h))
    if len(hosts) == 2:
        return gettext("%(smtp)s and %(imap)s") % {"smtp": hosts[0], "imap": hosts[1]}
    return "".join(hosts)


def matching_security(port) -> str | None:
    return PORT_SECURITY.get(str(port).strip())


def user_edits(submitted) -> dict:
    """The fields the person changed since the page filled them in: name -> value.

    No mark at all (an API client, a page from before marks) means the value is the
    person's. An empty mark on a select means the page never filled it: a select always
    shows some option, and an option nobody picked is not a choice. A protocol's port
    and encryption go together: when the person changed one, both are theirs, and a
    well-known port they typed brings its encryption unless they chose one too."""
    raw = {}
    for name in AUTOFILLED:
        current = submitted.get(name)
        if current is None:
            continue
        mark = submitted.get(f"auto_{name}")
        if mark is None or (current != mark and not (name.endswith("_security") and mark == "")):
            raw[name] = current[:MAX_VALUE]
    edits = dict(raw)
    for protocol in PROTOCOLS:
        port, security = f"{protocol}_port", f"{protocol}_security"
        if port in raw and security not in raw:
            derived = matching_security(raw[port]) or submitted.get(security)
            if derived is not None:
                edits[security] = derived[:MAX_VALUE]
        elif security in raw and port not in raw and submitted.get(port) is not None:
            edits[port] = submitted[port][:MAX_VALUE]
    return edits


def keep_user_edits(detected: dict, submitted) -> dict:
    """Detected values, except where the person changed what the page had filled in.
    A field nothing was detected for keeps what was submitted."""
    merged = dict(detected)
    edits = user_edits(submitted)
    for name in AUTOFILLED:
        if name in edits:
            merged[name] = edits[name]
        elif name not in detected and submitted.get(name) is not None:
            merged[name] = submitted[name][:MAX_VALUE]
    return merged


def autofill_marks(detected: dict, submitted, shown: dict) -> list[tuple[str, str]]:
    """The page's `auto_<name>` values. A field the person changed keeps the mark it
    came with, so that it stays theirs; the others carry the detected value, or what
    the page shows when nothing was detected."""
    edits = user_edits(submitted)
    marks = []
    for name in AUTOFILLED:
        if name in edits and f"auto_{name}" in submitted:
            mark = submitted[f"auto_{name}"]
        elif name in detected:
            mark = detected[name]
        else:
            mark = shown.get(name)
        marks.append((name, "" if mark is None else str(mark)[:MAX_VALUE]))
    return marks


# Whose settings disagree with a typed field: a named source ("Fastmail’s settings say …")
# or the domain's; each a whole sentence, so that a translation can order it freely.
_NOTICES = {
    "server": (
        gettext_lazy("%(name)s’s settings say %(host)s:%(port)s, %(security)s"),
        gettext_lazy("The settings found for %(domain)s say %(host)s:%(port)s, %(security)s"),
    ),
    "logins": (
        gettext_lazy(
            "%(name)s’s settings say the SMTP username is %(smtp)s and the IMAP username is %(imap)s"
        ),
        gettext_lazy(
            "The settings found for %(domain)s say the SMTP username is %(smtp)s and the IMAP username "
            "is %(imap)s"
        ),
    ),
    "login": (
        gettext_lazy("%(name)s’s settings say the username is %(login)s"),
        gettext_lazy("The settings found for %(domain)s say the username is %(login)s"),
    ),
}


def _notices(detection, detected: dict) -> dict:
    """What to say beside a field the person typed when the answer disagrees."""
    name = detection.provider.name if detection.provider is not None else detection.label
    who = {"name": name, "domain": detection.domain}

    def said(kind: str, **values) -> str:
        named, by_domain = _NOTICES[kind]
        return str(named if name else by_domain) % {**who, **values}

    notices = {}
    for protocol in PROTOCOLS:
        if f"{protocol}_host" not in detected:
            continue  # an unusable half (autodetect/unusable.py): nothing to compare
        host, port = detected[f"{protocol}_host"], detected[f"{protocol}_port"]
        security = SECURITY_LABELS.get(detected[f"{protocol}_security"], detected[f"{protocol}_security"])
        notices[protocol] = said("server", host=host, port=port, security=security)
    smtp_login, imap_login = detected["smtp_username"], detected["imap_username"]
    address = gettext("your email address")
    if smtp_login or imap_login:
        notices["login"] = said("logins", smtp=smtp_login or address, imap=imap_login or address)
    else:
        notices["login"] = said("login", login=detected["username"] or address)
    return notices


def page_data(detection, detected: dict, stream_url: str = "", give_up_seconds: float = 0) -> dict:
    """The data island connect-form.js reads from each answer: the detected values,
    whether they are final, what to say beside a field that disagrees, and which push
    topic announces the worker's answer while the lookup runs."""
    values = {name: str(detected[name]) for name in AUTOFILLED if name in detected}
    data = {"pending": False, "confirmed": False, "blocked": False, "values": values, "notices": {}}
    if detection is None:
        return data
    data["email"] = detection.email
    # Whether the page shows the fields: folded when found, open when nothing was (the
    # script does so only while the person has not opened or closed them).
    data["found"] = confident(detection)
    data["blocked"] = detection.provider is not None and detection.provider.policy in BLOCKING_POLICIES
    data["confirmed"] = bool(values) and not detection.pending and detection.checked
    if data["confirmed"]:
        data["notices"] = _notices(detection, detected)
    if detection.pending:
        topic = f"detect-{detection.domain}"
        data.update(pending=True, topic=topic, give_up_ms=int(give_up_seconds * 1000))
        if stream_url and topics.split(topic):  # a name the stream cannot carry waits for the deadline
            data["stream"] = f"{stream_url}?{urlencode({'topics': topic})}"
    return data

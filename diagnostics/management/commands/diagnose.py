"""`manage.py diagnose EMAIL ... --json`: the worker's probes, run synchronously.

Exit status: 0 connected, 1 failed, 2 usage error. Nothing is written to the database.
"""

import json
import os
import sys
import time
from dataclasses import replace

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.views.decorators.debug import sensitive_variables

from diagnostics.autodetection import detect
from diagnostics.config import probe_config
from diagnostics.net import validate
from diagnostics.net.credentials import Password
from diagnostics.net.errors import ErrorReport, ProbeError
from diagnostics.net.mailbox import PROTOCOLS, MailboxSettings
from diagnostics.net.runner import CONNECTED, FAILED, Diagnosis, policy_errors, run_probes
from diagnostics.net.transport import SECURITY_CHOICES, ServerSettings
from diagnostics.net.usernames import normalize_app_password
from languages.commands import add_language_argument, speaking
from languages.words import say_diagnosis

MIN_PROBE_SECONDS = 1.0  # however long the start took, the servers get a real chance


class Command(BaseCommand):
    help = "Test an SMTP/IMAP mailbox connection and print the diagnosis."
    # The answer must come within MAIL_PROBE_DEADLINE of the command's start, and Django's
    # system checks would import every URL and view for nothing (2-3 s on a busy
    # machine); `manage.py check` runs them.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("email")
        secret = parser.add_mutually_exclusive_group()
        secret.add_argument("--password-env", metavar="VAR", help="read the password from $VAR")
        secret.add_argument("--password-stdin", action="store_true", help="read it from stdin")
        secret.add_argument(
            "--oauth-token-env",
            metavar="VAR",
            help="log in with the OAuth access token in $VAR (XOAUTH2/OAUTHBEARER)",
        )
        secret.add_argument(
            "--oauth-token-stdin", action="store_true", help="read the access token from stdin"
        )
        parser.add_argument(
            "--oauth-provider",
            choices=("google", "microsoft"),
            help="whose token it is, to explain a refusal (default: the address's provider)",
        )
        parser.add_argument("--username", default="", help="username for both protocols")
        for proto in PROTOCOLS:
            parser.add_argument(f"--{proto}-host")
            parser.add_argument(f"--{proto}-port")
            parser.add_argument(f"--{proto}-security", choices=SECURITY_CHOICES)
            parser.add_argument(f"--{proto}-username", default="")
        parser.add_argument(
            "--round-trip",
            action="store_true",
            help="after logging in, send a test message to the mailbox itself, find it, check Sent "
            "filing and the sender domain's DNS (waits up to MAIL_ROUND_TRIP_DEADLINE seconds)",
        )
        parser.add_argument("--json", action="store_true", help="print JSON")
        add_language_argument(parser)

    @sensitive_variables()
    def _password(self, options) -> str:
        if options["password_env"]:
            name = options["password_env"]
            if name not in os.environ:
                raise CommandError(f"environment variable {name} is not set", returncode=2)
            return os.environ[name]
        if options["password_stdin"]:
            return sys.stdin.readline().rstrip("\r\n")
        return ""

    @sensitive_variables()
    def _token(self, options) -> str:
        if options["oauth_token_env"]:
            name = options["oauth_token_env"]
            if not os.environ.get(name):
                raise CommandError(f"environment variable {name} is not set", returncode=2)
            return os.environ[name].strip()
        return sys.stdin.readline().strip()

    @sensitive_variables()
    def handle(self, *args, **options):
        started = time.monotonic()
        oauth = bool(options["oauth_token_env"] or options["oauth_token_stdin"])
        password = self._token(options) if oauth else self._password(options)
        result = diagnose(options, password, oauth=oauth, started=started)
        with speaking(options):
            if options["language"]:
                result = say_diagnosis(result)
            self._write(result, options)
        if result["status"] != CONNECTED:
            sys.exit(1)

    def _write(self, result: dict, options) -> None:
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(_human(result))


def _fields(options, proto: str, default: ServerSettings | None, email: str) -> dict:
    """The protocol's settings from the options, else the detected ones, validated."""
    host = options[f"{proto}_host"]
    port = options[f"{proto}_port"]
    security = options[f"{proto}_security"]
    username = options[f"{proto}_username"] or options["username"]
    if default is None and not host:
        raise ProbeError("invalid_input", f"Give --{proto}-host: the server is not known.")
    return {
        f"{proto}_host": validate.host(host or default.host),
        f"{proto}_port": validate.port(port if port is not None else (default.port if default else 0)),
        f"{proto}_security": validate.security(security or (default.security if default else "")),
        f"{proto}_username": validate.username(username or (default.username if default else email)),
    }


def _oauth_servers(provider, email: str) -> tuple[ServerSettings | None, ServerSettings | None]:
    """The directory's servers for signing in with the provider's token."""
    found = []
    for endpoint in (provider.oauth_smtp, provider.oauth_imap) if provider else (None, None):
        found.append(
            ServerSettings(endpoint.host, endpoint.port, endpoint.security, email) if endpoint else None
        )
    return found[0], found[1]


@sensitive_variables()
def diagnose(options: dict, password: str, oauth: bool = False, started: float | None = None) -> dict:
    """The whole diagnosis as the JSON contract describes it (with `oauth`, `password`
    is an access token, used with XOAUTH2/OAUTHBEARER for both protocols). The probes'
    deadline counts from `started` (time.monotonic()), the command's start: what came
    before them (detection, reading the password) is spent from the same budget."""
    raw_email = options["email"]
    out = {
        "email": raw_email,
        "status": FAILED,
        "verdict": FAILED,
        "provider": None,
        "settings": None,
        "sent_folder": None,
        "errors": [],
        "steps": [],
    }
    if options.get("round_trip"):
        # Imported when asked for: the round trip's IMAP search is heavy for a plain test.
        from diagnostics.net.roundtrip import RoundTrip
        from diagnostics.net.roundtrip import public as public_round_trip
        from diagnostics.net.verification import Verification

        out.update(
            round_trip=public_round_trip(RoundTrip().as_dict()),
            capabilities={"smtp": [], "imap": []},
            domain=None,
        )
    try:
        email = validate.email(raw_email)
    except ProbeError as exc:
        out["errors"] = [ErrorReport(exc.code, "input", exc.detail).as_dict()]
        return out
    out["email"] = email
    # With both servers given there is nothing to detect: the directory alone still
    # names the provider, and no DNS or HTTP request goes out.
    detection = detect(email, network=not all(options.get(f"{p}_host") for p in PROTOCOLS))
    provider = detection.provider
    if provider is not None:
        out["provider"] = {"id": provider.id, "name": provider.name, "policy": provider.policy}
    explicit = any(options.get(f"{p}_host") for p in PROTOCOLS)
    defaults = (detection.smtp, detection.imap)
    if oauth and provider is not None and provider.oauth_smtp is not None:
        defaults = _oauth_servers(provider, email)
    elif not explicit:
        blocked = policy_errors(provider)
        if blocked:
            out["errors"] = [e.as_dict() for e in blocked]
            return out
    try:
        mailbox = MailboxSettings(
            email,
            **_fields(options, "smtp", defaults[0], email),
            **_fields(options, "imap", defaults[1], email),
        )
    except ProbeError as exc:
        out["errors"] = [ErrorReport(exc.code, "input", exc.detail).as_dict()]
        return out
    smtp, imap = mailbox.server("smtp"), mailbox.server("imap")
    source = "manual" if explicit else detection.source
    out["settings"] = {"smtp": smtp.as_dict(), "imap": imap.as_dict(), "source": source}
    if oauth:
        from mailauth.tokens import bearer_for_token

        secret = bearer_for_token(
            password, options.get("oauth_provider") or (provider.sso if provider else "")
        )
    else:
        secret = Password(normalize_app_password(password, provider.id if provider else ""))
    config = probe_config()
    if started is not None:
        spent = time.monotonic() - started
        config = replace(config, deadline=max(MIN_PROBE_SECONDS, config.deadline - spent))
    checks = None
    if options.get("round_trip"):
        # The sender domain's DNS is read while the login test runs.
        checks = Verification(email, provider, config, smtp_host=smtp.host)
    diagnosis: Diagnosis = run_probes(smtp, imap, secret, config)
    # The logins' verdict, as the mailbox page shows it; `status` (and the exit status) also
    # count the round trip's outcome when it was asked for, as they always have.
    out["verdict"] = diagnosis.status
    if checks is not None:
        checks.finish(
            diagnosis, smtp, imap, secret, round_trip=True, wait_seconds=settings.MAIL_ROUND_TRIP_DEADLINE
        )
        out["round_trip"] = public_round_trip(diagnosis.round_trip or {})
        out["capabilities"] = {p: list(diagnosis.capabilities.get(p) or []) for p in PROTOCOLS}
        out["domain"] = diagnosis.domain
    out["status"] = diagnosis.status
    out["sent_folder"] = diagnosis.sent_folder or None
    out["errors"] = [e.as_dict() for e in diagnosis.errors]
    out["steps"] = [s.as_dict() for s in diagnosis.steps]
    out["folders"] = diagnosis.folders
    out["transcript"] = diagnosis.transcripts
    return out


def _human(result: dict) -> str:
    lines = [f"{result['email']}: {result['status']}"]
    for step in result["steps"]:
        mark = "ok " if step["ok"] else "FAIL"
        lines.append(f"  [{mark}] {step['protocol']} {step['name']} ({step['ms']} ms) {step['detail']}")
    if result["sent_folder"]:
        lines.append(f"  Sent folder: {result['sent_folder']}")
    trip = result.get("round_trip")
    if trip:
        where = f" in {trip['folder']} after {trip['latency_ms']} ms" if trip["folder"] else ""
        lines.append(f"  Round trip: {trip['status']}{where}; Sent filing: {trip['sent_filing']}")
        lines.append("  Receiving server: " + " ".join(f"{k}={v}" for k, v in trip["auth_results"].items()))
    for name, item in (result.get("domain") or {}).items():
        lines.append(f"  {name.upper()}: {item['status']} — {item.get('detail', '')}")
    for error in result["errors"]:
        lines.append(f"  {error['code']} ({error['reason']}): {error['title']} — {error['detail']}")
        if error["suggestion"]:
            lines.append(f"    fix: {error['suggestion'].get('message', '')}")
        if error["server_reply"]:
            lines.append(f"    server said: {error['server_reply']}")
        for tip in error["help"]:
            lines.append(f"    - {tip}")
    return "\n".join(lines) + "\n"

"""`manage.py detect EMAIL --json`: the settings we would use, where each field came
from and how sure we are. Runs the whole cascade here, synchronously; logs in nowhere."""

import json
import sys

from django.core.management.base import BaseCommand

from diagnostics.autodetection import detect
from diagnostics.net import validate
from diagnostics.net.errors import ProbeError
from languages.commands import add_language_argument, speaking
from languages.words import say, say_all


class Command(BaseCommand):
    help = "Show the SMTP/IMAP settings detected for an email address."
    # As `diagnose`: the system checks would import every view for nothing.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--json", action="store_true", help="print JSON")
        parser.add_argument(
            "--all-sources",
            action="store_true",
            help="wait for every source (up to the deadline) to show all disagreements",
        )
        parser.add_argument("--fresh", action="store_true", help="ignore the cached result for the domain")
        parser.add_argument("--offline", action="store_true", help="directory and cache only, no network")
        add_language_argument(parser)

    def handle(self, *args, **options):
        with speaking(options):
            self._detect(options)

    def _detect(self, options) -> None:
        try:
            email = validate.email(options["email"])
        except ProbeError as exc:
            self.stderr.write(say(exc.detail))
            sys.exit(2)
        detection = detect(
            email,
            network=not options["offline"],
            use_cache=not options["fresh"],
            complete=options["all_sources"],
        )
        result = detection.as_dict()
        if options["language"]:
            result["notes"] = say_all(result["notes"])
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
            return
        self.stdout.write(_human(result))


def _human(result: dict) -> str:
    provider = result["provider"]
    name = provider["name"] if provider else result["label"] or "unknown provider"
    lines = [f"{result['email']}: {name}" + (f" ({provider['policy']})" if provider else "")]
    for proto, values in (result["fields"] or {}).items():
        host, port, security, user = (values[k] for k in ("host", "port", "security", "username"))
        lines.append(
            f"  {proto}: {host['value']}:{port['value']} {security['value']} user {user['value']}"
            f"  [{host['source']}, {host['confidence']} confidence; username from {user['source']}]"
        )
    lines.append(f"  source: {result['source']} ({result['elapsed_ms']} ms)")
    for item in result["disagreements"]:
        other = item["other"]
        lines.append(
            f"  disagreement on {item['protocol']} {', '.join(item['fields'])}: {other['source']} says "
            f"{other['host']}:{other['port']} {other['security']}"
        )
    for note in result["notes"]:
        lines.append(f"  note: {note}")
    for report in result["sources"]:
        lines.append(f"  - {report['source']}: {report['status']} {report['detail']}".rstrip())
    return "\n".join(lines) + "\n"

"""`manage.py detect EMAIL --json`: the settings we would use; logs in nowhere."""

import json
import sys

from django.core.management.base import BaseCommand

from diagnostics import validate
from diagnostics.autodetect import detect
from diagnostics.errors import ProbeError


class Command(BaseCommand):
    help = "Show the SMTP/IMAP settings detected for an email address."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args, **options):
        try:
            email = validate.email(options["email"])
        except ProbeError as exc:
            self.stderr.write(exc.detail)
            sys.exit(2)
        result = detect(email).as_dict()
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
            return
        provider = result["provider"]
        self.stdout.write(f"{email}: {provider['name'] if provider else 'unknown provider'}")
        for proto, values in (result["settings"] or {}).items():
            self.stdout.write(
                f"  {proto}: {values['host']}:{values['port']} {values['security']} user {values['username']}"
            )
        self.stdout.write(f"  source: {result['source']}")

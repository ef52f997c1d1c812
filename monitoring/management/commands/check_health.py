"""Run health checks now, in this process (cron deployments without beat, operators)."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import Mailbox
from languages.commands import add_language_argument, speaking
from monitoring import checks, readiness, schedule
from monitoring import state as mailbox_states
from monitoring.models import Health, State


class Command(BaseCommand):
    help = "Check mailboxes' health now. Exit 0 if all are connected, 1 otherwise."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--all", action="store_true", help="every monitored mailbox that is not paused")
        which.add_argument("--mailbox", type=int, metavar="ID", help="one mailbox")
        which.add_argument("--due", action="store_true", help="the mailboxes whose check is due")
        parser.add_argument("--json", action="store_true", help="one JSON document on stdout")
        add_language_argument(parser)

    def handle(self, *args, **options):
        with speaking(options):
            self._check(options)

    def _check(self, options) -> None:
        schedule.enroll()
        if options["mailbox"] is not None:
            mailbox = Mailbox.objects.filter(pk=options["mailbox"]).first()
            if mailbox is None:
                raise CommandError(f"no mailbox {options['mailbox']}")
            checks.ensure_health(mailbox)
            ids = [mailbox.pk]
        else:
            rows = schedule.due(timezone.now()) if options["due"] else Health.objects.all()
            ids = _pages(rows.exclude(state=State.PAUSED))
        results = []
        for pk in ids:
            results.append(self._one(pk))
        ok = all(r["after"] == State.CONNECTED for r in results)
        if options["json"]:
            self.stdout.write(json.dumps({"ok": ok, "mailboxes": results}, indent=2))
        else:
            for r in results:
                why = f"  {r['error_code']}/{r['reason']}" if r["error_code"] else ""
                note = f"  (not checked: {r['skipped']})" if r["skipped"] else ""
                self.stdout.write(f"{r['id']}\t{r['email']}\t{r['before']} -> {r['after']}{why}{note}")
        if not ok:
            raise SystemExit(1)

    def _one(self, pk: int) -> dict:
        health = Health.objects.select_related("mailbox").get(pk=pk)
        token = schedule.claim(pk)
        if token is None:
            outcome = checks.Outcome(pk, health.mailbox.email, health.state, health.state, None, "busy")
        else:
            outcome = checks.run_check(pk, token)
        # Additive: the mailbox's state as every page words it (monitoring/state.py), and
        # whether it still signs in to Microsoft with a password (Basic SMTP AUTH ends at
        # the cut-off).
        return {
            **outcome.as_dict(),
            **mailbox_states.of(health.mailbox).as_dict(),
            "microsoft_password": readiness.is_at_risk(health.mailbox),
        }


def _pages(rows, size: int = 500):
    """Ids in keyset pages: never every mailbox in memory, no cursor held across writes."""
    last = 0
    while True:
        page = list(rows.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:size])
        yield from page
        if len(page) < size:
            return
        last = page[-1]

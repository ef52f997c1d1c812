"""Decrypt every registered secret (core.secrets); exit non-zero if any fails."""

from django.core.management.base import BaseCommand, CommandError

from core import secrets


class Command(BaseCommand):
    help = (
        "Check that every stored secret (mailbox passwords, OAuth tokens, webhook secrets, "
        "import cells) decrypts with the configured keys."
    )

    def handle(self, *args, **options):
        ok, failed = secrets.check()
        if failed:
            raise CommandError(
                f"{len(failed)} of {ok + len(failed)} credential(s) cannot be decrypted "
                f"({', '.join(failed[:20])})."
            )
        self.stdout.write(f"All {ok} credential(s) decrypt.")

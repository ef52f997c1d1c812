"""Re-encrypt every registered secret (core.secrets) with the first key in CREDENTIALS_KEYS."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core import secrets


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret (mailbox passwords, OAuth tokens, webhook secrets, "
        "import cells) with the first CREDENTIALS_KEYS key."
    )

    def handle(self, *args, **options):
        with transaction.atomic():
            rotated, failed = secrets.rotate()
            if failed:
                # Leave every row as it was: a half-rotated table is harder to repair.
                transaction.set_rollback(True)
                raise CommandError(
                    f"{len(failed)} credential(s) cannot be decrypted ({', '.join(failed[:20])}); "
                    "nothing was changed."
                )
        self.stdout.write(f"Re-encrypted {rotated} credential(s) with the first key.")

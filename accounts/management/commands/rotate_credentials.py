"""Re-encrypt every stored password with the first key in CREDENTIALS_KEYS."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts import crypto
from accounts.models import Mailbox


class Command(BaseCommand):
    help = "Re-encrypt all stored mailbox passwords with the first CREDENTIALS_KEYS key."

    def handle(self, *args, **options):
        rotated, failed = 0, []
        with transaction.atomic():
            for mailbox in Mailbox.objects.select_for_update().only("pk", "password_encrypted").iterator():
                try:
                    token = crypto.rotate(mailbox.password_encrypted)
                except crypto.DecryptionError:
                    failed.append(mailbox.pk)
                    continue
                Mailbox.objects.filter(pk=mailbox.pk).update(password_encrypted=token)
                rotated += 1
            if failed:
                # Leave every row as it was: a half-rotated table is harder to repair.
                transaction.set_rollback(True)
                raise CommandError(
                    f"{len(failed)} credential(s) cannot be decrypted (mailbox ids "
                    f"{', '.join(map(str, failed[:20]))}); nothing was changed."
                )
        self.stdout.write(f"Re-encrypted {rotated} credential(s) with the first key.")

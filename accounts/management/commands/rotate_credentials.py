"""Re-encrypt every stored password and OAuth token with the first key in CREDENTIALS_KEYS."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Mailbox
from core import crypto
from mailauth.models import OAuthCredential


def _rotate_rows(queryset, columns, rotated: list, failed: list) -> None:
    for row in queryset.select_for_update().only("pk", *columns).iterator():
        changes = {}
        for column in columns:
            value = getattr(row, column)
            if not value:
                continue  # an OAuth mailbox has no password, a grant may lack a refresh token
            try:
                changes[column] = crypto.rotate(value)
            except crypto.DecryptionError:
                failed.append(f"{row._meta.model_name} {row.pk} {column}")
        if changes:
            queryset.model.objects.filter(pk=row.pk).update(**changes)
            rotated.append(len(changes))


class Command(BaseCommand):
    help = "Re-encrypt all stored mailbox passwords and OAuth tokens with the first CREDENTIALS_KEYS key."

    def handle(self, *args, **options):
        rotated: list = []
        failed: list = []
        with transaction.atomic():
            _rotate_rows(Mailbox.objects.all(), ("password_encrypted",), rotated, failed)
            _rotate_rows(OAuthCredential.objects.all(), OAuthCredential.ENCRYPTED, rotated, failed)
            if failed:
                # Leave every row as it was: a half-rotated table is harder to repair.
                transaction.set_rollback(True)
                raise CommandError(
                    f"{len(failed)} credential(s) cannot be decrypted ({', '.join(failed[:20])}); "
                    "nothing was changed."
                )
        self.stdout.write(f"Re-encrypted {sum(rotated)} credential(s) with the first key.")

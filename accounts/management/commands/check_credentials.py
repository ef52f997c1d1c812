"""Decrypt every stored password and OAuth token; exit non-zero if any fails."""

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Mailbox
from core import crypto
from mailauth.models import OAuthCredential


def _stored():
    """(label, ciphertext) of every stored secret: passwords, then OAuth tokens."""
    rows = Mailbox.objects.exclude(password_encrypted="").values_list("pk", "password_encrypted")
    for pk, token in rows.iterator():
        yield f"mailbox {pk}", token
    for row in OAuthCredential.objects.values("mailbox_id", *OAuthCredential.ENCRYPTED).iterator():
        for column in OAuthCredential.ENCRYPTED:
            if row[column]:
                yield (
                    f"mailbox {row['mailbox_id']} {column.removesuffix('_encrypted').replace('_', ' ')}",
                    row[column],
                )


class Command(BaseCommand):
    help = "Check that every stored mailbox password and OAuth token decrypts with the configured keys."

    def handle(self, *args, **options):
        ok, failed = 0, []
        for label, token in _stored():
            try:
                crypto.decrypt(token)
            except crypto.DecryptionError:
                failed.append(label)
            else:
                ok += 1
        if failed:
            raise CommandError(
                f"{len(failed)} of {ok + len(failed)} credential(s) cannot be decrypted "
                f"({', '.join(failed[:20])})."
            )
        self.stdout.write(f"All {ok} credential(s) decrypt.")

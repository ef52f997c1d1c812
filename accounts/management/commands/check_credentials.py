"""Decrypt every stored password; exit non-zero if any fails."""

from django.core.management.base import BaseCommand, CommandError

from accounts import crypto
from accounts.models import Mailbox


class Command(BaseCommand):
    help = "Check that every stored mailbox password decrypts with the configured keys."

    def handle(self, *args, **options):
        ok, failed = 0, []
        for pk, token in Mailbox.objects.values_list("pk", "password_encrypted").iterator():
            try:
                crypto.decrypt(token)
            except crypto.DecryptionError:
                failed.append(pk)
            else:
                ok += 1
        if failed:
            raise CommandError(
                f"{len(failed)} of {ok + len(failed)} credential(s) cannot be decrypted "
                f"(mailbox ids {', '.join(map(str, failed[:20]))})."
            )
        self.stdout.write(f"All {ok} credential(s) decrypt.")

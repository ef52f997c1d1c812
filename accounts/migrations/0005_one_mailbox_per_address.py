"""One mailbox per address and user.

Rows that already repeat an address (in any case) for the same user are merged first
into the most recently changed one, which holds the settings and password the person
entered last. Its tests and support requests move to it, so no history is lost; a
sign-in (OAuth) of a removed row moves too when the kept row has none.
"""

from django.db import migrations, models
from django.db.models.functions import Lower


def merge_duplicates(apps, schema_editor):
    Mailbox = apps.get_model("accounts", "Mailbox")
    ConnectionTest = apps.get_model("diagnostics", "ConnectionTest")
    SupportRequest = apps.get_model("support", "SupportRequest")
    OAuthCredential = apps.get_model("mailauth", "OAuthCredential")
    repeated = (
        Mailbox.objects.annotate(address=Lower("email"))
        .values("user_id", "address")
        .annotate(rows=models.Count("pk"))
        .filter(rows__gt=1)
    )
    for row in repeated:
        boxes = list(
            Mailbox.objects.annotate(address=Lower("email"))
            .filter(user_id=row["user_id"], address=row["address"])
            .order_by("-updated_at", "-pk")
        )
        kept, others = boxes[0], [box.pk for box in boxes[1:]]
        ConnectionTest.objects.filter(mailbox_id__in=others).update(mailbox_id=kept.pk)
        SupportRequest.objects.filter(mailbox_id__in=others).update(mailbox_id=kept.pk)
        if not OAuthCredential.objects.filter(mailbox_id=kept.pk).exists():
            spare = OAuthCredential.objects.filter(mailbox_id__in=others).order_by("-pk").first()
            if spare is not None:
                OAuthCredential.objects.filter(pk=spare.pk).update(mailbox_id=kept.pk)
        Mailbox.objects.filter(pk__in=others).delete()


class Migration(migrations.Migration):
    # The merge commits in its own transaction before the index is built: PostgreSQL
    # builds no index on a table with row changes pending in the same transaction.
    atomic = False

    dependencies = [
        ("accounts", "0004_mailbox_auth_method"),
        ("diagnostics", "0002_folders_transcript_provider"),
        ("support", "0001_initial"),
        ("mailauth", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(merge_duplicates, migrations.RunPython.noop, atomic=True),
        migrations.AddConstraint(
            model_name="mailbox",
            constraint=models.UniqueConstraint(Lower("email"), "user", name="mailbox_one_per_address"),
        ),
    ]

from django.db import migrations
from django.db.models import F
from django.db.models.functions import Coalesce, Now


def monitored_since(apps, schema_editor):
    """Rows enrolled before state_changed_at was set at enrolment sorted last (SQLite) or
    first (PostgreSQL) in the fleet view: give them the time of their last check."""
    Health = apps.get_model("monitoring", "Health")
    Health.objects.filter(state_changed_at__isnull=True).update(state_changed_at=Coalesce(F("last_check_at"), Now()))


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0001_initial")]

    operations = [migrations.RunPython(monitored_since, migrations.RunPython.noop)]

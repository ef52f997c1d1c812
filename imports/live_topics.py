"""`import-<id>`: rows of an import job got results (coalesced per write batch).
Its owner may watch it; it fires by itself when an unfinished row passes its deadline."""

from core.ids import as_id
from live import topics


def _is_id(key: str) -> bool:
    return as_id(key) is not None


def _owner(user, key: str) -> bool:
    from .models import ImportJob

    return _is_id(key) and ImportJob.objects.filter(pk=key, user=user).exists()


def _changes(key: str) -> list:
    from . import rows as R
    from .models import ImportRow

    if not _is_id(key):
        return []
    deadline = (
        ImportRow.objects.filter(job_id=key, state__in=[R.QUEUED, R.TESTING], deadline_at__isnull=False)
        .order_by("-deadline_at")
        .values_list("deadline_at", flat=True)
        .first()
    )
    return [deadline] if deadline else []


def register() -> None:
    topics.register("import", _owner, wake_at=_changes)

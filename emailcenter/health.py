"""/healthz/: is this web process, its database, a worker and beat alive, and does the
outbox hold tasks? For load balancers, compose and people; no secret, no user data.

200 when the database answers and a worker and beat have written their heartbeat within
three heartbeats (HEARTBEAT_SECONDS); 503 otherwise, with what is missing."""

from datetime import timedelta

from django.conf import settings
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core import outbox
from core.models import Heartbeat


@never_cache
@require_GET
def healthz(request):
    try:
        now = timezone.now()
        window = timedelta(seconds=settings.HEARTBEAT_SECONDS * 3)
        roles = {}
        for role in ("worker", "beat"):
            last = (
                Heartbeat.objects.filter(role=role)
                .order_by("-beat_at")
                .values_list("beat_at", flat=True)
                .first()
            )
            alive = Heartbeat.objects.filter(role=role, beat_at__gte=now - window).count()
            roles[role] = {
                "alive": alive,
                "last_seen_seconds": round((now - last).total_seconds(), 1) if last else None,
            }
        held, oldest = outbox.held_count()
    except Exception:  # the database is down or locked: say so, never a 500
        return JsonResponse({"status": "unavailable", "database": False}, status=503)
    healthy = all(r["alive"] for r in roles.values())
    body = {
        "status": "ok" if healthy else "degraded",
        "database": True,
        **roles,
        "outbox": {"held": held, "oldest_seconds": round(oldest, 1) if oldest is not None else None},
    }
    return JsonResponse(body, status=200 if healthy else 503)

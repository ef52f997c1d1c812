"""The banner on every page while one of the person's mailboxes is disconnected."""

from .models import Health, State


def health_banner(request) -> dict:
    """One indexed query for a signed-in person's page; nothing for visitors (lazy: a
    template that never includes the banner never runs it)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def disconnected():
        return list(
            Health.objects.filter(mailbox__user=user, state=State.DISCONNECTED)
            .select_related("mailbox")
            .order_by("mailbox__email")[:5]
        )

    return {"health_disconnected": disconnected}

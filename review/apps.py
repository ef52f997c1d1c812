from django.apps import AppConfig


def _admin_may_watch(user, key: str) -> bool:
    """Admins watch any test they open or re-run (the owner's rule is diagnostics')."""
    from core.roles import ADMIN, has_role

    return has_role(user, ADMIN)


class ReviewConfig(AppConfig):
    name = "review"
    verbose_name = "Failed connections review"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from live import topics

        topics.register("test", _admin_may_watch)

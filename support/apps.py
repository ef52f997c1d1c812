from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _create_roles(sender, using="default", **kwargs):
    # After every migrate (and every test database flush) the groups exist with
    # exactly their permissions; `manage.py setup_roles` does the same by hand.
    from core.roles import ensure_roles

    ensure_roles()


def _agent_may_watch(user, key: str) -> bool:
    """Support agents follow a test of a mailbox someone asked them about (a re-run)."""
    from core.ids import as_id
    from core.roles import SUPPORT, has_role

    from .models import SupportRequest

    if as_id(key) is None or not has_role(user, SUPPORT):
        return False
    return SupportRequest.objects.filter(mailbox__tests__pk=key).exists()


class SupportConfig(AppConfig):
    name = "support"
    verbose_name = _("Support requests")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings
        from PIL import Image

        # Pillow's own decompression-bomb guard, at our limit: it warns above it and
        # refuses twice that. Our upload check refuses anything above it first.
        Image.MAX_IMAGE_PIXELS = settings.SUPPORT_SCREENSHOT_MAX_PIXELS
        post_migrate.connect(_create_roles, sender=self, dispatch_uid="support.create_roles")
        from live import topics

        topics.register("test", _agent_may_watch)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "imports"
    verbose_name = _("Bulk import")

    def ready(self) -> None:
        from core import secrets

        from . import live_topics, queueing

        live_topics.register()
        queueing.connect()
        secrets.register(self.get_model("ImportRow"), "cells_encrypted", label="import row cells")
        secrets.register(self.get_model("ImportRow"), "password_encrypted", label="import row password")

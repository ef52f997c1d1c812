from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "imports"
    verbose_name = "Bulk import"

    def ready(self) -> None:
        from . import live_topics

        live_topics.register()

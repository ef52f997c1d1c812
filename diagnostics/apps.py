from django.apps import AppConfig


class DiagnosticsConfig(AppConfig):
    name = "diagnostics"
    verbose_name = "Connection tests"

    def ready(self) -> None:
        from . import live_topics, queueing

        live_topics.register()
        queueing.connect()

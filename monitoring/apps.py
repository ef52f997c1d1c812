from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = "Mailbox health"

    def ready(self) -> None:
        from core import secrets

        preference = self.get_model("AlertPreference")
        secrets.register(preference, "webhook_secret_encrypted", label="webhook secret")

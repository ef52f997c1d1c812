from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Mailboxes"

    def ready(self) -> None:
        from core import secrets

        secrets.register(self.get_model("Mailbox"), "password_encrypted", label="mailbox password")

"""The OAuth grant behind a mailbox that signs in with Google or Microsoft."""

from django.db import models

from core import crypto


class OAuthCredential(models.Model):
    """One mailbox's tokens, encrypted like passwords (CREDENTIALS_KEYS, MultiFernet).

    The address is the one the provider vouched for when the person signed in;
    `needs_reconnect` is set when the provider refused to renew the grant.
    """

    class Provider(models.TextChoices):
        GOOGLE = "google", "Google"
        MICROSOFT = "microsoft", "Microsoft"

    mailbox = models.OneToOneField("accounts.Mailbox", on_delete=models.CASCADE, related_name="oauth")
    provider = models.CharField(max_length=20, choices=Provider)
    subject = models.CharField(max_length=255, blank=True)
    email = models.EmailField("address vouched for by the provider", max_length=254)
    scopes = models.TextField(blank=True)
    access_token_encrypted = models.TextField(editable=False)
    refresh_token_encrypted = models.TextField(editable=False, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    needs_reconnect = models.BooleanField(default=False)
    last_refreshed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    ENCRYPTED = ("access_token_encrypted", "refresh_token_encrypted")

    def __str__(self) -> str:
        return f"{self.get_provider_display()} sign-in for {self.email}"

    def __repr__(self) -> str:  # never the ciphertext in debug output
        return f"<OAuthCredential {self.pk} {self.provider} {self.email}>"

    @property
    def label(self) -> str:
        return self.get_provider_display()

    def access_token(self) -> str:
        return crypto.decrypt(self.access_token_encrypted)

    def refresh_token(self) -> str:
        return crypto.decrypt(self.refresh_token_encrypted) if self.refresh_token_encrypted else ""

    def set_access_token(self, token: str) -> None:
        self.access_token_encrypted = crypto.encrypt(token)

    def set_refresh_token(self, token: str) -> None:
        self.refresh_token_encrypted = crypto.encrypt(token) if token else ""

    def scope_list(self) -> list[str]:
        return self.scopes.split()

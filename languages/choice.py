"""Which language a person gets: their saved choice, then the browser's Accept-Language
(or the switcher's cookie when signed out), then English (settings.LANGUAGE_CODE)."""

from django.conf import settings

from .models import LanguagePreference

# The session carries a signed-in person's saved choice, so that no request reads it again.
SESSION_KEY = "saved_language"
SUPPORTED = frozenset(code for code, _ in settings.LANGUAGES)


def supported(code: str | None) -> str:
    """`code` when the app speaks it (a region falls back to its language), else ""."""
    if not code:
        return ""
    code = code.lower().replace("_", "-")
    for candidate in (code, code.split("-", 1)[0]):
        if candidate in SUPPORTED:
            return candidate
    return ""


def for_user(user) -> str:
    """The language to write to `user` in (emails, replies): saved or last seen, else English."""
    if user is None or not getattr(user, "pk", None):
        return settings.LANGUAGE_CODE
    language = LanguagePreference.objects.filter(user_id=user.pk).values_list("language", flat=True).first()
    return supported(language) or settings.LANGUAGE_CODE


def save_choice(request, user, language: str) -> None:
    """The switcher's choice, saved to the account; it wins over the browser from now on."""
    LanguagePreference.objects.update_or_create(user=user, defaults={"language": language, "chosen": True})
    request.session[SESSION_KEY] = language


def on_sign_in(request, user) -> None:
    """Put the saved choice in the session; without one, remember the browser's language
    for the emails we send this person."""
    pref = LanguagePreference.objects.filter(user=user).first()
    if pref is not None and pref.chosen:
        request.session[SESSION_KEY] = pref.language  # from the next request on
        return
    # The language the sign-in request was served in (LocaleMiddleware sets it); a sign-in
    # made outside a request (a test client's force_login, a shell) records nothing.
    current = supported(getattr(request, "LANGUAGE_CODE", ""))
    if not current:
        return
    if pref is None:
        LanguagePreference.objects.create(user=user, language=current)
    elif pref.language != current:
        pref.language = current
        pref.save(update_fields=["language", "updated_at"])

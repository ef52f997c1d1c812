from django.middleware.locale import LocaleMiddleware
from django.utils import translation

from .choice import SESSION_KEY, supported


class SavedLanguageMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware (the switcher's cookie, then Accept-Language, then
    English), with a signed-in person's saved choice first. The choice rides in the
    session, so this costs no query of its own: placed after SessionMiddleware. The app
    has no language prefixes in its URLs (one URL per page), so none is checked."""

    def process_request(self, request):
        session = getattr(request, "session", None)
        language = supported(session.get(SESSION_KEY)) if session is not None else ""
        translation.activate(language or translation.get_language_from_request(request))
        request.LANGUAGE_CODE = translation.get_language()

from asgiref.sync import sync_to_async
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

from .choice import SESSION_KEY, supported


def _saved(request) -> str:
    session = getattr(request, "session", None)
    return supported(session.get(SESSION_KEY)) if session is not None else ""


def _saved_apart(request) -> str:
    """_saved() in a thread of its own that hands its connection back: a live stream lasts
    minutes, and must not hold the connection that reading its session took."""
    from django.db import connections

    try:
        return _saved(request)
    finally:
        connections.close_all()


class SavedLanguageMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware (the switcher's cookie, then Accept-Language, then
    English), with a signed-in person's saved choice first. The choice rides in the
    session, so this costs no query of its own: placed after SessionMiddleware. The app
    has no language prefixes in its URLs (one URL per page), so none is checked."""

    def process_request(self, request):
        self._activate(request, _saved(request))

    async def __acall__(self, request):
        self._activate(request, await sync_to_async(_saved_apart, thread_sensitive=False)(request))
        response = await self.get_response(request)
        return self.process_response(request, response)  # headers only: no database

    @staticmethod
    def _activate(request, saved: str) -> None:
        translation.activate(saved or translation.get_language_from_request(request))
        request.LANGUAGE_CODE = translation.get_language()

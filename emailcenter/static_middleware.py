"""WhiteNoise as an async-capable middleware.

WhiteNoise's middleware is sync-only. Under ASGI Django would then run it, and with it
the rest of every request, through a thread, live streams included. This subclass looks
up and reads static files in a thread only for paths under STATIC_URL; every other
request goes straight on to the async handler.
"""

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpResponse
from whitenoise.middleware import WhiteNoiseMiddleware


class AsyncWhiteNoiseMiddleware(WhiteNoiseMiddleware):
    sync_capable = True
    async_capable = True

    def __init__(self, get_response=None, **kwargs):
        super().__init__(get_response, **kwargs)
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.async_mode:
            return self.__acall__(request)
        return super().__call__(request)

    async def __acall__(self, request):
        if request.path_info.startswith(self.static_prefix):
            response = await sync_to_async(self._serve_whole, thread_sensitive=False)(request)
            if response is not None:
                return response
        return await self.get_response(request)

    def _serve_whole(self, request) -> HttpResponse | None:
        """The file read at once: static files are small, and a sync file iterator
        would otherwise be read to the end on the event loop's behalf anyway."""
        path = request.path_info
        static_file = self.find_file(path) if self.autorefresh else self.files.get(path)
        if static_file is None:
            return None
        served = static_file.get_response(request.method, request.META)
        body = b""
        if served.file is not None:
            with served.file:
                body = served.file.read()
        response = HttpResponse(body, status=int(served.status))
        del response["Content-Type"]
        for key, value in served.headers:
            response[key] = value
        return response

"""The largest request body a web process accepts (WEB_MAX_BODY_BYTES), enforced as it
arrives: Django's ASGI handler reads a whole body, to disk past 2.5 MB, before any view
or middleware can look at it, so an endless upload would fill the disk first.

A declared Content-Length over the cap is answered 413 before a byte is read; a body
that grows past it (chunked, or lying about its length) is cut off there and answered
413 too. Each view then applies its own, smaller bound (README, "Bounded input").
"""

from django.utils.translation import gettext as _


class BodyLimit:
    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or self.max_bytes <= 0:
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", ())).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        received = 0
        cut_off = False
        started = False

        async def counting_receive():
            nonlocal received, cut_off
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    cut_off = True
                    return {"type": "http.disconnect"}  # Django stops reading and answers nothing
            return message

        async def watching_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, counting_receive, watching_send)
        if cut_off and not started:
            await self._refuse(send)

    async def _refuse(self, send) -> None:
        megabytes = self.max_bytes / (1024 * 1024)
        text = _("The request is too large (more than %(mb).0f MB).") % {"mb": megabytes}
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close")],
            }
        )
        await send({"type": "http.response.body", "body": text.encode()})

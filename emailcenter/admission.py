"""How many requests one web process runs through Django at once (ASGI).

Under ASGI, Django runs each request's sync code (views, the ORM) in a thread of that
request's own, with a database connection of its own. When a thousand pages ask at the
same moment (a thousand tests ending together, each page re-fetching its status), a
thousand threads and connections fight over one interpreter lock: the process then
answered about 30 requests a second instead of over a hundred. Here the requests past
`WEB_MAX_CONCURRENT_REQUESTS` wait their turn in the event loop, which costs nothing,
and are served in arrival order.

A request takes its turn once its body has been read, so a slow upload holds no turn.
The live streams (live/asgi.py) never come through here: an open page holds none.
"""

import asyncio


class Admission:
    def __init__(self, app, limit: int):
        self.app = app
        self.limit = limit
        self._turns: asyncio.Semaphore | None = None  # made in the server's event loop

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or self.limit <= 0:
            await self.app(scope, receive, send)
            return
        if self._turns is None:
            self._turns = asyncio.Semaphore(self.limit)
        turns = self._turns
        holding = False

        async def receive_then_wait():
            nonlocal holding
            message = await receive()
            if not holding and message["type"] == "http.request" and not message.get("more_body"):
                await turns.acquire()  # the body is in: wait for a turn before Django runs
                holding = True
            return message

        try:
            await self.app(scope, receive_then_wait, send)
        finally:
            if holding:
                turns.release()

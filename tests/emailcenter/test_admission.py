"""emailcenter/admission.py: at most WEB_MAX_CONCURRENT_REQUESTS requests run through
Django at once; the others wait in the event loop, and a request whose body is still
arriving holds no turn. The inner app here reads the whole body first, as Django's
ASGIHandler does, then works for a while."""

import asyncio

import pytest

from emailcenter.admission import Admission

# No database, cache or broker: the storage tier cannot change the outcome.
pytestmark = pytest.mark.tier_independent


class App:
    """Reads the body, then holds the request for `work` seconds; counts how many run at once."""

    def __init__(self, work: float = 0.02, fail_first: bool = False):
        self.work = work
        self.running = 0
        self.most = 0
        self.served: list[str] = []
        self.fail_first = fail_first

    async def __call__(self, scope, receive, send):
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            if self.fail_first:
                self.fail_first = False
                raise RuntimeError("the view failed")
            await asyncio.sleep(self.work)
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": body})
            self.served.append(scope["path"])
        finally:
            self.running -= 1


def _request(app, path: str, chunks: list[bytes], gaps: float = 0.0):
    """Send the body in chunks, `gaps` seconds apart; return the response body."""

    async def run():
        queue: asyncio.Queue = asyncio.Queue()

        async def feed():
            for i, chunk in enumerate(chunks):
                if i:
                    await asyncio.sleep(gaps)
                await queue.put({"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1})

        feeding = asyncio.create_task(feed())
        sent = []

        async def send(message):
            sent.append(message)

        await app({"type": "http", "path": path, "method": "POST"}, queue.get, send)
        await feeding
        return b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")

    return run()


def test_no_more_than_the_limit_run_at_once_and_every_request_is_served():
    inner = App()
    app = Admission(inner, limit=3)

    async def main():
        return await asyncio.gather(*(_request(app, f"/{i}", [b"x%d" % i]) for i in range(30)))

    bodies = asyncio.run(main())
    assert inner.most == 3
    assert sorted(bodies) == sorted(b"x%d" % i for i in range(30))


def test_without_a_limit_every_request_runs_at_once():
    inner = App()

    async def main():
        await asyncio.gather(*(_request(Admission(inner, limit=0), f"/{i}", [b"x"]) for i in range(30)))

    asyncio.run(main())
    assert inner.most == 30


def test_a_slow_upload_holds_no_turn():
    inner = App(work=0.01)
    app = Admission(inner, limit=1)

    async def main():
        slow = asyncio.create_task(_request(app, "/upload", [b"a", b"b", b"c"], gaps=0.3))
        await asyncio.sleep(0.05)  # the upload has sent its first chunk and waits
        quick = await asyncio.wait_for(_request(app, "/quick", [b"q"]), timeout=0.2)
        return quick, await slow

    quick, slow = asyncio.run(main())
    assert (quick, slow) == (b"q", b"abc")
    assert inner.served == ["/quick", "/upload"]


def test_a_request_that_fails_gives_its_turn_back():
    inner = App(fail_first=True)
    app = Admission(inner, limit=1)

    async def main():
        with pytest.raises(RuntimeError):
            await _request(app, "/fails", [b"x"])
        return await asyncio.wait_for(_request(app, "/next", [b"y"]), timeout=1)

    assert asyncio.run(main()) == b"y"


def test_other_scopes_pass_straight_through():
    seen = []

    async def inner(scope, receive, send):
        seen.append(scope["type"])

    asyncio.run(Admission(inner, limit=1)({"type": "lifespan"}, None, None))
    assert seen == ["lifespan"]

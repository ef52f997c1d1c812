"""Web: p50/p95 latency and requests per second of the connect page and of the status
polling partial, under 32 concurrent clients (wrk), served by gunicorn with
production settings (DEBUG=0) on loopback. Needs `wrk` (apt-get install wrk).

    .venv/bin/python bench/web.py [--seconds 10] [--workers 4] [--write]
"""

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

from harness import ENV, ROOT, SCRATCH, header, write_section  # noqa: I001 (sets up Django)

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore

from accounts.models import Mailbox
from diagnostics.models import ConnectionTest, TestError, TestStep

STEPS = [("smtp", n) for n in ("dns", "connect", "greeting", "ehlo", "starttls", "auth")] + [
    ("imap", n) for n in ("dns", "connect", "tls", "greeting", "capability", "login", "list", "sent_folder")
]


def _seed() -> tuple[str, int]:
    user, _ = User.objects.get_or_create(username="bench-web")
    mailbox = Mailbox(user=user, email="web@example.test", smtp_host="smtp.example.test", smtp_port=587,
                      smtp_security="starttls", imap_host="imap.example.test", imap_port=993, imap_security="ssl")  # fmt: skip
    mailbox.set_password("web-bench-pw")
    mailbox.save()
    test = ConnectionTest.objects.create(mailbox=mailbox, status="failed", settings=mailbox.settings_snapshot(),
                                         transcript="S: 220 hi\nC: EHLO localhost\n" * 40, folders=["INBOX", "Sent"])  # fmt: skip
    TestStep.objects.bulk_create(
        TestStep(test=test, protocol=p, name=n, ok=(n != "login"), ms=12, detail="detail " * 8)
        for p, n in STEPS
    )
    TestError.objects.create(test=test, code="imap_auth", reason="wrong_credentials", protocol="imap",
                             step="login", detail="refused", server_reply="NO [AUTHENTICATIONFAILED] no")  # fmt: skip
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return session.session_key, mailbox.pk


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wrk(url: str, cookie: str, seconds: int, htmx: bool) -> dict:
    args = ["wrk", "-t2", "-c32", f"-d{seconds}s", "-s", str(ROOT / "bench" / "wrk_report.lua"),
            "-H", f"Cookie: sessionid={cookie}"]  # fmt: skip
    if htmx:
        args += ["-H", "HX-Request: true"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    match = re.search(
        r"RESULT p50=([\d.]+) p95=([\d.]+) p99=([\d.]+) rps=([\d.]+) errors=(\d+) non2xx=(\d+)", out
    )
    return dict(
        zip(("p50", "p95", "p99", "rps", "errors", "non2xx"), map(float, match.groups()), strict=True)
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")

    cookie, pk = _seed()
    static_root = SCRATCH / "static"
    env = {**os.environ, **ENV, "DEBUG": "0", "SECRET_KEY": settings.SECRET_KEY,
           "CREDENTIALS_KEYS": ",".join(settings.CREDENTIALS_KEYS), "ALLOWED_HOSTS": "127.0.0.1",
           "SECURE_SSL_REDIRECT": "0", "SESSION_COOKIE_SECURE": "0", "CSRF_COOKIE_SECURE": "0",
           "STATIC_ROOT": str(static_root), "LOG_LEVEL": "WARNING"}  # fmt: skip
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "emailcenter.asgi:application", "-k", "uvicorn_worker.UvicornWorker",
         "-b", f"127.0.0.1:{port}", "-w", str(args.workers), "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/login/", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        pages = {
            "connect page (GET /mailboxes/new/)": (f"{base}/mailboxes/new/", False),
            "status partial (htmx poll of a final test, 14 steps)": (f"{base}/mailboxes/{pk}/status/", True),
        }
        results = {name: _wrk(url, cookie, args.seconds, htmx) for name, (url, htmx) in pages.items()}
    finally:
        server.terminate()
        server.wait(10)
    lines = [
        header(),
        f"gunicorn, {args.workers} uvicorn workers (ASGI), DEBUG=0, {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}; "
        f"wrk, 2 threads, 32 connections, {args.seconds} s per page.",
        "",
        "| page | p50 ms | p95 ms | p99 ms | requests/s | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['p50']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} | {r['rps']:.0f} | "
            f"{int(r['errors'] + r['non2xx'])} |"
        )
    status = results["status partial (htmx poll of a final test, 14 steps)"]
    lines += [
        "",
        f"Status partial p95 {status['p95']:.1f} ms (target ≤ 30 ms); "
        f"{status['rps']:.0f} requests/s (target ≥ 500).",
    ]
    table = "\n".join(lines)
    print(table)
    if args.write:
        write_section("Web", table)


if __name__ == "__main__":
    main()

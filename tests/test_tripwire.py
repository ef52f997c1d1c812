"""The tripwire itself: it must catch a connection that skips the guard."""

import socket

from tests.tripwire import ROOT, Tripwire


def _app_code_connecting(port: int) -> None:
    # Compiled as if it lived in the app, the way a careless new module would connect.
    source = "import socket\ns = socket.create_connection(('127.0.0.1', PORT), timeout=1)\ns.close()\n"
    code = compile(source.replace("PORT", str(port)), str(ROOT / "diagnostics" / "careless.py"), "exec")
    exec(code, {"__name__": "diagnostics.careless"})


def test_it_flags_app_code_that_bypasses_the_guard(raw_server, guard_tripwire):
    from tests.servers.raw import silent

    server = raw_server(silent)
    wire = Tripwire()
    wire.install()
    try:
        _app_code_connecting(server.port)
    finally:
        wire.uninstall()
    assert len(wire.violations) == 1 and "careless.py" in wire.violations[0]
    assert len(guard_tripwire.violations) == 1  # the session-wide wire saw it too
    guard_tripwire.violations.clear()  # this one was on purpose


def test_it_lets_the_guard_and_test_code_connect(raw_server, probe_config):
    from diagnostics.net import guard
    from tests.servers.raw import silent

    server = raw_server(silent)
    wire = Tripwire()
    wire.install()
    try:
        sock, _ = guard.open_connection(
            "127.0.0.1", guard.resolve("127.0.0.1", probe_config, 1), server.port, 1
        )
        sock.close()
        socket.create_connection(("127.0.0.1", server.port), timeout=1).close()  # test code
    finally:
        wire.uninstall()
    assert wire.violations == []

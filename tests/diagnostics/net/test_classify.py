"""Classification cases no loopback server can produce without traffic leaving the machine."""

import errno

import pytest

from diagnostics.net.classify import classify


@pytest.mark.parametrize("code", [errno.EHOSTUNREACH, errno.ENETUNREACH])
@pytest.mark.parametrize("protocol", ["smtp", "imap"])
def test_no_route_is_host_unreachable(code, protocol):
    error = classify(OSError(code, "No route to host"), protocol, "connect", deadline_hit=False)
    assert (error.code, error.reason) == ("host_unreachable", "no_route")


def test_a_deadline_overrides_whatever_the_socket_said():
    error = classify(ConnectionResetError(), "imap", "list", deadline_hit=True)
    assert (error.code, error.reason) == ("timeout", "deadline")

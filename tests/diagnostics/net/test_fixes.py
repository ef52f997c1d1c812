from diagnostics.net.fixes import _candidates
from diagnostics.net.transport import ServerSettings


def _server(port, security):
    return ServerSettings("mail.example.test", port, security, "u")


def test_it_tries_the_other_mode_on_the_same_port_then_the_standard_ports():
    assert _candidates("smtp", _server(587, "ssl")) == [(587, "starttls"), (465, "ssl")]
    assert _candidates("smtp", _server(465, "starttls")) == [(465, "ssl"), (587, "starttls")]
    assert _candidates("imap", _server(993, "starttls")) == [(993, "ssl"), (143, "starttls")]
    assert _candidates("imap", _server(2993, "ssl")) == [(2993, "starttls"), (143, "starttls"), (993, "ssl")]


def test_it_never_retries_the_settings_that_just_failed():
    for protocol, port, security in [("smtp", 465, "ssl"), ("imap", 143, "starttls"), ("smtp", 25, "none")]:
        assert (port, security) not in _candidates(protocol, _server(port, security))

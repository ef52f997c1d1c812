"""The cascade's knobs. Plain data: Django settings are read in diagnostics.autodetection."""

from dataclasses import dataclass, field

from ..steps import ProbeConfig

DEFAULT_ISPDB_URL = "https://autoconfig.thunderbird.net/v1.1/"


@dataclass
class AutodetectConfig:
    probe: ProbeConfig = field(default_factory=ProbeConfig)
    deadline: float = 6.0  # the whole cascade, guessing included
    ispdb_url: str = DEFAULT_ISPDB_URL  # empty: ISPDB off
    # Internal, for tests: where the autoconfig URLs and the guessing probes connect.
    https_port: int = 443
    http_port: int = 80
    guess_ports: dict[int, int] = field(default_factory=dict)  # standard port -> port to use
    max_bytes: int = 1_000_000  # an autoconfig file is a few kB; anything near this is hostile
    max_redirects: int = 3
    # A lower-priority answer waits at most this long for higher-priority sources still
    # running, so that one hanging source cannot hold a good answer until the deadline.
    grace: float = 1.0
    # Share of the deadline for the discovery sources; guessing gets the rest.
    discovery_share: float = 0.6

    @property
    def window(self) -> float:
        return self.deadline * self.discovery_share

    @property
    def web_ports(self) -> tuple[int, ...]:
        """The only ports an autoconfig or ISPDB redirect may lead to."""
        return tuple(sorted({80, 443, self.http_port, self.https_port}))

    def port(self, standard: int) -> int:
        return self.guess_ports.get(standard, standard)

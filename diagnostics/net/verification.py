"""Everything a test checks besides logging in: the sender domain's DNS and the
tracking CNAME (started before the login test, so they cost no time), and, when asked
for and logged in, the round trip. Used by the worker and `manage.py diagnose`.

    checks = Verification(address, provider, config, smtp_host=..., tracking_host=...)
    diagnosis = run_probes(...)
    checks.finish(diagnosis, smtp, imap, secret, round_trip=True, wait_seconds=60)
"""

import threading

from .directory.model import Provider
from .domaincheck import check_domain, recheck_dkim
from .roundtrip import SKIPPED, RoundTrip, run_round_trip
from .runner import CONNECTED, FAILED, Diagnosis, _report
from .steps import ProbeConfig
from .tracking import check_tracking
from .transport import ServerSettings


class Verification:
    def __init__(
        self,
        address: str,
        provider: Provider | None,
        config: ProbeConfig,
        smtp_host: str = "",
        tracking_host: str = "",
        tracking_target: str = "",
        check_dns: bool = True,
    ):
        self.address = address
        self.domain = address.rpartition("@")[2].lower()
        self.provider = provider
        self.config = config
        self.tracking_host = tracking_host
        self._dns: dict = {}
        self._thread = None
        if check_dns:
            self._thread = threading.Thread(
                target=self._check_dns, args=(smtp_host, tracking_target), name="dns-checks", daemon=True
            )
            self._thread.start()

    def _check_dns(self, smtp_host: str, tracking_target: str) -> None:
        self._dns["domain"] = check_domain(self.domain, self.provider, self.config, smtp_host)
        if self.tracking_host:
            self._dns["tracking"] = check_tracking(self.tracking_host, tracking_target, self.config)

    def finish(
        self,
        diagnosis: Diagnosis,
        smtp: ServerSettings,
        imap: ServerSettings,
        secret,
        round_trip: bool = False,
        wait_seconds: float = 60.0,
        on_step=None,
    ) -> None:
        """Run the round trip when asked for and logged in, and put every result (and the
        round trip's steps, transcript and errors) into the diagnosis: a round trip that
        found a problem fails it (`manage.py diagnose --round-trip`)."""
        result = None
        if round_trip:
            result = self.round_trip(diagnosis, smtp, imap, secret, wait_seconds, on_step)
            self.add_round_trip(diagnosis, result)
            if result.errors:
                diagnosis.status = FAILED
        self.finish_dns(diagnosis, result)

    def round_trip(
        self,
        diagnosis: Diagnosis,
        smtp: ServerSettings,
        imap: ServerSettings,
        secret,
        wait_seconds,
        on_step=None,
    ) -> RoundTrip:
        """The round trip after the login test: skipped unless it connected."""
        if diagnosis.status != CONNECTED:
            return RoundTrip()
        return run_round_trip(
            smtp,
            imap,
            secret,
            self.config,
            self.address,
            wait_seconds,
            on_step if on_step is not None else (lambda step: None),
            diagnosis.redact,
            sent_folder=diagnosis.sent_folder,
        )

    @staticmethod
    def add_round_trip(diagnosis: Diagnosis, result: RoundTrip) -> None:
        """The round trip's result, steps, transcript and errors, into the diagnosis
        (its status is left to the caller)."""
        diagnosis.round_trip = result.as_dict()
        if result.status != SKIPPED:
            diagnosis.steps.extend(result.steps)
            diagnosis.transcripts["delivery"] = result.transcript
        for protocol, error in result.errors:
            diagnosis.errors.append(_report(error, protocol, diagnosis.redact))

    @property
    def dns_done(self) -> bool:
        return self._thread is None or not self._thread.is_alive()

    def finish_dns(self, diagnosis: Diagnosis, result: RoundTrip | None = None) -> None:
        """Wait for the DNS answers and put them into the diagnosis (with the DKIM
        selector the round trip's message named, when it found one)."""
        if self._thread is None:
            return
        self._thread.join(self.config.timeout * 15)
        domain = self._dns.get("domain")
        if domain is not None and result is not None and result.dkim_signatures:
            domain = recheck_dkim(domain, self.domain, self.provider, self.config, result.dkim_signatures)
        diagnosis.domain = domain
        diagnosis.tracking = self._dns.get("tracking")

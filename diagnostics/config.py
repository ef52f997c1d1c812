"""The probes' configuration, read from Django settings (the environment contract)."""

from django.conf import settings

from .net.steps import ProbeConfig

DEFAULT_PORTS = ProbeConfig.allowed_ports


def probe_config() -> ProbeConfig:
    return ProbeConfig(
        timeout=settings.MAIL_PROBE_TIMEOUT,
        deadline=settings.MAIL_PROBE_DEADLINE,
        allowed_private=list(settings.MAIL_ALLOWED_PRIVATE_HOSTS),
        allowed_ports=tuple(DEFAULT_PORTS) + tuple(settings.MAIL_ALLOWED_PORTS),
        nameservers=list(settings.DNS_NAMESERVERS),
        ca_file=settings.SSL_CERT_FILE,
    )

"""A test's copy for the people who help with it (support requests, admin review and
its JSON report): address, provider, settings, errors, steps and transcript, with any
password-like key dropped."""

from .models import ConnectionTest
from .net import directory

_SECRET_WORDS = ("password", "secret", "token")


def without_secrets(value):
    """A copy of a settings snapshot with any password-like key dropped.

    Snapshots are made without the password; this keeps that true even if a
    future snapshot grows a field it should not have.
    """
    if isinstance(value, dict):
        return {
            k: without_secrets(v)
            for k, v in value.items()
            if not any(w in str(k).lower() for w in _SECRET_WORDS)
        }
    if isinstance(value, list):
        return [without_secrets(v) for v in value]
    return value


def provider_name(provider_id: str) -> str:
    names = {p.id: p.name for p in directory.PROVIDERS}
    return names.get(provider_id, provider_id)


def copy_of_test(test: ConnectionTest) -> dict:
    """What support needs from a test: address, provider, settings, errors, steps, transcript."""
    errors = [
        {
            "code": e.code,
            "title": e.title,
            "protocol": e.protocol,
            "step": e.step,
            "reason": e.reason,
            "detail": e.detail,
            "server_reply": e.server_reply,
            "help": list(e.help),
            "suggestion": without_secrets(e.suggestion),
        }
        for e in test.errors.all()
    ]
    steps = [
        {"protocol": s.protocol, "name": s.name, "ok": s.ok, "ms": s.ms, "detail": s.detail}
        for s in test.steps.all()
    ]
    snapshot = without_secrets(test.settings or {})
    return {
        "email": snapshot.get("email") or test.mailbox.email,
        "provider_id": test.provider_id or snapshot.get("provider", ""),
        "settings": snapshot,
        "errors": errors,
        "steps": steps,
        "transcript": test.transcript,
    }

"""A system check (also part of `check --deploy`): a provider half configured is a
button that leads nowhere useful."""

from django.core import checks

from . import providers


@checks.register(checks.Tags.security, deploy=False)
def half_configured(app_configs, **kwargs):
    found = []
    for provider in providers.all_providers():
        missing, prefix = provider.missing, provider.prefix
        if len(missing) == 1:
            found.append(
                checks.Warning(
                    f"{provider.label} sign-in for mailboxes is half configured: {missing[0]} is not set.",
                    hint=f"Set both {prefix}_CLIENT_ID and {prefix}_CLIENT_SECRET, or neither.",
                    id="mailauth.W001",
                )
            )
    return found

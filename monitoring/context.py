"""The banner on every page while one of the person's mailboxes is disconnected."""

from . import state


def health_banner(request) -> dict:
    """One indexed query for a signed-in person's page (four more while one is in
    trouble); nothing for visitors (lazy: a template that never includes the banner
    never runs it)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def disconnected():
        # [(mailbox, state)]: the state model's words, so that a mailbox its owner just fixed
        # leaves the banner with the result, before the scheduler notes the recovery.
        return state.banner_states(user)

    return {"health_disconnected": disconnected}

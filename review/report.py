"""The diagnostic report of one test, as JSON for download. Never the password."""

from diagnostics.copies import copy_of_test
from diagnostics.models import ConnectionTest
from monitoring import state as mailbox_states


def _when(value) -> str | None:
    return value.isoformat() if value else None


def test_report(test: ConnectionTest) -> dict:
    copy = copy_of_test(test)
    review = getattr(test, "review", None)
    return {
        "test": test.pk,
        "mailbox": test.mailbox_id,
        "user": test.mailbox.user.get_username(),
        "email": copy["email"],
        "provider": copy["provider_id"],
        "status": test.status,
        "message": test.message,
        "created_at": _when(test.created_at),
        "started_at": _when(test.started_at),
        "finished_at": _when(test.finished_at),
        "settings": copy["settings"],
        "sent_folder": test.sent_folder,
        "folders": test.folders,
        "errors": copy["errors"],
        "steps": copy["steps"],
        "transcript": copy["transcript"],
        "reviewed": review is not None,
        "reviewed_at": _when(review.reviewed_at) if review else None,
        # The mailbox as it is now (additive: the state model's keys, as every page words it).
        "mailbox_state": mailbox_states.of(test.mailbox).as_dict(),
        "notes": [
            {
                "author": n.author.get_username() if n.author else None,
                "text": n.text,
                "created_at": _when(n.created_at),
            }
            for n in test.review_notes.select_related("author")
        ],
    }

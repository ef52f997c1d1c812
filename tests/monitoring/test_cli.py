"""manage.py check_health: runs checks here and now, prints them, exits 0 only if all connected."""

import io
import json

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db(transaction=True)


def _run(*args):
    out = io.StringIO()
    try:
        call_command("check_health", *args, stdout=out)
    except SystemExit as exc:
        return exc.code, out.getvalue()
    return 0, out.getvalue()


def test_it_checks_one_mailbox_and_exits_0_when_connected(connected_mailbox):
    mailbox = connected_mailbox()
    code, out = _run("--mailbox", str(mailbox.pk))
    assert code == 0
    assert out.strip() == f"{mailbox.pk}\t{mailbox.email}\tconnected -> connected"


def test_it_checks_all_and_exits_1_with_the_error(connected_mailbox, servers):
    good, bad = connected_mailbox(), connected_mailbox()
    servers.change_password(bad.email, "changed-elsewhere")
    code, out = _run("--all", "--json")
    assert code == 1
    result = json.loads(out)
    by_id = {m["id"]: m for m in result["mailboxes"]}
    assert result["ok"] is False and set(by_id) == {good.pk, bad.pk}
    assert by_id[good.pk]["after"] == "connected"
    assert (by_id[bad.pk]["before"], by_id[bad.pk]["after"], by_id[bad.pk]["reason"]) == (
        "connected",
        "disconnected",
        "wrong_credentials",
    )
    # --due: nothing is due right after a check, and a disconnected mailbox is not rescheduled.
    code, out = _run("--due", "--json")
    assert (code, json.loads(out)) == (0, {"ok": True, "mailboxes": []})


def test_an_unknown_mailbox_is_a_usage_error():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("check_health", "--mailbox", "999999")

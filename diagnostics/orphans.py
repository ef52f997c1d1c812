"""Tests whose worker died mid-test (killed, out of memory, its machine restarted) run
again on a live worker, once, instead of waiting out their deadline to end as "stuck".

A worker that starts sweeps at once (`make run` and compose restart a dead worker within
seconds, under the same name), and beat sweeps with the reaper for workers that never came
back (core.workers says when a worker counts as gone). The steps the dead run wrote are
removed and the page says why the test starts over. A test whose worker dies a second time
ends failed, saying so: a test that kills its worker is not run forever.
"""

import logging

from django.db import transaction
from django.utils.translation import gettext_noop

from accounts.models import Mailbox
from core import workers

from . import flows
from .models import ConnectionTest
from .net import errors
from .net.errors import ErrorReport

log = logging.getLogger(__name__)

# Stored in English; pages translate it (languages.words.say).
GAVE_UP = gettext_noop(
    "The worker running this test stopped twice before it ended. Run the test again; if it "
    "stops again, ask support."
)
RERUNS = 1


def requeue_orphaned_tests() -> int:
    """Run again (or, the second time, fail) every running test whose worker is gone.
    Returns how many tests it took over."""
    running = list(
        ConnectionTest.objects.filter(status=ConnectionTest.Status.RUNNING)
        .exclude(worker="")
        .values_list("pk", "worker", "started_at")
    )
    lost = workers.gone([(worker, started) for _, worker, started in running])
    taken = 0
    for pk, worker, started in running:
        if (worker, started) in lost and _take_over(pk, worker, started):
            taken += 1
    if taken:
        log.warning("%s test(s) lost their worker mid-test: taken over", taken)
    return taken


def _take_over(pk: int, worker: str, started) -> bool:
    with transaction.atomic():
        test = (
            ConnectionTest.objects.select_for_update()
            .select_related("mailbox")
            .filter(pk=pk, status=ConnectionTest.Status.RUNNING, worker=worker, started_at=started)
            .first()
        )
        if test is None or test.overdue:
            return False  # finished meanwhile, or shown failed already (the reaper records it)
        if test.reruns >= RERUNS:
            flows.fail(test, ErrorReport(errors.TIMEOUT, "worker", GAVE_UP, reason="stuck"))
            return True
        test.steps.all().delete()
        test.status = ConnectionTest.Status.QUEUED
        test.reruns += 1
        test.worker, test.started_at, test.handed_at = "", None, None
        test.message = ConnectionTest.RERUN
        test.deadline_at = test.default_deadline()
        test.save(
            update_fields=["status", "reruns", "worker", "started_at", "handed_at", "message", "deadline_at"]
        )
        Mailbox.objects.filter(pk=test.mailbox_id).update(status=Mailbox.Status.TESTING)
        flows.enqueue(test.pk)  # in this transaction, through the outbox
        flows.changed(test)
    log.warning("test %s: worker %s is gone; the test runs again", pk, worker)
    return True

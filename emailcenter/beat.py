"""Beat's periodic tasks go through the outbox like every other task.

A tick that falls due while the broker is away is held in the outbox and sent once the
broker returns, instead of being lost with an error in beat's log.
"""

from celery.beat import PersistentScheduler, _evaluate_entry_args, _evaluate_entry_kwargs
from django.db import close_old_connections, transaction


class OutboxScheduler(PersistentScheduler):
    def apply_async(self, entry, producer=None, advance=True, **kwargs):
        entry = self.reserve(entry) if advance else entry
        if _evaluate_entry_kwargs(entry.kwargs):  # the outbox carries positional arguments only
            return super().apply_async(entry, producer=producer, advance=False, **kwargs)
        from core import dispatch

        close_old_connections()  # beat lives long: never use a connection the database dropped
        try:
            with transaction.atomic():
                dispatch.send(entry.task, *_evaluate_entry_args(entry.args))
        finally:
            self._tasks_since_sync += 1
            if self.should_sync():
                self._do_sync()
        return None

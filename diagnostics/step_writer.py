"""One writer thread per worker process for live steps (see emailcenter/batching.py):
probe threads hand it their steps, it inserts them in small batches over its own
connection, then tells the pages watching those tests."""

from core.batching import BatchWriter
from live.publish import publish_many

BATCH_WAIT = 0.05  # seconds: steps still appear live


def _save(items: list[tuple]) -> None:
    from .models import TestStep

    rows = TestStep.objects.bulk_create(
        TestStep(test_id=test_id, **step.as_dict()) for test_id, step in items
    )
    # After the insert committed: the pages watching these tests re-read them.
    publish_many([f"test-{row.test_id}" for row in rows])


class StepWriter(BatchWriter):
    def __init__(self):
        super().__init__(_save, "step-writer", BATCH_WAIT)

    def put(self, test_id: int, step) -> None:
        super().put((test_id, step))


writer = StepWriter()

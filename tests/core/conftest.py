import subprocess
import uuid

import pytest

from tests.conftest import spawn_web, spawn_worker


@pytest.fixture
def queue() -> str:
    """A queue of this test's own, so that no other test's worker takes its tasks."""
    return f"shared-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def web(test_database_url, pki, tmp_path, queue):
    """Start web processes: web(**env) -> WebProcess; all stopped after the test."""
    started = []

    def start(**extra):
        log = tmp_path / f"web-{len(started)}.log"
        process = spawn_web(test_database_url, pki, log, CELERY_QUEUE=queue, **extra)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


@pytest.fixture
def worker(test_database_url, pki, tmp_path, queue, monkeypatch):
    """Start one worker process on this test's queue: worker(**env) -> WorkerProcess."""
    started = []

    def start(**extra):
        for name, value in extra.items():
            monkeypatch.setenv(name, value)  # spawn_worker passes its own environment on
        process = spawn_worker(test_database_url, pki, tmp_path / "worker.log", queue=queue)
        started.append(process)
        return process

    yield start
    for process in started:
        process.proc.terminate()
        try:
            process.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.proc.kill()
            process.proc.wait()

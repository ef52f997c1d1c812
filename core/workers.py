"""Which worker process runs what, and whether that process is still there.

A worker names itself once, on start (`name_for`: its Celery name, then the machine and the
process id); what it claims (a connection test, an import row) carries that name. A claim
is orphaned when its process is gone:
- it ran on this machine and its process id is no longer alive (`make run` restarts a
  dead worker as a new process);
- a process of the same name started after the claim (a container restarted by compose
  keeps its hostname, and often its process id);
- its heartbeat has been silent for ORPHAN_SILENCE (a machine that never came back).
Silence alone waits long: a worker whose database was locked for half a minute is slow,
not dead, and its test must not run twice.
"""

import os
import socket
from datetime import datetime, timedelta

from django.utils import timezone

from .models import Heartbeat

ORPHAN_SILENCE = timedelta(seconds=60)

_name = ""


def name_for(celery_name: str) -> str:
    return f"worker {celery_name} {socket.gethostname()}:{os.getpid()}"


def set_this_worker(name: str) -> None:
    global _name
    _name = name


def this_worker() -> str:
    """This process's worker name; empty outside a worker (a command, a web process)."""
    return _name


def _dead_here(name: str) -> bool:
    """Whether `name` is a process of this machine that has ended."""
    host, _, pid = name.rpartition(" ")[2].rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, under another user
    return False


def gone(claims: list[tuple[str, datetime]]) -> set[tuple[str, datetime]]:
    """Of (worker, claimed_at) pairs, those whose worker process is gone."""
    names = {name for name, _ in claims if name}
    beats = {beat.name: beat for beat in Heartbeat.objects.filter(name__in=names)}
    silent_since = timezone.now() - ORPHAN_SILENCE
    lost = set()
    for name, claimed_at in claims:
        if not name:
            continue  # run in-process by a command: nobody else could take it over
        beat = beats.get(name)
        restarted = beat is not None and beat.started_at > claimed_at
        heard_at = beat.beat_at if beat is not None else claimed_at  # not yet beaten: since the claim
        if restarted or heard_at < silent_since or _dead_here(name):
            lost.add((name, claimed_at))
    return lost

"""The import procedures behind the views and tasks: create a job from a file, map its
columns, check and test every row through the worker, import, check again, reap."""

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from core import crypto, dispatch, workers
from diagnostics.config import probe_config
from diagnostics.net import errors
from diagnostics.net.words import N_
from live.publish import publish

from . import checking, columns, csvfile, detect, probe, saving
from . import rows as R
from .models import ImportJob, ImportRow
from .writer import writer

log = logging.getLogger(__name__)

CHECK_JOB = "imports.tasks.check_job"
TEST_ROWS = "imports.tasks.test_rows"
# Queued rows may wait behind other imports; a row being tested has the probes' deadline.
QUEUE_WAIT = timedelta(minutes=10)


def testing_deadline():
    return timezone.now() + timedelta(seconds=settings.MAIL_PROBE_DEADLINE * 2 + 30)


def create_job(user, parsed: csvfile.Parsed, filename: str = "") -> ImportJob:
    """Keep the parsed cells (encrypted, with the mailboxes' keys) until the columns are mapped."""
    with transaction.atomic():
        job = ImportJob.objects.create(
            user=user,
            filename=filename[:200],
            delimiter=parsed.delimiter,
            headers=parsed.headers,
            mapping=parsed.mapping,
            warnings=parsed.warnings,
        )
        rows = []
        for number, cells in parsed.rows:
            row = ImportRow(job=job, number=number)
            row.set_cells(cells)
            rows.append(row)
        ImportRow.objects.bulk_create(rows, batch_size=500)
    return job


@sensitive_variables()
def apply_mapping(job: ImportJob, mapping: dict[str, int]) -> None:
    """Check every row with this mapping and queue the tests. Raises FileProblem (no
    email column); a job already past mapping is left alone (a double submit)."""
    csvfile.require_email(job.headers, mapping)
    with transaction.atomic():
        locked = (
            ImportJob.objects.select_for_update().filter(pk=job.pk, status=ImportJob.Status.MAPPING).first()
        )
        if locked is None:
            return
        rows = list(locked.rows.all())
        made = checking.candidates(
            [(row.number, row.get_cells()) for row in rows], locked.headers, mapping, locked.user
        )
        deadline = timezone.now() + QUEUE_WAIT
        checked = []
        for row, (candidate, password) in zip(rows, made, strict=True):
            fresh = ImportRow(job=locked, number=row.number)
            fresh.take(candidate)
            fresh.password_encrypted = crypto.encrypt(password) if password else ""
            if fresh.state == R.PENDING:
                fresh.state, fresh.deadline_at = R.QUEUED, deadline
            checked.append(fresh)
        # New rows rather than bulk_update: nothing refers to them yet, and updating a
        # thousand rows field by field costs seconds where inserting them costs a fraction.
        locked.rows.all().delete()
        ImportRow.objects.bulk_create(checked, batch_size=500)
        locked.mapping = mapping
        locked.status = ImportJob.Status.CHECKING
        locked.save(update_fields=["mapping", "status"])
        _send(job.pk, CHECK_JOB, job.pk)


def mapping_from(data, headers: list[str]) -> dict[str, int]:
    """{field: column} from the mapping form's `col_<field>` values (a column index or "")."""
    mapping = {}
    for name in columns.FIELDS:
        value = str(data.get(f"col_{name}", ""))
        if value.isdigit() and int(value) < len(headers):
            mapping[name] = int(value)
    return mapping


def _send(job_id: int, task: str, *args) -> bool:
    """Queue through the outbox, in the caller's transaction: a broker outage holds the
    task until the broker is back, and the rows wait for it (queueing.py): their deadline,
    QUEUE_WAIT, counts from when the broker took it."""
    dispatch.send(task, *args)
    return True


def send_rows(job_id: int, row_ids: list[int]) -> None:
    """Queue these queued rows' tests (their limits are counted already)."""
    _send(job_id, TEST_ROWS, job_id, row_ids)


def check_job(job_id: int) -> None:
    """In the worker: detect the servers the file left out (each domain once, one
    deadline), then queue the queued rows' tests in chunks, by id."""
    rows = list(ImportRow.objects.filter(job_id=job_id, state=R.QUEUED).select_related("job"))
    needing = [row for row in rows if not (row.smtp_host and row.imap_host)]
    if needing:
        candidates = [row.candidate() for row in needing]
        for candidate in candidates:
            candidate.state = R.PENDING
        connection.close()  # no connection held while the domains are looked up
        detect.fill_servers(candidates)
        for row, candidate in zip(needing, candidates, strict=True):
            row.take(candidate)
            if candidate.state == R.PENDING:
                row.state = R.QUEUED
        with transaction.atomic():
            for row in needing:
                fields = {name: getattr(row, name) for name in ("state", *R.Candidate.MODEL_FIELDS)}
                ImportRow.objects.filter(pk=row.pk, state=R.QUEUED).update(**fields)
        publish(f"import-{job_id}")
    queued = list(ImportRow.objects.filter(job_id=job_id, state=R.QUEUED).select_related("job"))
    size = max(1, settings.IMPORT_CHUNK_SIZE)
    # Chunk by chunk, so that the first rows are tested while later ones are counted.
    for start in range(0, len(queued), size):
        ids = _count_limits(job_id, queued[start : start + size])
        if ids and not _send(job_id, TEST_ROWS, job_id, ids):
            return


def _count_limits(job_id: int, rows: list[ImportRow]) -> list[int]:
    """The shared per-host and per-login limits, counted for these rows here, one after
    another over one connection (a thousand probe threads racing for the counters would
    mostly wait on each other); refused rows fail with the reason. Returns the ids left
    to test."""
    refused = []
    for row in rows:
        candidate = row.candidate()
        message = probe.refusal(candidate)
        if message:
            probe.refuse(candidate, message)
            row.take(candidate)
            refused.append(row)
    if refused:
        ImportRow.objects.bulk_update(refused, ["state", "code", "reason", "message", "fix"], batch_size=500)
        publish(f"import-{job_id}")
    gone = {r.pk for r in refused}
    return [r.pk for r in rows if r.pk not in gone]


def _claim(job_id: int, row_ids: list[int]) -> list[ImportRow]:
    with transaction.atomic():
        rows = list(
            ImportRow.objects.select_for_update()
            .select_related("job")
            .filter(pk__in=row_ids, job_id=job_id, state=R.QUEUED)
        )
        deadline = testing_deadline()
        ImportRow.objects.filter(pk__in=[r.pk for r in rows]).update(
            state=R.TESTING, deadline_at=deadline, worker=workers.this_worker(), claimed_at=timezone.now()
        )
    if rows:
        publish(f"import-{job_id}")
    return rows


@sensitive_variables()
def test_rows(job_id: int, row_ids: list[int]) -> None:
    """In the worker: test a chunk of rows at the same time; results go through the
    writer. A row another task already took (a redelivered message) is skipped."""
    rows = _claim(job_id, row_ids)
    if not rows:
        return
    work = []
    for row in rows:
        candidate = row.candidate()
        try:
            password = crypto.decrypt(row.password_encrypted)
        except crypto.DecryptionError:
            candidate.fail(
                R.FAILED,
                errors.UNKNOWN,
                N_("The password could not be decrypted."),
                reason="decryption_failed",
            )
            writer.put(job_id, row.pk, candidate.fields())
            continue
        if probe.already_refused(candidate, password):  # never sent again: no server is contacted
            writer.put(job_id, row.pk, candidate.fields())
            continue
        work.append((row.pk, candidate, password))
    connection.close()  # the probes wait on servers; the writer saves the results
    config = probe_config()

    def one(item) -> None:
        row_id, candidate, password = item
        found = None
        try:
            found = probe.run(candidate, password, config)
        except Exception:
            log.exception("import %s: row %s test crashed", job_id, row_id)
            candidate.fail(
                R.FAILED, errors.UNKNOWN, N_("The test stopped unexpectedly. Check again."), reason="crash"
            )
        writer.put(job_id, row_id, candidate.fields(), found)

    with ThreadPoolExecutor(max_workers=max(1, len(work)), thread_name_prefix="import-row") as pool:
        list(pool.map(one, work))
    writer.flush()


def recheck(job: ImportJob) -> int:
    """Test again the rows that failed (or that no worker finished); the rest keep their result."""
    with transaction.atomic():
        if (
            ImportJob.objects.select_for_update().filter(pk=job.pk, status=ImportJob.Status.CHECKING).first()
            is None
        ):
            return 0
        now = timezone.now()
        stale = job.rows.filter(state__in=[R.QUEUED, R.TESTING], deadline_at__lt=now, held_since__isnull=True)
        again = job.rows.filter(state=R.FAILED).exclude(password_encrypted="") | stale
        count = again.update(
            state=R.QUEUED,
            code="",
            reason="",
            message="",
            fix="",
            deadline_at=now + QUEUE_WAIT,
            tested_at=None,
        )
        if count:
            _send(job.pk, CHECK_JOB, job.pk)
    publish(f"import-{job.pk}")
    return count


def import_rows(job: ImportJob, drafts: bool = False) -> tuple[int, int]:
    """Save the connected rows (and, with drafts, the failed ones) as mailboxes, one
    transaction per batch. Idempotent: a row saved once, or an address the user has,
    is never saved again. Every row's secrets are dropped afterwards."""
    states = [R.CONNECTED, R.FAILED] if drafts else [R.CONNECTED]
    ids = list(job.rows.filter(state__in=states, mailbox__isnull=True).values_list("pk", flat=True))
    for start in range(0, len(ids), saving.BATCH):
        batch = ids[start : start + saving.BATCH]
        try:
            _import_batch(job, batch)
        except IntegrityError:  # a concurrent submit saved one of these first: the retry skips it
            _import_batch(job, batch)
    with transaction.atomic():
        job.rows.update(password_encrypted="", cells_encrypted="")
        imported = job.rows.filter(state=R.IMPORTED).count()
        draft_count = job.rows.filter(state=R.DRAFT).count()
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.IMPORTED,
            imported_at=timezone.now(),
            imported_count=imported,
            drafts_count=draft_count,
        )
    publish(f"import-{job.pk}")
    return imported, draft_count


def _import_batch(job: ImportJob, ids: list[int]) -> None:
    with transaction.atomic():
        rows = list(
            ImportRow.objects.select_for_update()
            .filter(pk__in=ids, mailbox__isnull=True, state__in=[R.CONNECTED, R.FAILED])
            .exclude(password_encrypted="")
        )
        made = saving.save_batch(
            job.user, [(row.candidate(), row.password_encrypted, row.state == R.CONNECTED) for row in rows]
        )
        for row, mailbox in zip(rows, made, strict=True):
            if mailbox is None:
                row.state, row.code, row.reason = R.DUPLICATE, "duplicate", "existing"
                row.message = N_("Already in your mailbox list.")
            else:
                row.state = R.IMPORTED if row.state == R.CONNECTED else R.DRAFT
                row.mailbox = mailbox
        ImportRow.objects.bulk_update(rows, ["state", "code", "reason", "message", "mailbox"])


def reap() -> tuple[int, int]:
    """Rows no worker finished end as failed with a clear message; expired jobs (and
    every encrypted password in them) are deleted."""
    now = timezone.now()
    stuck = ImportRow.objects.filter(
        state__in=[R.QUEUED, R.TESTING], deadline_at__lt=now, held_since__isnull=True
    )  # a held row's deadline has not started: the outbox sends its task when the broker is back
    jobs = set(stuck.values_list("job_id", flat=True))
    reaped = stuck.update(
        state=R.FAILED,
        code=errors.TIMEOUT,
        reason="stuck",
        message=ImportRow.NO_WORKER,
        fix=N_("Check again."),
    )
    for job_id in jobs:
        publish(f"import-{job_id}")
    expired, _ = ImportJob.objects.filter(expires_at__lt=now).delete()
    if reaped or expired:
        log.warning("imports: reaped %s row(s), deleted %s expired object(s)", reaped, expired)
    return reaped, expired

"""`manage.py import_mailboxes FILE --user USERNAME [--dry-run] [--json]`.

The web import's parsing, checks and tests, run here and now (rows tested in parallel
threads). Exit status: 0 every row connected, 1 some did not, 2 usage or file error.
Passwords are never printed.
"""

import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.views.decorators.debug import sensitive_variables

from core import crypto
from diagnostics.config import probe_config
from imports import checking, csvfile, detect, probe, saving
from imports import rows as R
from languages.commands import add_language_argument, speaking
from languages.words import say, say_all

PUBLIC = (
    "email",
    "name",
    "state",
    "code",
    "reason",
    "message",
    "fix",
    "sent_folder",
    "provider_id",
    "problems",
    "notes",
)


class Command(BaseCommand):
    help = "Check, test and import mailboxes from a CSV file (see imports/README.md for the format)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--user", required=True, help="the username that will own the mailboxes")
        parser.add_argument("--dry-run", action="store_true", help="check and test only; save nothing")
        parser.add_argument("--json", action="store_true", help="print JSON")
        parser.add_argument("--parallel", type=int, default=20, help="rows tested at the same time (1-200)")
        add_language_argument(parser)

    @sensitive_variables()
    def handle(self, *args, **options):
        with speaking(options):
            self._import(options)

    def _import(self, options) -> None:
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"no user named {options['user']!r}", returncode=2)
        if not 1 <= options["parallel"] <= 200:
            raise CommandError("--parallel must be between 1 and 200", returncode=2)
        limit = settings.IMPORT_MAX_BYTES
        try:
            size = os.path.getsize(options["file"])
            with open(options["file"], "rb") as handle:
                data = handle.read(limit + 1)  # never more than the limit in memory
        except OSError as exc:
            raise CommandError(f"cannot read {options['file']}: {exc.strerror}", returncode=2) from None
        try:
            if size > limit:
                raise csvfile.too_big(size, limit)
            parsed = checking.read(data)
            made = checking.candidates(parsed.rows, parsed.headers, parsed.mapping, user)
        except csvfile.FileProblem as problem:
            raise CommandError(str(problem), returncode=2) from None
        del data
        rows = run(made, options["parallel"])
        if not options["dry_run"]:
            _save(user, made)
        result = {
            "file": options["file"],
            "dry_run": options["dry_run"],
            "warnings": parsed.warnings,
            "rows": [{"row": row.number, **{k: getattr(row, k) for k in PUBLIC}} for row in rows],
        }
        result["summary"] = _summary(rows)
        if options["language"]:
            _say_rows(result)
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(_human(result))
        ok = (R.CONNECTED,) if options["dry_run"] else (R.IMPORTED,)
        if any(row.state not in ok for row in rows):
            sys.exit(1)


@sensitive_variables()
def run(made: list[tuple[R.Candidate, str]], parallel: int) -> list[R.Candidate]:
    """Detect missing servers (once per domain), count the limits, then test every
    pending row in parallel threads (which touch no database)."""
    rows = [row for row, _ in made]
    detect.fill_servers(rows)
    todo = []
    for row, password in made:
        if row.state != R.PENDING:
            continue
        refused = probe.refusal(row)
        if refused:
            probe.refuse(row, refused)
        elif not probe.already_refused(row, password):
            todo.append((row, password))
    config = probe_config()
    with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="import-row") as pool:
        found = list(pool.map(lambda item: probe.run(item[0], item[1], config), todo))
    for (row, _), logins in zip(todo, found, strict=True):
        warning = probe.record(logins)
        if warning:
            row.message = f"{row.message} {warning}".strip()[:1000]
    return rows


@sensitive_variables()
def _save(user, made: list[tuple[R.Candidate, str]]) -> None:
    connected = [(row, password) for row, password in made if row.state == R.CONNECTED]
    for start in range(0, len(connected), saving.BATCH):
        batch = connected[start : start + saving.BATCH]
        created = saving.save_batch(user, [(row, crypto.encrypt(pw), True) for row, pw in batch])
        for (row, _), mailbox in zip(batch, created, strict=True):
            if mailbox is not None:
                row.state = R.IMPORTED
            else:
                row.fail(
                    R.DUPLICATE,
                    "duplicate",
                    "Already in your mailbox list.",
                    reason="existing",
                )


def _say_rows(result: dict) -> None:
    """The rows' words in the chosen language; states, codes and columns stay as they are."""
    result["warnings"] = say_all(result["warnings"])
    for row in result["rows"]:
        row["message"] = say(row["message"] or "")
        for problem in row["problems"]:
            problem["message"] = say(problem["message"])


def _summary(rows: list[R.Candidate]) -> dict:
    summary: dict[str, int] = {"total": len(rows)}
    for row in rows:
        summary[row.state] = summary.get(row.state, 0) + 1
    return summary


def _human(result: dict) -> str:
    lines = [f"{w}" for w in result["warnings"]]
    for row in result["rows"]:
        head = f"row {row['row']}: {row['email'] or '?'}: {row['state']}"
        if row["code"]:
            head += f" [{row['code']}{'/' + row['reason'] if row['reason'] else ''}]"
        lines.append(head)
        for problem in row["problems"]:
            lines.append(f"    {problem['column']}: {problem['message']}")
        if row["message"] and not row["problems"]:
            lines.append(f"    {row['message']}")
        if row["fix"]:
            lines.append(f"    fix: {row['fix']}")
        if row["sent_folder"]:
            lines.append(f"    Sent folder: {row['sent_folder']}")
    lines.append(", ".join(f"{k}: {v}" for k, v in result["summary"].items()))
    return "\n".join(lines) + "\n"

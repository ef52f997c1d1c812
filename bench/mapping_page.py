"""The import's mapping page at the input caps: time to render and memory.

Each file is uploaded through the real view (Django's test client, in this process), then
the mapping page is fetched 10 times. Time: the median and the slowest request. Memory:
the peak of Python allocations during one request (tracemalloc) and the process's RSS
high-water mark. Baseline (issue 24, before the caps): a 2-line CSV with 100,000 columns
took 114 s and returned 51 MB, with the web process at 430 MB.

    .venv/bin/python bench/mapping_page.py [--write]
"""

import argparse
import io
import os
import re
import resource
import statistics
import time
import tracemalloc

from harness import header, write_section  # noqa: I001 (sets up Django)

from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from imports.models import ImportJob

REPEAT = 10


def _wide_long(columns: int, cell: int) -> str:
    """Every column's name and first rows' cells as long as the caps allow."""
    head = ",".join(
        f"email{'h' * (cell - 5)}" if i == 0 else f"c{i}{'h' * (cell - 8)}" for i in range(columns)
    )
    rows = [",".join(f"r{n}{'x' * (cell - 4)}" for _ in range(columns)) for n in range(4)]
    return "\r\n".join([head, *rows]) + "\r\n"


def _most_rows(columns: int, rows: int, max_bytes: int) -> str:
    width = max(1, (max_bytes // (rows + 1)) // columns - 1)
    head = ",".join(["email", "password", *(f"c{i}" for i in range(columns - 2))])
    line = ",".join(["u@example.test", "pw", *("y" * width for _ in range(columns - 2))])
    text = "\r\n".join([head, *(line for _ in range(rows))]) + "\r\n"
    while len(text.encode()) > max_bytes:
        rows -= 50
        text = "\r\n".join([head, *(line for _ in range(rows))]) + "\r\n"
    return text


def _upload(client: Client, text: str) -> tuple[int, float]:
    upload = io.BytesIO(text.encode())
    upload.name = "bench.csv"
    started = time.perf_counter()
    response = client.post(reverse("import_new"), {"file": upload})
    return response.status_code, time.perf_counter() - started


def measure(client: Client, user, name: str, text: str) -> dict:
    ImportJob.objects.filter(user=user).delete()
    status, upload_s = _upload(client, text)
    found = {"case": name, "bytes": len(text.encode()), "upload_status": status, "upload_s": upload_s}
    job = ImportJob.objects.filter(user=user).first()
    if job is None:
        return found
    url = reverse("import_detail", args=[job.pk])
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
    tracemalloc.start()
    client.get(url)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    found.update(
        columns=len(job.headers),
        rows=job.rows.count(),
        median_s=statistics.median(times),
        max_s=max(times),
        page_kb=len(response.content) / 1000,
        alloc_peak_mb=peak / 1e6,
        samples=len(re.findall(r'class="sample"', response.content.decode())),
    )
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    user, _ = User.objects.get_or_create(username="bench-mapping")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    columns, cell = settings.IMPORT_MAX_COLUMNS, settings.IMPORT_MAX_CELL_CHARS
    cases = [
        (f"{columns} columns, names and first rows' cells {cell} characters", _wide_long(columns, cell)),
        (
            f"{columns} columns, as many rows as {settings.IMPORT_MAX_BYTES / 1e6:.1f} MB allows",
            _most_rows(columns, settings.IMPORT_MAX_ROWS, settings.IMPORT_MAX_BYTES),
        ),
        (
            "a 2-line file with 100,000 columns, as in the issue",
            ",".join(f"c{i}" for i in range(100_000)) + "\r\n" + "," * 99_999 + "\r\n",
        ),  # fmt: skip
    ]
    load_before = os.getloadavg()[0]
    results = [measure(client, user, name, text) for name, text in cases]
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines = [
        "| file | size | upload | mapping page: median / slowest of 10 | page size | Python allocations (peak) | samples shown |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        upload = f"{r['upload_status']} in {r['upload_s'] * 1000:.0f} ms"
        if "median_s" not in r:
            lines.append(f"| {r['case']} | {r['bytes'] / 1000:.0f} KB | {upload} (refused) | — | — | — | — |")
            continue
        lines.append(
            f"| {r['case']} ({r['rows']} rows) | {r['bytes'] / 1000:.0f} KB | {upload} | "
            f"**{r['median_s'] * 1000:.0f} ms** / {r['max_s'] * 1000:.0f} ms | {r['page_kb']:.0f} KB | "
            f"{r['alloc_peak_mb']:.1f} MB | {r['samples']} |"
        )
    body = "\n".join(
        [
            header(),
            f"Caps: IMPORT_MAX_COLUMNS={columns}, IMPORT_MAX_CELL_CHARS={cell}, "
            f"IMPORT_MAX_ROWS={settings.IMPORT_MAX_ROWS}, IMPORT_MAX_BYTES={settings.IMPORT_MAX_BYTES}. "
            "Django's test client in one process (SQLite), so the time is the server's alone. "
            f"Load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after (2 shared cores).",
            "",
            *lines,
            "",
            f"Process RSS high-water mark after all cases: {rss_mb:.0f} MB. Target: under 1 s for any file "
            "within the caps. Baseline before the caps (issue 24): the 100,000-column file's mapping page "
            "took 114 s and 51 MB, with the web process at 430 MB; it is now refused while reading.",
        ]
    )
    print(body)
    if args.write:
        write_section("Import mapping page at the caps (bench/mapping_page.py)", body)


if __name__ == "__main__":
    main()

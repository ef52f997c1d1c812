"""Development static URLs (emailcenter/dev_static.py): each carries its file's
modification time, so the browser may keep it and an edit gets a new URL."""

import os
from pathlib import Path

import pytest

from emailcenter.dev_static import VersionedStaticFilesStorage

# No database, cache or broker: the storage tier cannot change the outcome.
pytestmark = pytest.mark.tier_independent

ROOT = Path(__file__).resolve().parents[2]


def test_a_url_carries_the_files_modification_time_and_changes_with_it():
    storage = VersionedStaticFilesStorage()
    path = ROOT / "static" / "css" / "app.css"
    before = path.stat()
    try:
        os.utime(path, (before.st_atime, 1_700_000_000))
        assert storage.url("css/app.css").endswith("css/app.css?v=1700000000")
        os.utime(path, (before.st_atime, 1_700_000_060))  # edited a minute later
        assert storage.url("css/app.css").endswith("css/app.css?v=1700000060")
    finally:
        os.utime(path, (before.st_atime, before.st_mtime))


def test_a_file_no_finder_knows_keeps_its_plain_url():
    assert VersionedStaticFilesStorage().url("nowhere/missing.js").endswith("nowhere/missing.js")

"""Static file URLs in development that the browser may keep.

Production serves hashed names (CompressedManifestStaticFilesStorage), which browsers
keep for good. In development (DEBUG) the names are plain, so WhiteNoise had to send
max-age=0 and every page load asked again for each script and style sheet: on `make
run` the page's live stream opened about 50 ms later than in production. Here each URL
carries the file's modification time (`app.css?v=1764580000`), so the browser may keep
it (WHITENOISE_MAX_AGE) and still fetches an edited file at once.
"""

import os

from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import StaticFilesStorage


class VersionedStaticFilesStorage(StaticFilesStorage):
    def url(self, name: str | None) -> str:
        url = super().url(name)
        found = finders.find(name) if name else None
        if isinstance(found, str):
            url += f"?v={int(os.stat(found).st_mtime)}"
        return url

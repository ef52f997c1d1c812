"""Conftest for the toolkit's own smoke tests.

The toolkit's own tests need no Django; they must also run with
``-p no:django``. The project conftest has an autouse ``probe_settings``
fixture built on pytest-django's ``settings``; this same-named fixture
replaces it for tests in this folder only.
"""

import pytest


@pytest.fixture
def probe_settings():
    return None

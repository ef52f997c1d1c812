"""Every autodetection test reads and writes the detection cache: each gets its own."""

import pytest


@pytest.fixture(autouse=True)
def own_cache(fresh_cache):
    return fresh_cache

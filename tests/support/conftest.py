"""Every test here may store screenshots and sign staff in: its own media folder."""

import pytest


@pytest.fixture(autouse=True)
def own_media(media_root):
    return media_root

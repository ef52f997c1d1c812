import pytest
from django.utils import translation

from .catalogues import compile_all


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogues():
    """`make test` compiles the catalogues first; a bare pytest run needs it too."""
    compile_all()


@pytest.fixture(autouse=True)
def english_afterwards():
    """A test client's request leaves its language active in this thread (LocaleMiddleware
    does not deactivate it): back to English, so that later tests are not translated."""
    yield
    translation.deactivate()

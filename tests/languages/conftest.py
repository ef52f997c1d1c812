import pytest

from .catalogues import compile_all


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogues():
    """`make test` compiles the catalogues first; a bare pytest run needs it too."""
    compile_all()

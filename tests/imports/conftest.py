from tests.imports.mixed import mixed  # noqa: F401 (the fixture)

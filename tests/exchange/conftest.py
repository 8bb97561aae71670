"""The import tests' small city (five blocks, five indicators) for exchange tests."""

from tests.ingest.conftest import city_ws, sqlite_city  # noqa: F401

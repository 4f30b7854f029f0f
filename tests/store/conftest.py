"""Store tests run on every store: SQLite always, PostgreSQL when one answers (else skipped, saying why)."""

from __future__ import annotations

import pytest

from farmstead.store.engine import Store
from farmstead.testing.databases import create_postgres_database, drop_postgres_database, postgres_available


def _opened(request, tmp_path, *, migrate: bool):
    """A store of the test's dialect on a fresh database, disposed of (and dropped) afterwards."""
    if request.param == "sqlite":
        opened = Store.open(f"sqlite:///{tmp_path / 'farmstead.db'}", migrate=migrate)
        yield opened
        opened.dispose()
        return
    reason = postgres_available()
    if reason:
        pytest.skip(reason)
    url = create_postgres_database()
    opened = Store.open(url, migrate=migrate)
    yield opened
    opened.dispose()
    drop_postgres_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    yield from _opened(request, tmp_path, migrate=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    """A store's engine with no table yet: the test migrates it as far as it wants."""
    yield from _opened(request, tmp_path, migrate=False)

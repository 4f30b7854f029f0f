"""Store tests run on every store: SQLite always, PostgreSQL when one answers (else skipped, saying why)."""

from __future__ import annotations

import pytest

from farmstead.store.engine import Store
from support.store_databases import fresh_database_url


def _opened(request, tmp_path, *, migrate: bool):
    """A store of the test's dialect on a fresh database, disposed of (and dropped) afterwards."""
    with fresh_database_url(request.param, tmp_path) as url:
        opened = Store.open(url, migrate=migrate)
        yield opened
        opened.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    yield from _opened(request, tmp_path, migrate=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    """A store's engine with no table yet: the test migrates it as far as it wants."""
    yield from _opened(request, tmp_path, migrate=False)

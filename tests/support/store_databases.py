"""A fresh database of either store, for tests that open a Store in their own process: SQLite in the
test's tmp dir, or a new PostgreSQL database dropped afterwards (a skip saying why when none answers)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from farmstead.testing.databases import create_postgres_database, drop_postgres_database, postgres_available


@contextlib.contextmanager
def fresh_database_url(kind: str, tmp_path: Path) -> Iterator[str]:
    """`kind` is "sqlite" or "postgresql" (the fixtures' params); the store opened on the URL must be
    disposed of before the block ends, so that the PostgreSQL database can be dropped."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'farmstead.db'}"
        return
    reason = postgres_available()
    if reason:
        pytest.skip(reason)
    url = create_postgres_database()
    yield url
    drop_postgres_database(url)

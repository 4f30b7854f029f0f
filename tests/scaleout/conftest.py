"""Scale-out tests: several `farmstead server` replicas on one PostgreSQL database (docs/operations.md).

They need PostgreSQL whatever FARMSTEAD_TEST_STORE says, and are skipped, saying why, without one.
"""

from __future__ import annotations

import pytest

from farmstead.testing.databases import create_postgres_database, drop_postgres_database, postgres_available


@pytest.fixture
def postgres_url():
    """A fresh, empty PostgreSQL database for this test, dropped afterwards."""
    reason = postgres_available()
    if reason:
        pytest.skip(f"scale-out needs PostgreSQL: {reason}")
    url = create_postgres_database()
    yield url
    drop_postgres_database(url)

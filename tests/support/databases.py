"""Which stores the tests run on: SQLite always, PostgreSQL when one answers (a fresh database per use).

`FARMSTEAD_TEST_STORE=postgresql` (make test's second pass) puts every server the tests start on
PostgreSQL: the shared `server` fixture, and each LiveServer a test starts itself (one database per
data dir, so a server restarted on the same data dir finds its data again).
"""

from __future__ import annotations

import atexit
import os
import socket
import uuid
from pathlib import Path

import sqlalchemy as sa

ADMIN_URL = os.environ.get("FARMSTEAD_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def postgres_available() -> str | None:
    """None when PostgreSQL can be used, else the reason it can't (said in the skip)."""
    url = sa.engine.make_url(ADMIN_URL)
    try:
        with socket.create_connection((url.host or "127.0.0.1", url.port or 5432), timeout=1):
            pass
    except OSError as exc:
        return f"no PostgreSQL on {url.host}:{url.port} ({exc}); set FARMSTEAD_TEST_DATABASE_URL to test that store"
    try:
        engine = sa.create_engine(ADMIN_URL)
        with engine.connect():
            pass
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means: skip, and say why
        return f"PostgreSQL at {url.host}:{url.port} refused us: {exc}"
    return None


def create_postgres_database() -> str:
    name = f"farmstead_test_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return str(sa.engine.make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False))


def drop_postgres_database(url: str) -> None:
    name = sa.engine.make_url(url).database
    engine = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    engine.dispose()


def testing_on_postgres() -> bool:
    return os.environ.get("FARMSTEAD_TEST_STORE") == "postgresql"


#: Marks a data dir whose server keeps its data in PostgreSQL: the database's URL.
_DATABASE_MARK = ".farmstead-test-database-url"


def database_for(data_dir: Path) -> str | None:
    """The PostgreSQL database a server on `data_dir` uses when the tests run on PostgreSQL (made
    on first use, dropped when the test process ends); None on the embedded store."""
    if not testing_on_postgres():
        return None
    mark = Path(data_dir) / _DATABASE_MARK
    if mark.exists():
        return mark.read_text()
    reason = postgres_available()
    if reason:
        import pytest

        pytest.skip(reason)
    url = create_postgres_database()
    mark.write_text(url)
    atexit.register(drop_postgres_database, url)
    return url


if __name__ == "__main__":
    # `python tests/support/databases.py`: exit 0 when PostgreSQL can be used, else print why not.
    import sys

    problem = postgres_available()
    if problem:
        print(problem)
    sys.exit(1 if problem else 0)

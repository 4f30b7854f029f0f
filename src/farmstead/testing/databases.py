"""PostgreSQL for servers under test: whether one answers, and a fresh database per use.

Owns: the administrative URL the databases are made with (FARMSTEAD_TEST_DATABASE_URL, default the
trust-auth `postgres` user on 127.0.0.1:5432), the `farmstead_test_<hex>` databases it makes and drops
(the SQL is store/databases.py's), and the FARMSTEAD_TEST_STORE=postgresql switch that puts every
LiveServer of a run on PostgreSQL (one database per data dir, so a server restarted on the same data
dir finds its data again).
Must not: import pytest (a missing PostgreSQL raises Unavailable, which the pytest plugin reports as a
skip), or touch a database it did not create.

`python -m farmstead.testing.databases` exits 0 when PostgreSQL can be used, else prints why not and
exits 1 (make test decides on its second pass with it).
"""

from __future__ import annotations

import atexit
import os
import sys
import uuid
from pathlib import Path

from farmstead.store.databases import create_database, drop_database, unreachable
from farmstead.testing.unavailable import Unavailable

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
#: Marks a data dir whose server keeps its data in PostgreSQL: the database's URL.
_DATABASE_MARK = ".farmstead-test-database-url"


def admin_url() -> str:
    """The URL databases are created and dropped with (its user needs CREATEDB)."""
    return os.environ.get("FARMSTEAD_TEST_DATABASE_URL") or DEFAULT_ADMIN_URL


def postgres_available() -> str | None:
    """None when PostgreSQL can be used, else the reason it can't (said in the skip)."""
    reason = unreachable(admin_url())
    return f"{reason}; set FARMSTEAD_TEST_DATABASE_URL to test that store" if reason else None


def create_postgres_database() -> str:
    """A new, empty database; its URL (password included, for the server's FARMSTEAD_DATABASE_URL)."""
    return create_database(admin_url(), f"farmstead_test_{uuid.uuid4().hex[:12]}")


def drop_postgres_database(url: str) -> None:
    drop_database(admin_url(), url)


def fresh_postgres_database() -> str:
    """`create_postgres_database`, or Unavailable saying why PostgreSQL can't be used."""
    reason = postgres_available()
    if reason:
        raise Unavailable(reason)
    return create_postgres_database()


def testing_on_postgres() -> bool:
    return os.environ.get("FARMSTEAD_TEST_STORE") == "postgresql"


def database_for(data_dir: Path) -> str | None:
    """The PostgreSQL database a server on `data_dir` uses when FARMSTEAD_TEST_STORE=postgresql (made
    on first use, dropped when the process ends); None on the embedded store."""
    if not testing_on_postgres():
        return None
    mark = Path(data_dir) / _DATABASE_MARK
    if mark.exists():
        return mark.read_text()
    url = fresh_postgres_database()
    mark.write_text(url)
    atexit.register(drop_postgres_database, url)
    return url


if __name__ == "__main__":
    problem = postgres_available()
    if problem:
        print(problem)
    sys.exit(1 if problem else 0)

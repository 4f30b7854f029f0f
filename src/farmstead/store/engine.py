"""Engine and unit of work for both dialects.

Owns: creating the SQLAlchemy engine (SQLite: WAL, foreign keys, busy timeout, BEGIN IMMEDIATE for
writes so two writers queue instead of deadlocking on the upgrade from a read lock; PostgreSQL:
psycopg 3 with a pool), running migrations, and the `read()`/`write()` transactions.
Must not: hold queries for any resource.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

SQLITE_BUSY_TIMEOUT_MS = 10_000


class StoreBusy(Exception):
    """The store could not take this transaction now (lock timeout, serialization failure, deadlock).

    The API answers it with ThrottlingException: the caller retries, and the official worker agent
    retries a 429 where it would give up on a 500.
    """


# SQLite: "database is locked"/"busy"; PostgreSQL: serialization_failure, deadlock_detected, lock_not_available.
_BUSY_SQLSTATES = {"40001", "40P01", "55P03"}


def _is_busy(error: sa.exc.DBAPIError) -> bool:
    original = error.orig
    if getattr(original, "sqlstate", None) in _BUSY_SQLSTATES:
        return True
    text = str(original).lower()
    return "database is locked" in text or "database is busy" in text


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'farmstead.db'}"


def create_engine(url: str, *, pool_size: int = 10, max_overflow: int = 10) -> Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        _configure_sqlite(engine)
        return engine
    # Sized per server process: replicas x (pool_size + max_overflow) < max_connections (docs/operations.md).
    return sa.create_engine(url, pool_size=pool_size, max_overflow=max_overflow, pool_pre_ping=True)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Take transaction control from pysqlite so we can say BEGIN or BEGIN IMMEDIATE ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL is durable across process crashes
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("farmstead_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Store:
    """The database behind one server process: an engine plus transactions."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name

    @classmethod
    def open(cls, url: str, *, migrate: bool = True, pool_size: int = 10,
             max_overflow: int = 10) -> Store:
        store = cls(create_engine(url, pool_size=pool_size, max_overflow=max_overflow))
        if migrate:
            from farmstead.store.migrations.runner import upgrade

            upgrade(store.engine)
        return store

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn, conn.begin():
                yield conn
        except sa.exc.DBAPIError as error:
            if _is_busy(error):
                raise StoreBusy(str(error.orig)) from error
            raise

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction, committed before the block returns (nothing accepted is lost)."""
        try:
            with self.engine.connect() as conn:
                conn = conn.execution_options(farmstead_write=True)
                with conn.begin():
                    yield conn
        except sa.exc.DBAPIError as error:
            if _is_busy(error):
                raise StoreBusy(str(error.orig)) from error
            raise

    def dispose(self) -> None:
        self.engine.dispose()

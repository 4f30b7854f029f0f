"""Engine and unit of work for both dialects.

Owns: creating the SQLAlchemy engine (SQLite: WAL, foreign keys, busy timeout, BEGIN IMMEDIATE for
writes so two writers queue instead of deadlocking on the upgrade from a read lock; PostgreSQL:
psycopg 3 with a pool, BEGIN said by us and sent with the transaction's first statement, a pooled
connection the server has written to meanwhile (its goodbye) checked by a BEGIN of its own),
running migrations, the `read()`/`write()` transactions, and telling the driver errors that mean
"not now" (StoreBusy, StoreUnavailable) from the ones that are bugs.
Must not: hold queries for any resource.
"""

from __future__ import annotations

import asyncio
import contextlib
import select
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator

import psycopg
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from farmstead.store import events, notifications
from farmstead.store.send_later import LATER_KEY, Later, send_each, take_later

SQLITE_BUSY_TIMEOUT_MS = 10_000


class StoreBusy(Exception):
    """The store could not take this transaction now (lock timeout, serialization failure, deadlock).

    The API answers it with ThrottlingException: the caller retries, and the official worker agent
    retries a 429 where it would give up on a 500.
    """


class StoreUnavailable(Exception):
    """The store cannot be used now: the database is down or unreachable, or its disk is full.

    `cause` says which in words an operator acts on ("the database cannot be reached"); `detail` is
    the driver's own message, for the server log. The API answers ThrottlingException with
    Retry-After (docs/operations.md): every official client retries it, and nothing was written.
    """

    def __init__(self, cause: str, detail: str) -> None:
        super().__init__(f"{cause}: {detail}")
        self.cause = cause
        self.detail = detail


# SQLite: "database is locked"/"busy"; PostgreSQL: serialization_failure, deadlock_detected, lock_not_available.
_BUSY_SQLSTATES = {"40001", "40P01", "55P03"}
# PostgreSQL: admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections, and class 08
# (connection exceptions); disk_full, out_of_memory.
_UNREACHABLE_SQLSTATES = {"57P01", "57P02", "57P03", "53300"}
_FULL_SQLSTATES = {"53100", "53200"}
UNREACHABLE = "the database cannot be reached"
OUT_OF_SPACE = "the store is out of disk space"
DISK_FAILING = "the store cannot read or write its files"
#: How long a PostgreSQL connection attempt may take before the store counts as unreachable.
CONNECT_TIMEOUT_SECONDS = 5


def _is_busy(error: sa.exc.DBAPIError) -> bool:
    original = error.orig
    if getattr(original, "sqlstate", None) in _BUSY_SQLSTATES:
        return True
    text = str(original).lower()
    return "database is locked" in text or "database is busy" in text


def _unavailable(error: sa.exc.DBAPIError) -> StoreUnavailable | None:
    """The StoreUnavailable an error means, or None for an error that is a bug (bad SQL, a constraint)."""
    original = error.orig
    state = getattr(original, "sqlstate", None) or ""
    text = str(original).lower()
    detail = str(original).strip()
    if state in _FULL_SQLSTATES or "database or disk is full" in text or "no space left" in text:
        return StoreUnavailable(OUT_OF_SPACE, detail)
    if "disk i/o error" in text or "unable to open database file" in text or "readonly database" in text:
        return StoreUnavailable(DISK_FAILING, detail)
    # psycopg reports a refused or dropped connection as an OperationalError without a SQLSTATE, and
    # SQLAlchemy marks a dropped one as a disconnect.
    refused = (isinstance(error, sa.exc.OperationalError) and not state
               and type(original).__module__.startswith("psycopg"))
    if state.startswith("08") or state in _UNREACHABLE_SQLSTATES or error.connection_invalidated or refused:
        return StoreUnavailable(UNREACHABLE, detail)
    return None


@contextlib.contextmanager
def _classified() -> Iterator[None]:
    """Driver errors that mean "not now" as StoreBusy or StoreUnavailable; anything else unchanged."""
    try:
        yield
    except sa.exc.DBAPIError as error:
        if _is_busy(error):
            raise StoreBusy(str(error.orig)) from error
        unavailable = _unavailable(error)
        if unavailable is not None:
            raise unavailable from error
        raise
    except sa.exc.TimeoutError as error:  # every pooled connection in use for pool_timeout seconds
        raise StoreBusy(str(error)) from error


def create_engine(url: str, *, pool_size: int = 10, max_overflow: int = 10) -> Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False,
                                                     "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        _configure_sqlite(engine)
        return engine
    # Sized per server process: replicas x (pool_size + max_overflow) < max_connections (docs/operations.md).
    # A bounded connect: an unreachable host would otherwise hold the request for the OS's TCP timeout.
    connect_args = {} if "connect_timeout" in sa.engine.make_url(url).query else {
        "connect_timeout": CONNECT_TIMEOUT_SECONDS}
    # No pool_pre_ping: its SELECT 1 was a round trip per transaction (a heartbeat has 4-6 in all);
    # the BEGIN we send ourselves finds a dead pooled connection instead (_configure_postgresql).
    engine = sa.create_engine(url, pool_size=pool_size, max_overflow=max_overflow, connect_args=connect_args)
    # An executemany INSERT as one multi-row INSERT (SQLAlchemy's "insertmanyvalues"), not one
    # statement per row in psycopg's pipeline: a heartbeat queues up to 32 actions in one call.
    engine.dialect.use_insertmanyvalues_wo_returning = True
    _configure_postgresql(engine)
    return engine


class _DeadConnection(Exception):
    """A pooled PostgreSQL connection found broken by its BEGIN (the server restarted or dropped it)."""


def _configure_postgresql(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Transactions are begun by the "begin" listener below, not by psycopg's implicit BEGIN, so
        # that a BEGIN that fails on a dead connection can be told apart and retried (Store._begin).
        dbapi_connection.autocommit = True

    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_connection, record) -> None:
        record.info.pop(LATER_KEY, None)  # a transaction that ended without commit or rollback: nothing to send
        # A connection used with isolation_level=AUTOCOMMIT (leases.py) was reset to psycopg's own
        # transaction handling on its way back; it goes on working either way, this keeps it lean.
        if dbapi_connection is not None and not dbapi_connection.closed and not dbapi_connection.autocommit \
                and dbapi_connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
            dbapi_connection.autocommit = True

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        driver = conn.connection.driver_connection
        assert driver is not None  # a checked-out connection always has one
        if not begins_with_first_statement(conn, driver):
            return  # psycopg begins it (or nothing is to be begun)
        if not _said_goodbye(driver):
            return  # BEGIN goes with the transaction's first statement (_send_begin_with)
        # The server wrote to a connection that was idle in the pool: its goodbye (a restart, a
        # terminated backend) or EOF. BEGIN now, alone, so a dead connection is told apart and
        # replaced before anything is done (Store._begin); a live one just begins.
        try:
            driver.execute("BEGIN")
        except psycopg.Error as error:
            if driver.broken or driver.closed:
                raise _DeadConnection(str(error)) from error
            raise sa.exc.DBAPIError.instance("BEGIN", (), error, psycopg.Error) from error

    # Every statement the dialect sends goes through one of these three: the first one of a
    # transaction takes the BEGIN along in one pipeline, one round trip for both, and any statement
    # takes along those sent later (SEND_LATER) before it.
    @event.listens_for(engine, "do_execute")
    def _on_execute(cursor, statement, parameters, context) -> bool:
        return _send_begin_with(context, lambda: cursor.execute(statement, parameters), (statement, parameters, False))

    @event.listens_for(engine, "do_execute_no_params")
    def _on_execute_no_params(cursor, statement, context) -> bool:
        return _send_begin_with(context, lambda: cursor.execute(statement), (statement, None, False))

    @event.listens_for(engine, "do_executemany")
    def _on_executemany(cursor, statement, parameters, context) -> bool:
        return _send_begin_with(context, lambda: cursor.executemany(statement, parameters),
                                (statement, parameters, True))

    @event.listens_for(engine, "commit")
    def _on_commit(conn: Connection) -> None:
        later = take_later(conn)
        if not later:
            return
        # The statements sent later go with the COMMIT: one round trip. The dialect's own commit then
        # finds the transaction ended and sends nothing.
        driver = conn.connection.driver_connection
        assert driver is not None  # a connection in a transaction always has one
        try:
            with driver.pipeline():
                if begins_with_first_statement(conn, driver):
                    driver.execute("BEGIN")
                send_each(driver, later)
                driver.execute("COMMIT")
        except psycopg.Error as error:
            invalidated = conn.dialect.is_disconnect(error, driver, None)  # type: ignore[arg-type]
            if invalidated:
                conn.invalidate(error)
            raise sa.exc.DBAPIError.instance("COMMIT", None, error, psycopg.Error,
                                             connection_invalidated=invalidated) from error

    @event.listens_for(engine, "rollback")
    def _on_rollback(conn: Connection) -> None:
        take_later(conn)  # never sent: nothing of them reached the database


def begins_with_first_statement(conn: Connection, driver: psycopg.Connection) -> bool:
    """Whether this transaction's BEGIN is ours to send (psycopg in autocommit mode, not a connection
    used with isolation_level=AUTOCOMMIT) and not sent yet."""
    return (driver.autocommit and conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT"
            and driver.info.transaction_status == psycopg.pq.TransactionStatus.IDLE)


def _said_goodbye(driver: psycopg.Connection) -> bool:
    """Whether an idle connection has something to read: a server that ends a connection (shutdown,
    pg_terminate_backend) writes its reason and closes it; nothing else writes to an idle one."""
    if driver.closed or driver.broken:
        return True
    waiting = select.poll()  # not select.select: a busy server's descriptors may pass FD_SETSIZE
    waiting.register(driver.fileno(), select.POLLIN)
    return bool(waiting.poll(0))


def _send_begin_with(context, execute: Callable[[], object], statement: Later) -> bool:
    """Runs `execute` after a BEGIN and the statements sent later in one pipeline when there are
    any; keeps a SEND_LATER statement for later; False (the dialect executes as usual) otherwise.
    Without it an idle heartbeat's BEGIN was a round trip of five, 15-17 % of a replica's time
    (docs/scaling.md)."""
    conn = context.root_connection
    if not conn.in_transaction():
        return False
    driver = conn.connection.driver_connection
    if driver is None:
        return False
    compiled = context.compiled
    if context.execution_options.get("farmstead_send_later") and compiled is not None \
            and not compiled.effective_returning:
        conn.info.setdefault(LATER_KEY, []).append(statement)
        return True  # the dialect sees an executed statement with no rows (its cursor has none)
    begin = begins_with_first_statement(conn, driver)
    later = take_later(conn)
    if not begin and not later:
        return False
    with driver.pipeline():
        if begin:
            driver.execute("BEGIN")
        send_each(driver, later)
        execute()
    return True


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
        if conn.get_execution_options().get("farmstead_write", False):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            return
        # A read's deferred BEGIN straight on the driver: through exec_driver_sql it costs ~30 us of
        # SQLAlchemy's execution machinery on every read request (docs/benchmarks.md "request_path").
        # A driver error is wrapped as SQLAlchemy would, so _classified still tells outages apart.
        driver = conn.connection.driver_connection
        assert driver is not None  # a checked-out connection always has one
        if driver.in_transaction:
            return  # begun on the driver already: a kept connection's read (_driver_transaction)
        try:
            driver.execute("BEGIN")
        except sqlite3.Error as error:
            raise sa.exc.DBAPIError.instance("BEGIN", (), error, sqlite3.Error) from error


class Store:
    """The database behind one server process: an engine plus transactions."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._readers = _LoopReaders(engine) if self.dialect == "sqlite" else None
        #: Told each transaction's kind ("read"/"write") and seconds, from asking for a connection to
        #: commit or rollback (farmstead.metrics); None: not timed.
        self.observe_transaction: Callable[[str, float], None] | None = None
        #: Given the wake-ups (key: how many held calls) of each committed write (store/notifications.py).
        self.on_wakeup: Callable[[notifications.Counts], None] | None = None
        #: False (FARMSTEAD_EVENTS=0, only to measure the outbox's cost): the events a transaction notes
        #: are dropped instead of written.
        self.events_outbox = True

    @classmethod
    def open(cls, url: str, *, migrate: bool = True, pool_size: int = 10,
             max_overflow: int = 10) -> Store:
        store = cls(create_engine(url, pool_size=pool_size, max_overflow=max_overflow))
        if migrate:
            from farmstead.store.migrations.runner import upgrade

            upgrade(store.engine)
        return store

    def _begin(self, *, write: bool) -> tuple[Connection, sa.engine.RootTransaction]:
        """A connection from the pool with its transaction begun (on PostgreSQL: its BEGIN to go with
        the first statement). A pooled connection the server has dropped (a restart) has the
        server's goodbye waiting to be read, so it is sent a BEGIN of its own, which fails before
        anything is done: it is thrown away and the next one tried, so no caller sees the outage
        that is already over."""
        pool = self.engine.pool
        attempts = pool.size() + 1 if isinstance(pool, sa.pool.QueuePool) else 1
        for attempt in range(attempts):
            conn = self.engine.connect()
            if write:
                conn = conn.execution_options(farmstead_write=True)
            try:
                return conn, conn.begin()
            except _DeadConnection as dead:
                conn.invalidate()
                conn.close()
                if attempt == attempts - 1:
                    raise StoreUnavailable(UNREACHABLE, str(dead)) from dead
            except BaseException:
                conn.close()
                raise
        raise AssertionError("unreachable: the last attempt returns or raises")

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        started = time.perf_counter()
        try:
            kept = self._readers.connection() if self._readers is not None else None
            if kept is not None:
                with _classified(), _driver_transaction(kept):
                    yield kept
            else:
                with _classified():
                    conn, transaction = self._begin(write=False)
                    with conn, transaction:
                        yield conn
        finally:
            if self.observe_transaction is not None:
                self.observe_transaction("read", time.perf_counter() - started)

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction, committed before the block returns (nothing accepted is lost)."""
        started = time.perf_counter()
        try:
            with _classified():
                conn, transaction = self._begin(write=True)
                with conn:
                    try:
                        with transaction:
                            yield conn
                            if self.events_outbox:
                                events.write_noted(conn)  # the event outbox (docs/events.md) commits with the rest
                            woken = notifications.collect(conn)  # on PostgreSQL, NOTIFY commits with the rest
                    finally:
                        events.forget(conn)
                        notifications.forget(conn)
        finally:
            if self.observe_transaction is not None:
                self.observe_transaction("write", time.perf_counter() - started)
        if woken and self.on_wakeup is not None:
            self.on_wakeup(woken)

    def dispose(self) -> None:
        if self._readers is not None:
            self._readers.close()
        self.engine.dispose()



def _sqlite_driver(conn: Connection) -> sqlite3.Connection:
    driver = conn.connection.driver_connection
    assert isinstance(driver, sqlite3.Connection)  # _LoopReaders keeps SQLite connections only
    return driver


@contextlib.contextmanager
def _driver_transaction(conn: Connection) -> Iterator[None]:
    """A read transaction on a kept SQLite connection, begun and ended on the driver itself.

    SQLAlchemy's transaction objects, events and commit path cost ~15-20 us of a GetFarm's ~170 us
    (docs/benchmarks.md "request_path"), and most read requests run only DriverSelect reads, which
    need none of it. BEGIN is deferred, as a read's always is: the snapshot starts at the first
    statement. A statement run through SQLAlchemy inside it autobegins SQLAlchemy's transaction on
    top (the begin event sees the driver's and sends no second BEGIN); that one is ended through
    SQLAlchemy, which ends the driver's too. Driver errors are wrapped as SQLAlchemy wraps them.
    """
    driver = _sqlite_driver(conn)
    try:
        driver.execute("BEGIN")
    except sqlite3.Error as error:
        raise sa.exc.DBAPIError.instance("BEGIN", (), error, sqlite3.Error) from error
    try:
        yield
    except BaseException:
        _end(conn, driver, commit=False)
        raise
    _end(conn, driver, commit=True)


def _end(conn: Connection, driver: sqlite3.Connection, *, commit: bool) -> None:
    try:
        if conn.in_transaction():  # SQLAlchemy's, autobegun on top: ending it ends the driver's
            if commit:
                conn.commit()
            else:
                conn.rollback()
        elif commit:
            driver.commit()
        else:
            driver.rollback()
    except sqlite3.Error as error:
        raise sa.exc.DBAPIError.instance("COMMIT" if commit else "ROLLBACK", (), error, sqlite3.Error) from error


class _LoopReaders:
    """SQLite: the read transactions of a thread that runs an event loop, on one connection it keeps.

    A read on a connection checked out of the pool and given back costs ~80 us of SQLAlchemy's
    connection and pool machinery before its first statement, more than the rest of a GetFarm's
    store work (docs/benchmarks.md "request_path"); a kept connection only says BEGIN and COMMIT.
    Only an event loop's thread keeps one: the server's loop runs every read request that is not
    staged, one after another, so one connection of the pool serves them all and the pool keeps the
    rest; other threads (staged handlers, the web monitor, background work) check connections out
    as before. A read inside a read on the loop gets a pooled connection.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._local = threading.local()
        self._lock = threading.Lock()
        self._kept: weakref.WeakSet[Connection] = weakref.WeakSet()

    def connection(self) -> Connection | None:
        """This thread's kept connection; None off an event loop or when it is in a transaction already."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return None
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = self._local.conn = self._engine.connect()
            with self._lock:
                self._kept.add(conn)
        elif conn.in_transaction() or _sqlite_driver(conn).in_transaction:
            return None
        return conn

    def close(self) -> None:
        with self._lock:
            kept = list(self._kept)
        for conn in kept:
            conn.close()

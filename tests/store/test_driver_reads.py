"""The hottest reads on the sqlite3 driver (store/driver_reads.py) and an event loop's kept read
connection (store/engine.py): the same rows Core gives, errors classified as before, and reads that
see every committed write."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from farmstead.store.driver_reads import DriverSelect
from farmstead.store.types import Json, UtcDateTime

NOW = datetime(2026, 12, 7, 3, 40, 0, 123456, tzinfo=UTC)

_metadata = sa.MetaData()
things = sa.Table(
    "driver_read_things", _metadata,
    sa.Column("thing_id", sa.String(64), primary_key=True),
    sa.Column("group_id", sa.String(64), nullable=False),
    sa.Column("made_at", UtcDateTime(), nullable=False),
    sa.Column("ended_at", UtcDateTime()),
    sa.Column("document", Json, nullable=False),
    sa.Column("held", sa.Boolean(), nullable=False),
    sa.Column("scale", sa.Float(), nullable=False),
    sa.Column("count", sa.Integer()),
)
BY_ID = DriverSelect(sa.select(things).where(things.c.thing_id == sa.bindparam("b_id")), "ThingRow")
FIRST_OF_GROUP = DriverSelect(sa.select(things).where(things.c.group_id == sa.bindparam("b_group"))
                              .order_by(things.c.thing_id).limit(sa.bindparam("b_limit")), "ThingRow")


@pytest.fixture
def filled(store):
    _metadata.create_all(store.engine)
    with store.write() as conn:
        conn.execute(things.insert(), [
            {"thing_id": "a", "group_id": "g", "made_at": NOW, "ended_at": None,
             "document": {"nested": [1, "two", None]}, "held": True, "scale": 1.5, "count": 3},
            {"thing_id": "b", "group_id": "g", "made_at": NOW, "ended_at": NOW,
             "document": [], "held": False, "scale": 0.0, "count": None},
            {"thing_id": "c", "group_id": "g", "made_at": NOW, "ended_at": None,
             "document": {}, "held": False, "scale": 2.0, "count": 0}])
    return store


def test_a_driver_read_gives_the_values_core_gives(filled):
    with filled.read() as conn:
        for thing_id in ("a", "b", "c"):
            core = conn.execute(BY_ID.statement, {"b_id": thing_id}).first()
            driver = BY_ID.first(conn, {"b_id": thing_id})
            assert tuple(driver) == tuple(core)
            assert driver._asdict() == dict(core._mapping)
        row = BY_ID.first(conn, {"b_id": "a"})
        assert BY_ID.first(conn, {"b_id": "missing"}) is None
    assert row.made_at == NOW and row.made_at.tzinfo is not None
    assert row.document == {"nested": [1, "two", None]} and row.held is True and row.count == 3


def test_a_driver_read_of_many_rows_keeps_the_statements_own_limit_and_offset(filled):
    with filled.read() as conn:
        rows = FIRST_OF_GROUP.all(conn, {"b_group": "g", "b_limit": 2})
        assert [row.thing_id for row in rows] == ["a", "b"]
        assert [tuple(r) for r in rows] == [tuple(r) for r in conn.execute(FIRST_OF_GROUP.statement,
                                                                             {"b_group": "g", "b_limit": 2})]


def test_a_driver_error_is_wrapped_as_core_wraps_it(filled):
    """So engine._classified still tells a locked or unreachable store from a bug."""
    with filled.read() as conn:
        missing = DriverSelect(sa.select(sa.table("no_such_table", sa.column("x"))), "Missing")
        with pytest.raises(sa.exc.DBAPIError):
            missing.first(conn, {})


def test_an_event_loops_reads_share_one_kept_connection_and_other_threads_check_one_out(filled):
    async def reads() -> tuple:
        with filled.read() as first:
            pass
        with filled.read() as again, filled.read() as inner:  # a read inside a read: another connection
            assert inner is not again
            assert BY_ID.first(inner, {"b_id": "a"}).thing_id == "a"
        return first, again

    first, again = asyncio.run(reads())
    assert (again is first) == (filled.dialect == "sqlite")
    with filled.read() as off_the_loop:
        assert off_the_loop is not first


def test_a_kept_read_connection_sees_writes_committed_since_its_last_read_and_survives_a_failed_read(filled):
    async def reads() -> None:
        with filled.read() as conn:
            assert BY_ID.first(conn, {"b_id": "d"}) is None
        with filled.write() as conn:
            conn.execute(things.insert(), {"thing_id": "d", "group_id": "g", "made_at": NOW, "document": {},
                                           "held": False, "scale": 1.0})
        with pytest.raises(LookupError), filled.read() as conn:
            assert BY_ID.first(conn, {"b_id": "d"}).thing_id == "d"
            raise LookupError("a handler's not-found, after its read")
        with filled.read() as conn:
            assert BY_ID.first(conn, {"b_id": "d"}).thing_id == "d"

    asyncio.run(reads())


def test_a_kept_read_is_one_snapshot_across_driver_and_core_statements_and_ends_with_nothing_open(filled):
    """The kept connection's read transaction is begun on the driver (engine._driver_transaction):
    a Core statement inside it joins that transaction instead of beginning another, and whichever
    ran, the read's end leaves neither the driver nor SQLAlchemy in a transaction."""
    if filled.dialect != "sqlite":
        pytest.skip("only SQLite keeps a connection for the event loop's reads, snapshot from the first statement")
    count = sa.select(sa.func.count()).select_from(things)

    def write_elsewhere(thing_id: str) -> None:  # another thread: a pooled connection's committed write
        def write() -> None:
            with filled.write() as conn:
                conn.execute(things.insert(), {"thing_id": thing_id, "group_id": "g", "made_at": NOW,
                                               "document": {}, "held": False, "scale": 1.0})
        thread = threading.Thread(target=write)
        thread.start()
        thread.join()

    async def reads() -> list:
        kept = []
        with filled.read() as conn:  # driver first, then Core
            kept.append(conn)
            assert BY_ID.first(conn, {"b_id": "a"}).thing_id == "a"
            write_elsewhere("x")
            assert conn.execute(count).scalar_one() == 3
        with filled.read() as conn:  # Core first, then driver
            kept.append(conn)
            assert conn.execute(count).scalar_one() == 4
            write_elsewhere("y")
            assert BY_ID.first(conn, {"b_id": "y"}) is None
        with filled.read() as conn:
            kept.append(conn)
            assert BY_ID.first(conn, {"b_id": "y"}).thing_id == "y"
            assert conn.connection.driver_connection.in_transaction
        assert not conn.in_transaction()
        assert not conn.connection.driver_connection.in_transaction
        return kept

    kept = asyncio.run(reads())
    assert all(conn is kept[0] for conn in kept)

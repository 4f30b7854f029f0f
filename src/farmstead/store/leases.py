"""Which replica does a background duty: leases in the settings table, and per-item advisory locks.

Several `farmstead server` processes may share one PostgreSQL database (docs/operations.md). A duty
that should run once per farm, not once per replica, is guarded in one of two ways:
- a lease (`take`): a row `lease:<duty>` naming the holder and until when; the holder renews it on
  every pass, another replica takes it over once it has lapsed (the holder stopped or died). Times are
  the replicas' own clocks: skew between hosts only delays a takeover by that much.
- an item lock (`item_lock`): a PostgreSQL session advisory lock held on a dedicated connection for
  as long as one long piece of work runs (materializing one job). It goes away with the connection,
  so a replica that dies mid-way frees the item for another at once.
Start-up writes every replica makes (the administrator, the pagination key) are `serialize`d.
On SQLite there is one server process and one writer at a time: a lease is still recorded (harmless),
an item lock is a lock within the process, and `serialize` does nothing.
Must not: decide what the duties do.
"""

from __future__ import annotations

import contextlib
import threading
import zlib
from collections.abc import Iterator
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from farmstead.store.schema import settings

_PREFIX = "lease:"
#: First half of the two-key advisory lock: the namespace of item locks (second half: the item).
_ITEM_LOCK_SPACE = 0x46534C4B  # "FSLK"
_local_held: set[str] = set()  # item locks taken in this process (SQLite: the only process)
_local_guard = threading.Lock()


def take(conn: Connection, duty: str, holder: str, now: datetime, duration: timedelta) -> bool:
    """Hold or renew the lease on `duty` until now + duration; False while another holder's is current.

    Run it in a write transaction: on PostgreSQL the row is locked (FOR UPDATE) until commit, so two
    replicas asking at once are answered one after the other."""
    key = _PREFIX + duty
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    conn.execute(insert(settings).values(key=key, value=_encode("", now)).on_conflict_do_nothing())
    current = conn.execute(sa.select(settings.c.value).where(settings.c.key == key).with_for_update()).scalar_one()
    current_holder, until = _decode(current)
    if current_holder not in ("", holder) and until > now:
        return False
    conn.execute(settings.update().where(settings.c.key == key).values(value=_encode(holder, now + duration)))
    return True


def holder_of(conn: Connection, duty: str, now: datetime) -> str | None:
    """The replica whose lease on `duty` is current, if any."""
    value = conn.execute(sa.select(settings.c.value).where(settings.c.key == _PREFIX + duty)).scalar()
    if value is None:
        return None
    holder, until = _decode(value)
    return holder if holder and until > now else None


def release(conn: Connection, duty: str, holder: str) -> None:
    """Give the lease up at once (a replica stopping cleanly), so another need not wait for it to lapse."""
    key = _PREFIX + duty
    value = conn.execute(sa.select(settings.c.value).where(settings.c.key == key).with_for_update()).scalar()
    if value is not None and _decode(value)[0] == holder:
        conn.execute(settings.delete().where(settings.c.key == key))


def serialize(conn: Connection, name: str) -> None:
    """Wait until no other replica's transaction holds `name`, then hold it until this one ends.

    For start-up writes that every replica makes (the administrator, the pagination secret): done one
    replica after another, each sees what the one before it wrote. SQLite writes are serial already."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_ITEM_LOCK_SPACE}, {_int4(name)})")


def _int4(name: str) -> int:
    return zlib.crc32(name.encode()) - 2**31


def _encode(holder: str, until: datetime) -> str:
    return f"{until.isoformat()}|{holder}"


def _decode(value: str) -> tuple[str, datetime]:
    until, _, holder = value.partition("|")
    return holder, datetime.fromisoformat(until)


@contextlib.contextmanager
def item_lock(engine: Engine, name: str) -> Iterator[bool]:
    """Try to hold the lock on `name` for the block; yields False (at once) when another holds it."""
    if engine.dialect.name != "postgresql":
        with _local_guard:
            got = name not in _local_held
            _local_held.add(name)
        try:
            yield got
        finally:
            if got:
                with _local_guard:
                    _local_held.discard(name)
        return
    key = _int4(name)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        got = bool(conn.exec_driver_sql(f"SELECT pg_try_advisory_lock({_ITEM_LOCK_SPACE}, {key})").scalar())
        try:
            yield got
        finally:
            if got:
                # A broken connection has released the lock already; nothing else to undo.
                with contextlib.suppress(sa.exc.DBAPIError):
                    conn.exec_driver_sql(f"SELECT pg_advisory_unlock({_ITEM_LOCK_SPACE}, {key})")

"""Log groups, log streams and log events (farmstead/logs): rows in, rows out.

Owns: the queries of the CloudWatch Logs subset, including `ensure_stream`, which the Deadline
side calls when it hands a session or a worker its log configuration (the worker agent never
creates groups or streams itself). Events are read in (timestamp, event_key) order through the
indexes of the same name, a chunk at a time, so a page stops reading once it is full.
Must not: decide rules (domain.log_events) or who may read what (logs.access).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Row

from farmstead.store.schema import log_events, log_groups, log_streams
from farmstead.store.send_later import SEND_LATER

MAX_KEY = 2**63 - 1  # a gap after every event of a timestamp: (ts, MAX_KEY)
_FIRST_CHUNK = 64
_MAX_CHUNK = 1024


def _insert_new(conn: Connection, table: sa.Table, values: dict[str, Any]) -> bool:
    """Insert unless the row's unique name is taken; True if inserted (no race between check and insert)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    # RETURNING, not rowcount: with psycopg an INSERT … RETURNING reports rowcount -1.
    key = table.primary_key.columns.values()[0]
    statement = dialect.insert(table).values(**values).on_conflict_do_nothing().returning(key)
    return conn.execute(statement).first() is not None


def _contains(conn: Connection, column, text: str):
    """Case-sensitive substring test on both dialects (SQLite's LIKE ignores ASCII case)."""
    find = sa.func.strpos if conn.dialect.name == "postgresql" else sa.func.instr
    return find(column, text) > 0


def _starts_with(column, prefix: str):
    return sa.func.substr(column, 1, len(prefix)) == prefix


# --- groups ---------------------------------------------------------------------------------------

def find_group(conn: Connection, name: str) -> Row | None:
    return conn.execute(sa.select(log_groups).where(log_groups.c.name == name)).first()


def create_group(conn: Connection, name: str, creation_time: int, *, log_group_class: str = "STANDARD",
                 deletion_protection: bool = False, tags: dict[str, str] | None = None) -> bool:
    return _insert_new(conn, log_groups, dict(name=name, creation_time=creation_time, log_group_class=log_group_class,
                                              deletion_protection=deletion_protection, tags=tags))


def group_page(conn: Connection, *, after: str | None, limit: int, prefix: str | None = None,
               contains: str | None = None, classes: Sequence[str] | None = None,
               names: Sequence[str] | None = None) -> list[Row]:
    """Groups in name order after `after`, at most `limit` of them."""
    query = sa.select(log_groups)
    if after is not None:
        query = query.where(log_groups.c.name > after)
    if prefix:
        query = query.where(_starts_with(log_groups.c.name, prefix))
    if contains:
        query = query.where(_contains(conn, log_groups.c.name, contains))
    if classes is not None:
        query = query.where(log_groups.c.log_group_class.in_(classes))
    if names is not None:
        query = query.where(log_groups.c.name.in_(names))
    return list(conn.execute(query.order_by(log_groups.c.name).limit(limit)))


def stored_bytes(conn: Connection, group_keys: Iterable[int]) -> dict[int, int]:
    """Bytes of event messages held per group (summed from its streams, so writers never share a row)."""
    keys = list(group_keys)
    if not keys:
        return {}
    query = (sa.select(log_streams.c.group_key, sa.func.sum(log_streams.c.stored_bytes))
             .where(log_streams.c.group_key.in_(keys)).group_by(log_streams.c.group_key))
    return {key: int(total or 0) for key, total in conn.execute(query)}


def set_deletion_protection(conn: Connection, group_key: int, enabled: bool) -> None:
    conn.execute(log_groups.update().where(log_groups.c.group_key == group_key).values(deletion_protection=enabled))


def delete_group(conn: Connection, group_key: int) -> None:
    # Explicit rather than through ON DELETE CASCADE: one indexed statement per table.
    conn.execute(log_events.delete().where(log_events.c.group_key == group_key))
    conn.execute(log_streams.delete().where(log_streams.c.group_key == group_key))
    conn.execute(log_groups.delete().where(log_groups.c.group_key == group_key))


# --- streams --------------------------------------------------------------------------------------

def find_stream(conn: Connection, group_key: int, name: str) -> Row | None:
    query = sa.select(log_streams).where(log_streams.c.group_key == group_key, log_streams.c.name == name)
    return conn.execute(query).first()


def create_stream(conn: Connection, group_key: int, name: str, creation_time: int) -> bool:
    return _insert_new(conn, log_streams, dict(group_key=group_key, name=name, creation_time=creation_time,
                                               stored_bytes=0, upload_sequence=0))


@functools.cache
def _ensure_statements(dialect_name: str) -> tuple[Any, Any]:
    """(the group unless it exists, the stream in the group of that name unless it exists): two
    statements that need no answer, so on PostgreSQL both go with the call's next statement."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    name, now_ms = sa.bindparam("b_group", type_=log_groups.c.name.type), sa.bindparam("b_now", type_=sa.BigInteger)
    group = dialect.insert(log_groups).inline().values(
        name=name, creation_time=now_ms, log_group_class="STANDARD", deletion_protection=False,
        tags=None).on_conflict_do_nothing()
    # WHERE is what lets SQLite read ON CONFLICT after INSERT … SELECT as the upsert clause.
    stream = dialect.insert(log_streams).from_select(
        ["group_key", "name", "creation_time", "stored_bytes", "upload_sequence"],
        sa.select(log_groups.c.group_key, sa.bindparam("b_stream", type_=log_streams.c.name.type),
                  sa.bindparam("b_now", type_=sa.BigInteger), sa.literal(0), sa.literal(0))
        .where(log_groups.c.name == name)).on_conflict_do_nothing()
    return group, stream


def ensure_stream(conn: Connection, log_group_name: str, log_stream_name: str, now_ms: int) -> None:
    """Create the group and the stream unless they exist: what the Deadline service does for its
    sessions (`/aws/deadline/<farmId>/<queueId>`, `<sessionId>`) and workers before the agent logs.
    Sent with the call's next statement (store/send_later.py): a worker's start was three round
    trips more for these, though the group nearly always exists."""
    group, stream = _ensure_statements(conn.dialect.name)
    params = {"b_group": log_group_name, "b_stream": log_stream_name, "b_now": now_ms}
    conn.execute(group, params, execution_options=SEND_LATER)
    conn.execute(stream, params, execution_options=SEND_LATER)


def streams_named(conn: Connection, group_key: int, names: Sequence[str]) -> list[Row]:
    query = sa.select(log_streams).where(log_streams.c.group_key == group_key, log_streams.c.name.in_(list(names)))
    return list(conn.execute(query))


def stream_page(conn: Connection, group_key: int, *, by_last_event: bool, descending: bool, prefix: str | None,
                after: list | None, limit: int) -> list[Row]:
    """Streams ordered by name, or by last event time then name; `after` is a `stream_position`."""
    name = log_streams.c.name
    keys = [sa.func.coalesce(log_streams.c.last_event_timestamp, -1), name] if by_last_event else [name]
    query = sa.select(log_streams).where(log_streams.c.group_key == group_key)
    if prefix:
        query = query.where(_starts_with(name, prefix))
    if after is not None:
        query = query.where(_beyond(keys, after, descending))
    order = [k.desc() for k in keys] if descending else keys
    return list(conn.execute(query.order_by(*order).limit(limit)))


def stream_position(row: Row, by_last_event: bool) -> list:
    return [-1 if row.last_event_timestamp is None else row.last_event_timestamp, row.name] if by_last_event \
        else [row.name]


def _beyond(keys: list, position: list, descending: bool):
    """Rows strictly after `position` in the (lexicographic) order of `keys`."""
    later = (lambda k, v: k < v) if descending else (lambda k, v: k > v)
    condition = later(keys[-1], position[-1])
    for key, value in zip(reversed(keys[:-1]), reversed(position[:-1]), strict=True):
        condition = sa.or_(later(key, value), sa.and_(key == value, condition))
    return condition


def delete_stream(conn: Connection, stream_key: int) -> None:
    conn.execute(log_events.delete().where(log_events.c.stream_key == stream_key))
    conn.execute(log_streams.delete().where(log_streams.c.stream_key == stream_key))


# --- events ---------------------------------------------------------------------------------------

def append_events(conn: Connection, group_key: int, stream_key: int, timestamps: Sequence[int],
                  messages: Sequence[str], ingestion_time: int, message_bytes: int) -> int:
    """Store a (chronologically sorted, non-empty) batch; returns the stream's new upload sequence."""
    conn.execute(log_events.insert(), [
        dict(stream_key=stream_key, group_key=group_key, timestamp=ts, ingestion_time=ingestion_time, message=m)
        for ts, m in zip(timestamps, messages, strict=True)])
    c = log_streams.c
    first, last = timestamps[0], timestamps[-1]
    conn.execute(log_streams.update().where(c.stream_key == stream_key).values(
        first_event_timestamp=sa.case((c.first_event_timestamp.is_(None), first),
                                      (c.first_event_timestamp > first, first), else_=c.first_event_timestamp),
        last_event_timestamp=sa.case((c.last_event_timestamp.is_(None), last),
                                     (c.last_event_timestamp < last, last), else_=c.last_event_timestamp),
        last_ingestion_time=ingestion_time,
        stored_bytes=c.stored_bytes + message_bytes,
        upload_sequence=c.upload_sequence + 1,
    ))
    return conn.execute(sa.select(c.upload_sequence).where(c.stream_key == stream_key)).scalar_one()


def iter_events(conn: Connection, *, forward: bool, gap: tuple[int, int] | None = None,
                stream_key: int | None = None, group_key: int | None = None,
                stream_keys: Sequence[int] | None = None, stream_prefix: str | None = None,
                start: int | None = None, end: int | None = None,
                all_of: Sequence[str] = (), any_of: Sequence[str] = (), none_of: Sequence[str] = ()) -> Iterator[Row]:
    """Events of one stream (`stream_key`) or of a group (`group_key`, rows then carry `stream_name`).

    Order is (timestamp, event_key), ascending when `forward`. A gap `(ts, key)` sits right after
    that position: forward reads events after it, backward the events at or before it. `start` is
    inclusive and `end` exclusive. Rows are fetched in growing chunks, so a reader that stops
    early (a full page) costs only what it read.
    """
    e = log_events.c
    columns = [e.event_key, e.timestamp, e.ingestion_time, e.message]
    if stream_key is not None:
        query = sa.select(*columns).where(e.stream_key == stream_key)
    else:
        query = (sa.select(*columns, log_streams.c.name.label("stream_name"))
                 .join(log_streams, log_streams.c.stream_key == e.stream_key)
                 .where(e.group_key == group_key))
        if stream_keys is not None:
            query = query.where(e.stream_key.in_(list(stream_keys)))
        if stream_prefix:
            query = query.where(_starts_with(log_streams.c.name, stream_prefix))
    if start is not None:
        query = query.where(e.timestamp >= start)
    if end is not None:
        query = query.where(e.timestamp < end)
    for term in all_of:
        query = query.where(_contains(conn, e.message, term))
    if any_of:
        query = query.where(sa.or_(*(_contains(conn, e.message, term) for term in any_of)))
    for term in none_of:
        query = query.where(sa.not_(_contains(conn, e.message, term)))
    order = (e.timestamp, e.event_key) if forward else (e.timestamp.desc(), e.event_key.desc())
    query = query.order_by(*order)
    chunk = _FIRST_CHUNK
    while True:
        page = query if gap is None else query.where(_past_gap(gap, forward))
        rows = list(conn.execute(page.limit(chunk)))
        yield from rows
        if len(rows) < chunk:
            return
        last = rows[-1]
        gap = (last.timestamp, last.event_key) if forward else (last.timestamp, last.event_key - 1)
        chunk = min(chunk * 2, _MAX_CHUNK)


def _past_gap(gap: tuple[int, int], forward: bool):
    ts, key = gap
    e = log_events.c
    # The redundant range on timestamp alone lets both engines seek the (…, timestamp, event_key) index.
    if forward:
        return sa.and_(e.timestamp >= ts, sa.or_(e.timestamp > ts, e.event_key > key))
    return sa.and_(e.timestamp <= ts, sa.or_(e.timestamp < ts, e.event_key <= key))

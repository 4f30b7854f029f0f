"""The queue of bulk task changes applied in batches (task_fan_outs), and the job's dispatch hold.

Owns: appending a request's items at the end of its job's queue, inserting what follows from an
item right after it, reading a job's first item, moving its cursor, deleting it, and keeping
`jobs.dispatch_held` equal to "a queued item takes READY tasks away".
Must not: decide what an item does (orchestration/fan_outs.py) or which moves are legal (domain/task_states.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from farmstead.store import notifications
from farmstead.store.schema import jobs, task_fan_outs, tasks

_c = task_fan_outs.c
_ORDER = (_c.root, _c.sub)


def has_pending(conn: Connection, job_id: str) -> bool:
    query = sa.select(_c.fan_out_id).where(_c.job_id == job_id).limit(1)
    return conn.execute(query).first() is not None


def next_root(conn: Connection, job_id: str) -> int:
    """The root of a new request's items: after every root the job has queued."""
    return (conn.execute(sa.select(sa.func.max(_c.root)).where(_c.job_id == job_id)).scalar() or 0) + 1


def append(conn: Connection, job_id: str, root: int, items: list[dict[str, Any]], now: datetime) -> None:
    """Queue items at the end of `root` (the caller's request), in order."""
    last = conn.execute(sa.select(sa.func.max(_c.sub)).where(_c.job_id == job_id, _c.root == root)).scalar()
    _insert(conn, job_id, root, (-1 if last is None else last) + 1, items, now)


def insert_after(conn: Connection, job_id: str, root: int, sub: int, items: list[dict[str, Any]],
                 now: datetime) -> None:
    """Queue items right after (root, sub), before anything queued after it: what follows from an item
    happens before the next request's changes, as it would have inline."""
    if not items:
        return
    # Two steps, so that the unique (job, root, sub) never sees two rows at once on the way.
    later = sa.and_(_c.job_id == job_id, _c.root == root, _c.sub > sub)
    conn.execute(task_fan_outs.update().where(later).values(sub=-_c.sub))
    conn.execute(task_fan_outs.update().where(_c.job_id == job_id, _c.root == root, _c.sub < 0)
                 .values(sub=-_c.sub + len(items)))
    _insert(conn, job_id, root, sub + 1, items, now)


def _insert(conn: Connection, job_id: str, root: int, first_sub: int, items: list[dict[str, Any]],
            now: datetime) -> None:
    rows = [{"job_id": job_id, "root": root, "sub": first_sub + offset, "requested_at": now, "next_index": 0,
             "kind": item["kind"], "step_id": item.get("step_id"), "event": item.get("event"),
             "target": item.get("target"), "requested_by": item.get("requested_by"),
             "holds_dispatch": bool(item.get("holds_dispatch"))}
            for offset, item in enumerate(items)]
    conn.execute(task_fan_outs.insert(), rows)
    if any(row["holds_dispatch"] for row in rows):
        conn.execute(jobs.update().where(jobs.c.job_id == job_id).values(dispatch_held=True))


def first(conn: Connection, job_id: str) -> Row | None:
    return conn.execute(sa.select(task_fan_outs).where(_c.job_id == job_id).order_by(*_ORDER).limit(1)).first()


def jobs_pending(conn: Connection) -> list[str]:
    """Jobs with queued items, the longest waiting first."""
    query = (sa.select(_c.job_id, sa.func.min(_c.fan_out_id).label("oldest")).group_by(_c.job_id)
             .order_by(sa.text("oldest")))
    return [row.job_id for row in conn.execute(query)]


def advance(conn: Connection, fan_out_id: int, next_index: int) -> None:
    conn.execute(task_fan_outs.update().where(_c.fan_out_id == fan_out_id).values(next_index=next_index))


def remove(conn: Connection, job_id: str, fan_out_id: int) -> bool:
    """Delete a finished item and lift the job's dispatch hold when nothing queued holds it any more;
    returns whether the job's queue is now empty."""
    conn.execute(task_fan_outs.delete().where(_c.fan_out_id == fan_out_id))
    holding = conn.execute(sa.select(_c.fan_out_id).where(_c.job_id == job_id, _c.holds_dispatch.is_(True))
                           .limit(1)).first() is not None
    if not holding and conn.execute(jobs.update().where(jobs.c.job_id == job_id, jobs.c.dispatch_held.is_(True))
                                    .values(dispatch_held=False)).rowcount:
        notifications.note_ready(conn, job_id)  # its READY tasks are claimable again
    return not has_pending(conn, job_id)


def last_task_index(conn: Connection, step_id: str) -> int:
    """The step's highest task_index (-1 without tasks): where a move's batches end."""
    value = conn.execute(sa.select(sa.func.max(tasks.c.task_index)).where(tasks.c.step_id == step_id)).scalar()
    return -1 if value is None else value


def last_for_step(conn: Connection, job_id: str, step_id: str) -> Row | None:
    """The step's last queued item (a new identical one behind it, not yet started, would add nothing)."""
    query = (sa.select(task_fan_outs).where(_c.job_id == job_id, _c.step_id == step_id)
             .order_by(_c.root.desc(), _c.sub.desc()).limit(1))
    return conn.execute(query).first()


def archive_queued(conn: Connection, job_id: str) -> bool:
    query = sa.select(_c.fan_out_id).where(_c.job_id == job_id, _c.kind == "archive").limit(1)
    return conn.execute(query).first() is not None

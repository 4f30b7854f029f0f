"""Sessions and session actions: what each worker is doing, action by action."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from farmstead.domain.statuses import SessionActionStatus, SessionLifecycleStatus
from farmstead.domain.worker_sessions import LISTED, SETUP_KINDS, UNFINISHED
from farmstead.store.rows import existing
from farmstead.store.schema import session_actions, sessions, tasks
from farmstead.store.statements import one_of, update_by_key, update_many_by_key
from farmstead.store.tasks import in_index_range

#: Actions the worker may still run or report (domain/worker_sessions.py): listed until they finish.
PENDING = tuple(str(status) for status in LISTED)


def insert(conn: Connection, **values: Any) -> None:
    conn.execute(sessions.insert().values(**values))


def get_existing(conn: Connection, session_id: str) -> Row:
    """The row of a session this transaction already knows exists (it just made it, or read it)."""
    return existing(get(conn, session_id), f"session {session_id}")


def get(conn: Connection, session_id: str) -> Row | None:
    return conn.execute(sa.select(sessions).where(sessions.c.session_id == session_id)).first()


def update(conn: Connection, session_id: str, **values: Any) -> None:
    update_by_key(conn, sessions, "session_id", session_id, values)


def _status_in(statuses: tuple[str, ...]):
    return one_of(session_actions.c.status, statuses)


# The heartbeat's statements, built once (a fresh one would be rebuilt and cache-keyed on every call).
_OPEN_FOR_WORKER = (sa.select(sessions).where(sessions.c.worker_id == sa.bindparam("b_worker_id"),
                                              sessions.c.ended_at.is_(None))
                    .order_by(sessions.c.started_at))
# No ORDER BY: with one, SQLite walks the (session_id, action_index) index through every action the
# session ever had, to skip a sort; without, it seeks (session_id, status) for the few unfinished ones
# (a 20,000-action session halved one worker's dispatch rate). pending_actions sorts them.
_PENDING = sa.select(session_actions).where(session_actions.c.session_id == sa.bindparam("b_session_id"),
                                            _status_in(PENDING))
_ACTIONS_OF_WORKER = (sa.select(session_actions, sessions.c.worker_id.label("session_worker_id"),
                                sessions.c.farm_id.label("session_farm_id"),
                                sessions.c.queue_id.label("session_queue_id"),
                                sessions.c.fleet_id.label("session_fleet_id"))
                      .join(sessions, sessions.c.session_id == session_actions.c.session_id)
                      .where(session_actions.c.session_action_id.in_(sa.bindparam("b_action_ids", expanding=True))))
_ACTIONS_OF_WORKER_LOCKED = _ACTIONS_OF_WORKER.order_by(session_actions.c.session_action_id).with_for_update(
    of=session_actions)
_TAKE_ACTION_INDEXES = (sessions.update().where(sessions.c.session_id == sa.bindparam("b_session_id"))
                        .values(next_action_index=sessions.c.next_action_index + sa.bindparam("b_count"))
                        .returning(sessions.c.next_action_index))
_INSERT_ACTION = session_actions.insert()
_WINDING_DOWN_MARKS: dict[tuple[str, ...], Any] = {}


def open_for_worker(conn: Connection, worker_id: str) -> list[Row]:
    return list(conn.execute(_OPEN_FOR_WORKER, {"b_worker_id": worker_id}))


def add_actions(conn: Connection, session_row: Row, actions: list[dict[str, Any]], assigned_at: datetime) -> list[str]:
    """Append several actions in order (each a dict of columns with at least `kind`), assigned now
    (`assigned_at`); returns their ids.

    Takes the indexes and moves the session's counter on in one statement, then inserts all rows in
    one executemany: a session queued several tasks ahead costs two statements, not two per task."""
    end = conn.execute(_TAKE_ACTION_INDEXES, {"b_session_id": session_row.session_id,
                                              "b_count": len(actions)}).scalar_one()
    first = end - len(actions)
    hex_part = session_row.session_id.split("-", 1)[1]
    # One executemany per set of columns given (a JSON column given None would store JSON null).
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    ids = []
    for offset, action in enumerate(actions):
        index = first + offset
        action_id = f"sessionaction-{hex_part}-{index}"
        ids.append(action_id)
        row = {"status": SessionActionStatus.ASSIGNED, **{k: v for k, v in action.items() if v is not None},
               "session_action_id": action_id, "session_id": session_row.session_id,
               "job_id": session_row.job_id, "action_index": index, "assigned_at": assigned_at}
        by_columns.setdefault(tuple(sorted(row)), []).append(row)
    for rows in by_columns.values():
        conn.execute(_INSERT_ACTION, rows)
    return ids


def pending_actions(conn: Connection, session_id: str) -> list[Row]:
    """The session's unfinished actions in order: what the worker is still told about (a long session
    has thousands of finished ones; the heartbeat must not read them)."""
    return sorted(conn.execute(_PENDING, {"b_session_id": session_id}), key=lambda row: row.action_index)


def actions_of_kind(conn: Connection, session_id: str, kind: str) -> list[Row]:
    query = (sa.select(session_actions).where(session_actions.c.session_id == session_id,
                                              session_actions.c.kind == kind)
             .order_by(session_actions.c.action_index))
    return list(conn.execute(query))


def has_action(conn: Connection, session_id: str, *, kind: str | None = None,
               statuses: tuple[str, ...] | None = None, kinds: tuple[str, ...] | None = None) -> bool:
    query = sa.select(session_actions.c.session_action_id).where(session_actions.c.session_id == session_id)
    if kind is not None:
        query = query.where(session_actions.c.kind == kind)
    if kinds is not None:
        query = query.where(session_actions.c.kind.in_(kinds))
    if statuses is not None:
        query = query.where(session_actions.c.status.in_(statuses))
    return conn.execute(query.limit(1)).first() is not None


def task_run_failed_before(conn: Connection, session_id: str, action_index: int) -> bool:
    """Whether a taskRun before `action_index` in the session ended FAILED (the unique
    (session_id, action_index) index answers it)."""
    query = (sa.select(session_actions.c.session_action_id)
             .where(session_actions.c.session_id == session_id, session_actions.c.action_index < action_index,
                    session_actions.c.kind == "taskRun", session_actions.c.status == SessionActionStatus.FAILED)
             .limit(1))
    return conn.execute(query).first() is not None


def get_action_of_worker(conn: Connection, session_action_id: str) -> Row | None:
    """The action with its session's `worker_id`, `farm_id` and `queue_id` (as `session_worker_id`,
    `session_farm_id`, `session_queue_id`), in one read; None when
    either is missing."""
    return actions_of_worker_by_id(conn, [session_action_id]).get(session_action_id)


def actions_of_worker_by_id(conn: Connection, session_action_ids: list[str]) -> dict[str, Row]:
    """The actions with their sessions' `worker_id` (as `session_worker_id`), in one read, by id
    (missing ones are left out).
    On PostgreSQL the action rows stay locked until commit (see tasks.for_reports)."""
    if not session_action_ids:
        return {}
    statement = _ACTIONS_OF_WORKER_LOCKED if conn.dialect.name == "postgresql" else _ACTIONS_OF_WORKER
    rows = conn.execute(statement, {"b_action_ids": list(session_action_ids)})
    return {row.session_action_id: row for row in rows}


def update_actions(conn: Connection, changes: list[tuple[str, dict[str, Any]]]) -> None:
    """(session_action_id, values) pairs, written with one executemany per set of columns."""
    update_many_by_key(conn, session_actions, "session_action_id", changes)


def winding_down_marks(conn: Connection, session_id: str, ended_badly: tuple[str, ...]) -> tuple[bool, bool]:
    """(has an envExit, has an action that ended in one of `ended_badly`) in one statement."""
    query = _WINDING_DOWN_MARKS.get(ended_badly)
    if query is None:
        def exists(condition):
            return sa.exists().where(session_actions.c.session_id == sa.bindparam("b_session_id"), condition)
        query = sa.select(exists(session_actions.c.kind == "envExit"), exists(_status_in(ended_badly)))
        _WINDING_DOWN_MARKS[ended_badly] = query
    has_exits, badly = conn.execute(query, {"b_session_id": session_id}).one()
    return bool(has_exits), bool(badly)


def update_action(conn: Connection, session_action_id: str, **values: Any) -> None:
    update_by_key(conn, session_actions, "session_action_id", session_action_id, values)


def _tasks_in(step_id: str, task_status: str, index_range: tuple[int, int] | None):
    query = sa.select(tasks.c.task_id).where(tasks.c.step_id == step_id, tasks.c.run_status == task_status)
    return query.where(in_index_range(index_range)) if index_range is not None else query


def request_cancel_for_tasks(conn: Connection, step_id: str, task_status: str, target: str | None,
                             index_range: tuple[int, int] | None = None) -> int:
    """Ask workers to stop the unfinished taskRun actions of the step's tasks now in `task_status`
    (with `index_range`, of those with task_index in [from, to))."""
    interrupting = _tasks_in(step_id, task_status, index_range)
    query = (session_actions.update()
             .where(session_actions.c.kind == "taskRun", session_actions.c.step_id == step_id,
                    session_actions.c.status.in_(list(UNFINISHED)),
                    session_actions.c.task_id.in_(interrupting))
             .values(status=SessionActionStatus.CANCELING, cancel_target=target))
    return conn.execute(query).rowcount


def request_cancel_for_task(conn: Connection, task_id: str, target: str | None) -> int:
    query = (session_actions.update()
             .where(session_actions.c.kind == "taskRun", session_actions.c.task_id == task_id,
                    session_actions.c.status.in_(list(UNFINISHED)))
             .values(status=SessionActionStatus.CANCELING, cancel_target=target))
    return conn.execute(query).rowcount


def retarget_cancels_for_tasks(conn: Connection, step_id: str, task_status: str, target: str | None,
                               index_range: tuple[int, int] | None = None) -> int:
    """Where the step's tasks in `task_status` (INTERRUPTING) land once their workers confirm the
    cancel already asked for: the latest decision replaces the remembered one."""
    interrupting = _tasks_in(step_id, task_status, index_range)
    query = (session_actions.update()
             .where(session_actions.c.kind == "taskRun", session_actions.c.step_id == step_id,
                    session_actions.c.status == SessionActionStatus.CANCELING,
                    session_actions.c.task_id.in_(interrupting))
             .values(cancel_target=target))
    return conn.execute(query).rowcount


def retarget_cancel_for_task(conn: Connection, task_id: str, target: str | None) -> int:
    query = (session_actions.update()
             .where(session_actions.c.kind == "taskRun", session_actions.c.task_id == task_id,
                    session_actions.c.status == SessionActionStatus.CANCELING)
             .values(cancel_target=target))
    return conn.execute(query).rowcount


def end(conn: Connection, session_id: str, now: datetime) -> None:
    update(conn, session_id, lifecycle_status=SessionLifecycleStatus.ENDED, ended_at=now)


def request_cancel_for_session_setup(conn: Connection, session_id: str) -> int:
    """Ask the worker to stop the session's unfinished envEnter and syncInputJobAttachments actions
    (UpdateSession ENDED; taskRuns go through `request_cancel_for_task`, envExits are left to run)."""
    query = (session_actions.update()
             .where(session_actions.c.session_id == session_id,
                    session_actions.c.kind.in_(list(SETUP_KINDS)),
                    session_actions.c.status.in_(list(UNFINISHED)))
             .values(status=SessionActionStatus.CANCELING))
    return conn.execute(query).rowcount

"""The per-status task counters that job and step rows carry, moved in place by each task change.

Owns the counter UPDATE for both tables: atomic `count = count + n` on both dialects (no
read-modify-write in Python), the first-start stamp, and RETURNING what a roll-up needs so callers
need not read the row again. Statements are built once per (table, set of moved columns): on the
hot path of every task report, building and cache-keying a fresh statement costs more than SQLite
running it.
"""

from __future__ import annotations

import operator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from farmstead.store.schema import TASK_RUN_STATUSES, count_column_name

_STATEMENTS: dict[tuple[str, tuple[str, ...]], Any] = {}


# Read once per job or step row in every answer that carries counts (50 rows a job list page): one C call.
_READ_COUNTS = operator.attrgetter(*(count_column_name(status) for status in TASK_RUN_STATUSES))


def counts_of(row: Row) -> dict[str, int]:
    return dict(zip(TASK_RUN_STATUSES, _READ_COUNTS(row), strict=True))


def count_values(counts: dict[str, int]) -> dict[str, int]:
    """Column values for a full set of counts."""
    return {count_column_name(status): counts.get(status, 0) for status in TASK_RUN_STATUSES}


def add(conn: Connection, table: sa.Table, key_column: str, key: str, delta: dict[str, int],
        retries: int = 0, started_at: Any = None, timed_runs: tuple[int, float] = (0, 0.0)) -> Row | None:
    """Move the row's counters by a delta; `started_at` is stamped only if the row has none yet;
    `timed_runs` (succeeded runs, their seconds) adds to a step's run-time counters.

    Returns the row's counters, status and times after the change, or None when nothing changed."""
    params: dict[str, Any] = {f"d_{count_column_name(s)}": n for s, n in delta.items() if n}
    if retries:
        params["d_task_failure_retry_count"] = retries
    if timed_runs[0]:
        params["d_timed_run_count"], params["f_timed_run_seconds"] = timed_runs
    if started_at is not None:
        params["b_started_at"] = started_at
    if not params:
        return None
    params["b_key"] = key
    return conn.execute(_statement(table, key_column, tuple(sorted(params))), params).first()


def _statement(table: sa.Table, key_column: str, names: tuple[str, ...]):
    statement = _STATEMENTS.get((table.name, names))
    if statement is None:
        values = {name[2:]: table.c[name[2:]] + sa.bindparam(name, type_=sa.Integer())
                  for name in names if name.startswith("d_")}
        values.update({name[2:]: table.c[name[2:]] + sa.bindparam(name, type_=sa.Float())
                       for name in names if name.startswith("f_")})
        if "b_started_at" in names:
            values["started_at"] = sa.func.coalesce(
                table.c.started_at, sa.bindparam("b_started_at", type_=table.c.started_at.type))
        # What a roll-up needs back (not the JSON columns, costly to decode).
        returned = [table.c[key_column], table.c.task_run_status, table.c.started_at, table.c.ended_at,
                    table.c.task_failure_retry_count, *(table.c[count_column_name(s)] for s in TASK_RUN_STATUSES)]
        statement = (table.update().where(table.c[key_column] == sa.bindparam("b_key")).values(**values)
                     .returning(*returned))
        _STATEMENTS[(table.name, names)] = statement
    return statement

"""Statements sent to PostgreSQL together: one round trip for several, in a psycopg pipeline.

On PostgreSQL a request's handler waits through every round trip it makes; an idle heartbeat was
five of them (BEGIN, the worker row marked seen, its sessions counted, the
candidate steps, COMMIT: docs/scaling.md). Statements whose parameters are all known up front, and
where none needs another's answer, go in one pipeline here: the server still runs them one after
another, each in its own snapshot (READ COMMITTED), exactly as if sent one by one, but the handler
waits once. The transaction's BEGIN goes with them when it has not been sent yet (store/engine.py).
On SQLite they run one by one through SQLAlchemy (no round trips to save).

`Pipelined` compiles its statement once per dialect with SQLAlchemy and runs that SQL on psycopg's
own cursor with the columns' bind and result conversions (as store/driver_reads.py does on sqlite3),
so rows hold what Core would have given; they are named tuples. A driver error is wrapped as
SQLAlchemy wraps it, so outages are still told apart (engine._classified).

Owns: that sending. Must not: hold any statement (each store module builds its own).
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect

from farmstead.store.engine import begins_with_first_statement
from farmstead.store.send_later import send_each, take_later

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Compiled:
    sql: str
    compiled: sa.engine.Compiled
    binds: dict[str, Any]  # each bind parameter's conversion (None: the value as it is)
    results: tuple[Processor, ...]
    row: Any  # the named tuple type of the rows; None for a statement that returns none


class Pipelined:
    """A statement with named bind parameters (sa.bindparam), built once by its store module."""

    def __init__(self, statement: sa.Select | sa.Update, name: str) -> None:
        self.statement = statement
        self._name = name
        self._compiled: _Compiled | None = None

    def compiled(self, dialect: Dialect) -> _Compiled:
        if self._compiled is None:
            compiled = self.statement.compile(dialect=dialect)
            binds = {name: bind.type.dialect_impl(dialect).bind_processor(dialect)
                     for name, bind in compiled.binds.items()}
            if "POSTCOMPILE" in compiled.string:
                raise ValueError(f"{self._name}: an expanding IN is rendered per call, not once")
            columns = list(self.statement.exported_columns)  # a SELECT's columns, or what RETURNING gives
            results = tuple(column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns)
            row = namedtuple(self._name, [column.key for column in columns]) if columns else None  # type: ignore[misc]  # noqa: PYI024
            self._compiled = _Compiled(compiled.string, compiled, binds, results, row)
        return self._compiled


@dataclass
class Answer:
    """What one statement of a batch gave: its rows (named tuples) and how many rows it changed."""

    rows: list[Any]
    rowcount: int

    def first(self) -> Any:
        return self.rows[0] if self.rows else None


def run_together(conn: Connection, batch: Sequence[tuple[Pipelined, dict[str, Any]]]) -> list[Answer]:
    """Runs the statements in order in the connection's transaction; their answers, in order."""
    if conn.dialect.name != "postgresql":
        answers = []
        for each, params in batch:
            result = conn.execute(each.statement, params)
            rows = list(result) if result.returns_rows else []
            answers.append(Answer(rows, result.rowcount))
        return answers
    driver = conn.connection.driver_connection
    assert driver is not None  # a connection in a transaction always has one
    compiled = [(each.compiled(conn.dialect), params) for each, params in batch]
    cursors = []
    try:
        with driver.pipeline():
            if conn.in_transaction() and begins_with_first_statement(conn, driver):
                driver.execute("BEGIN")
            send_each(driver, take_later(conn))  # the statements sent later go first (store/send_later.py)
            for statement, params in compiled:
                cursor = driver.cursor()
                bound = _bound(statement, params)
                # The engine's listeners see every statement, as SQLAlchemy's own (the tests count them).
                conn.dispatch.before_cursor_execute(conn, cursor, statement.sql, bound, None, False)
                cursor.execute(statement.sql, bound)
                cursors.append(cursor)
        return [_answer(statement, cursor) for (statement, _), cursor in zip(compiled, cursors, strict=True)]
    except psycopg.Error as error:
        sql = "; ".join(statement.sql for statement, _ in compiled)
        invalidated = conn.dialect.is_disconnect(error, driver, None)  # type: ignore[arg-type]
        if invalidated:
            conn.invalidate(error)
        raise sa.exc.DBAPIError.instance(sql, None, error, psycopg.Error,
                                         connection_invalidated=invalidated) from error
    finally:
        for cursor in cursors:
            cursor.close()


def _bound(statement: _Compiled, params: dict[str, Any]) -> dict[str, Any]:
    values = dict(statement.compiled.construct_params(params) or {})
    for name, convert in statement.binds.items():
        if convert is not None and name in values:
            values[name] = convert(values[name])
    return values


def _answer(statement: _Compiled, cursor: psycopg.Cursor) -> Answer:
    if statement.row is None:
        return Answer([], cursor.rowcount)
    rows = [statement.row._make([value if convert is None else convert(value)
                                 for value, convert in zip(found, statement.results, strict=True)])
            for found in cursor.fetchall()]
    return Answer(rows, cursor.rowcount)

"""The reads nearly every API request makes, run on the sqlite3 driver directly.

A statement built once still costs ~35 us per execution in SQLAlchemy Core's execution context and
result machinery, where SQLite answers a primary-key read in ~4 us: the biggest single share of a
GetFarm's server CPU (docs/benchmarks.md "request_path"). `DriverSelect` compiles its SELECT once
per dialect with SQLAlchemy and, on SQLite, runs that SQL on the connection's sqlite3 cursor, with
the columns' own bind and result conversions (their types' processors: JSON, UTC datetimes,
booleans), so the rows hold what Core would have given. Rows are named tuples: attribute access
and `_asdict()` as on Core's Row. On PostgreSQL it is an ordinary execute (the driver's round trip
dominates there). A driver error is wrapped as SQLAlchemy wraps it, so outages are still told apart
(engine._classified).

Owns: that execution only. Must not: hold any statement (each store module builds its own).
"""

from __future__ import annotations

import sqlite3
from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect

Processor = Callable[[Any], Any] | None
#: A bind parameter the caller gives (sa.bindparam without a value), not one the statement holds.
_GIVEN = object()


@dataclass(frozen=True)
class _Compiled:
    sql: str
    #: The bind parameters in the SQL's positional order, each with its type's conversion and, for
    #: one the statement set itself (SQLite's OFFSET 0 beside a LIMIT), its value.
    binds: tuple[tuple[str, Processor, Any], ...]
    #: Each column's conversion from what sqlite3 returns (None: the value as it is).
    results: tuple[Processor, ...]
    row: Any  # the named tuple type of the rows


class DriverSelect:
    """A SELECT with named bind parameters (sa.bindparam), built once by its store module."""

    def __init__(self, statement: sa.Select, name: str) -> None:
        self.statement = statement
        self._name = name
        self._compiled: _Compiled | None = None

    def first(self, conn: Connection, params: dict[str, Any]) -> Any:
        """The first row or None (a named tuple on SQLite, Core's Row elsewhere)."""
        if conn.dialect.name != "sqlite":
            return conn.execute(self.statement, params).first()
        compiled = self._compiled or self._compile(conn.dialect)
        found = self._cursor(conn, compiled, params).fetchone()
        return None if found is None else _row(compiled, found)

    def all(self, conn: Connection, params: dict[str, Any]) -> list[Any]:
        if conn.dialect.name != "sqlite":
            return list(conn.execute(self.statement, params))
        compiled = self._compiled or self._compile(conn.dialect)
        return [_row(compiled, found) for found in self._cursor(conn, compiled, params).fetchall()]

    @staticmethod
    def _cursor(conn: Connection, compiled: _Compiled, params: dict[str, Any]) -> sqlite3.Cursor:
        values = []
        for name, convert, fixed in compiled.binds:
            value = params[name] if fixed is _GIVEN else fixed
            values.append(value if convert is None else convert(value))
        driver = conn.connection.driver_connection
        assert driver is not None  # a connection in a transaction always has one
        try:
            return driver.execute(compiled.sql, values)
        except sqlite3.Error as error:
            raise sa.exc.DBAPIError.instance(compiled.sql, values, error, sqlite3.Error) from error

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect)
        positions = compiled.positiontup or []
        binds = tuple((name, bind.type.dialect_impl(dialect).bind_processor(dialect),
                       _GIVEN if bind.required else bind.value)
                      for name, bind in ((name, compiled.binds[name]) for name in positions))
        columns = list(self.statement.selected_columns)
        results = tuple(column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns)
        row = namedtuple(self._name, [column.key for column in columns])  # type: ignore[misc]  # noqa: PYI024
        self._compiled = _Compiled(compiled.string, binds, results, row)
        return self._compiled


def _row(compiled: _Compiled, found: tuple) -> Any:
    return compiled.row._make([value if convert is None else convert(value)
                               for value, convert in zip(found, compiled.results, strict=True)])

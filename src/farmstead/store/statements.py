"""Statements built once and reused: the per-call cost of SQLAlchemy Core is in building a statement
and computing its cache key (~100 µs), which the hot paths (a worker's heartbeat, a task report)
would otherwise pay several times per request for SQL that SQLite runs in ~15 µs.

Owns: `one_of`, `column IN (constants)` for statements built once; `update_by_key`, an UPDATE of one
row by its key whose statement is cached per (table, key column, set of columns written), and
`update_many_by_key`, the same for many rows with one statement per set of columns (PostgreSQL: one
UPDATE ... FROM unnest(arrays); SQLite: an executemany, which costs no round trips there). Values must
be plain values (no SQL expressions).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection, CursorResult

from farmstead.store.send_later import SEND_LATER


def one_of(column: sa.ColumnElement, constants: tuple[str, ...]) -> sa.ColumnElement[bool]:
    """`column IN (...)` for code-defined string constants, inlined into the SQL: an IN list would
    be an "expanding" bind parameter, whose SQL SQLAlchemy re-renders on every execution."""
    if any("'" in constant for constant in constants):
        raise ValueError(f"not a plain constant: {constants}")
    return sa.or_(*(column == sa.literal_column(f"'{constant}'") for constant in constants))


_UPDATES: dict[tuple[str, str, tuple[str, ...]], Any] = {}


def _update(table: sa.Table, key_column: str, names: tuple[str, ...]):
    statement = _UPDATES.get((table.name, key_column, names))
    if statement is None:
        statement = (table.update().where(table.c[key_column] == sa.bindparam("k_key"))
                     .values({name: sa.bindparam(f"v_{name}", type_=table.c[name].type) for name in names}))
        _UPDATES[(table.name, key_column, names)] = statement
    return statement


_SET_UPDATES: dict[tuple[str, str, tuple[str, ...]], Any] = {}


def _set_update(table: sa.Table, key_column: str, names: tuple[str, ...]):
    """PostgreSQL: `UPDATE table SET name = v.v_name ... FROM unnest(:keys::type[], ...) AS
    v(k_key, v_name, ...) WHERE key = v.k_key`, each column's values one array parameter. One
    statement for all the rows (psycopg's executemany runs one statement per row, pipelined)."""
    statement = _SET_UPDATES.get((table.name, key_column, names))
    if statement is None:
        columns = (key_column, *names)
        labels = ("k_key", *(f"v_{name}" for name in names))
        # Typed binds: psycopg's dialect renders them with their array casts (`%(a_k_key)s::VARCHAR(80)[]`).
        arrays = [sa.bindparam(f"a_{label}", type_=ARRAY(table.c[column].type))
                  for column, label in zip(columns, labels, strict=True)]
        rows = sa.func.unnest(*arrays).table_valued(*labels).render_derived()
        statement = (table.update().where(table.c[key_column] == rows.c.k_key)
                     .values({name: rows.c[f"v_{name}"] for name in names}))
        _SET_UPDATES[(table.name, key_column, names)] = statement
    return statement


def _unnestable(table: sa.Table, names: tuple[str, ...]) -> bool:
    """Whether every column is of a type psycopg sends as an array as it is (not JSON)."""
    return not any(isinstance(table.c[name].type, sa.JSON) for name in names)


def _params(key: Any, values: dict[str, Any]) -> dict[str, Any]:
    params = {f"v_{name}": value for name, value in values.items()}
    params["k_key"] = key
    return params


def update_by_key(conn: Connection, table: sa.Table, key_column: str, key: Any,
                  values: dict[str, Any], *, later: bool = False) -> CursorResult | None:
    """With `later`, for a caller that reads neither the result nor its rowcount: sent with the
    transaction's next statement (store/send_later.py)."""
    if not values:
        return None
    return conn.execute(_update(table, key_column, tuple(sorted(values))), _params(key, values),
                        execution_options=SEND_LATER if later else None)


def update_many_by_key(conn: Connection, table: sa.Table, key_column: str,
                       rows: list[tuple[Any, dict[str, Any]]]) -> None:
    """(key, values) pairs; rows that write the same columns go in one executemany."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for key, values in rows:
        if values:
            groups.setdefault(tuple(sorted(values)), []).append(_params(key, values))
    set_based = conn.dialect.name == "postgresql"
    for names, params in groups.items():
        if set_based and len(params) > 1 and _unnestable(table, names):
            arrays = {f"a_{label}": [row[label] for row in params]
                      for label in ("k_key", *(f"v_{name}" for name in names))}
            conn.execute(_set_update(table, key_column, names), arrays)
        else:
            conn.execute(_update(table, key_column, names), params)

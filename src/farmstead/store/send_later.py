"""Statements sent later: on PostgreSQL, with the transaction's next statement or its COMMIT.

On PostgreSQL a request's handler waits through every round trip it makes (and holds its row
locks the longer). A write whose answer nobody reads (an INSERT of a new row, a counter moved,
a NOTIFY) need not be one: executed with SEND_LATER, it is kept on the connection and sent in
the pipeline of whatever the transaction sends next (store/engine.py, store/pipelines.py), the
COMMIT at the latest.

Owns: the option and the keeping. Must not: hold any statement (each store module builds its own).
"""

from __future__ import annotations

from typing import Any

import psycopg
from sqlalchemy.engine import Connection

#: Execution options of a statement whose answer nobody reads (no rows, no rowcount) and whose
#: failure is a bug, not a case its caller handles: on PostgreSQL it is sent with the transaction's
#: next statement, or with its COMMIT, in one pipeline instead of a round trip of its own. The
#: server still runs the statements in the order they were given, so a later statement sees what
#: it did; a failure of it is raised by that next statement (or the commit), and the transaction
#: rolls back as for any other. Not for a statement with RETURNING (it is sent now). SQLite runs
#: it at once. Setting a worker up was 22 round trips, each a wait of its replica (docs/scaling.md).
SEND_LATER = {"farmstead_send_later": True}
#: conn.info (the pooled connection's): the statements sent later, not sent yet, in order.
LATER_KEY = "farmstead.send_later"
#: A statement as the dialect gives it to the driver: (SQL, parameters, executemany?).
Later = tuple[str, Any, bool]


def take_later(conn: Connection) -> list[Later]:
    """The statements this transaction sends later and has not sent yet (none kept after this)."""
    if conn.invalidated:
        # Its pooled connection died (the statements died with it): the pool clears the record's
        # info when it connects again, and touching it now raises instead of the caller's error.
        return []
    return conn.info.pop(LATER_KEY, None) or []


def send_each(driver: psycopg.Connection, later: list[Later]) -> None:
    """Sends `later` inside the caller's pipeline (their answers come with its sync; the cursors are
    left open until then, and hold nothing on the server)."""
    for statement, parameters, many in later:
        if many:
            driver.cursor().executemany(statement, parameters)
        else:
            driver.execute(statement, parameters)

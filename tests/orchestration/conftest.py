"""The engine driven in this process: the API's own executor on a fresh store (SQLite always,
PostgreSQL when one answers), with every SQL statement it runs counted.

Counting needs the store's engine in the test's process, which a server in another process would
hide; everything else is as over HTTP: the model validates the input and the executor runs the
handler in its one transaction, as the administrator.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from botocore import xform_name

from farmstead.api.context import Caller
from farmstead.api.executor import Executor
from farmstead.bootstrap import ensure_admin
from farmstead.clock import SystemClock
from farmstead.config import Settings
from farmstead.logs.executor import LogsExecutor
from farmstead.protocol.model import operations
from farmstead.store import identity
from farmstead.store.engine import Store
from farmstead.web.calls import Api
from support.store_databases import fresh_database_url


class StatementCounter:
    """How many statements the store's engine ran (an executemany counts once, as it is one round
    trip) and, on PostgreSQL, how many round trips the process waited through (psycopg's waits for
    an answer: a pipeline of several statements is one, as is a COMMIT)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.count = 0
        self.waits = 0
        sa.event.listen(engine, "before_cursor_execute", self._count)
        sa.event.listen(engine, "checkout", self._count_waits)

    def _count(self, *_args: Any) -> None:
        self.count += 1

    def _count_waits(self, dbapi_connection, _record, _proxy) -> None:
        if not isinstance(dbapi_connection, psycopg.Connection) or "wait" in vars(dbapi_connection):
            return
        wait = dbapi_connection.wait

        def counted(gen: Any, *args: Any, **kwargs: Any) -> Any:
            if _waits_for_the_server(dbapi_connection, gen.gi_code.co_name):
                self.waits += 1
            return wait(gen, *args, **kwargs)
        dbapi_connection.wait = counted  # type: ignore[method-assign]

    @contextlib.contextmanager
    def counting(self) -> Iterator[list[int]]:
        """Yields a list that holds the number of statements run inside the block, once it ends."""
        before, result = self.count, []
        yield result
        result.append(self.count - before)

    @contextlib.contextmanager
    def round_trips(self) -> Iterator[list[int]]:
        """Yields a list that holds the round trips to PostgreSQL inside the block, once it ends."""
        before, result = self.waits, []
        yield result
        result.append(self.waits - before)


def _waits_for_the_server(connection: psycopg.Connection, step: str) -> bool:
    """Whether psycopg's `step` (the name of the generator it waits on) is a round trip: in a pipeline
    only the sync at its end waits for answers (each statement is only sent); a COMMIT or ROLLBACK
    of a connection not in a transaction sends nothing; entering a pipeline sends nothing."""
    if step in ("_commit_gen", "_rollback_gen"):
        return connection.info.transaction_status != psycopg.pq.TransactionStatus.IDLE
    if connection._pipeline is not None:
        return step in ("_exit_gen", "_sync_gen")
    return step != "_enter_gen"


class InProcessClient:
    """What a boto3 `deadline` client offers, as the administrator, straight into the executor:
    `client.update_worker_schedule(**params)` runs UpdateWorkerSchedule."""

    def __init__(self, api: Api, caller: Caller) -> None:
        self._api = api
        self._caller = caller
        self._names = {xform_name(name): name for name in operations()}

    def __getattr__(self, method: str):
        operation = self._names[method]
        return lambda **params: self._api.call(self._caller, operation, **params)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine_room(request, tmp_path):
    """(a client into this process's executor, the statement counter of its store)."""
    with fresh_database_url(request.param, tmp_path) as url:
        settings = Settings(data_dir=tmp_path, database_url=url)
        store = Store.open(url)
        clock = SystemClock()
        ensure_admin(store, settings, clock)
        with store.read() as conn:
            admin = next(p for p in identity.list_principals(conn) if p.is_admin)
        executor = Executor(store, settings, clock)
        caller = Caller(admin.principal_id, admin.name, True,
                        f"arn:aws:iam::{settings.account_id}:user/{admin.name}")
        client = InProcessClient(Api(executor, LogsExecutor(store, settings, clock, executor.tokens)), caller)
        yield client, StatementCounter(store.engine)
        store.dispose()

"""Which handlers the pipeline runs off the event loop (Executor.runs_in_thread), on each store."""

from __future__ import annotations

import pytest

from farmstead.api.executor import Executor
from farmstead.clock import SystemClock
from farmstead.config import Settings
from farmstead.store.engine import Store
from support.store_databases import fresh_database_url


@pytest.fixture(params=["sqlite", "postgresql"])
def executor(request, tmp_path):
    with fresh_database_url(request.param, tmp_path) as url:
        store = Store.open(url)
        yield Executor(store, Settings(data_dir=tmp_path, database_url=url), SystemClock())
        store.dispose()


def test_on_postgresql_every_handler_runs_in_a_thread_so_the_loop_serves_others_while_it_waits(executor):
    """On PostgreSQL a handler mostly waits (round trips, the COMMIT's WAL flush): one replica
    answered ~220 idle heartbeats/s one after another on the loop, ~610/s in threads
    (docs/scaling.md). On SQLite only the staged handlers (which call another service) leave it."""
    operations = ("UpdateWorkerSchedule", "CreateWorker", "GetFarm", "ListWorkers")
    in_thread = {operation: executor.runs_in_thread(operation) for operation in operations}
    on_postgresql = executor.store.dialect == "postgresql"
    assert in_thread == dict.fromkeys(operations, on_postgresql)
    assert executor.runs_in_thread("CreateJob")  # staged: it may wait on the job attachments' store

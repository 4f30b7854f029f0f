"""The workers per fleet and status a metrics scrape reads (store/worker_counts.py): every way a worker
row's status changes moves them, so they always equal a count of the rows; the migration counts the
workers stored before it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from farmstead.domain.statuses import WorkerStatus as W
from farmstead.store import farms, fleets, worker_counts, workers
from farmstead.store.engine import Store
from farmstead.store.migrations.runner import upgrade
from farmstead.store.schema import workers as worker_rows

NOW = datetime(2026, 12, 7, 3, 30, tzinfo=UTC)
FARM, FLEETS = "farm-" + "a" * 32, ("fleet-" + "b" * 32, "fleet-" + "c" * 32)


def _farm(conn) -> None:
    farms.insert(conn, farm_id=FARM, display_name="f", cost_scale_factor=1.0, created_at=NOW, created_by="me")
    for fleet_id in FLEETS:
        fleets.insert(conn, fleet_id=fleet_id, farm_id=FARM, display_name="f", status="ACTIVE", role_arn="r",
                      min_worker_count=0, max_worker_count=10, configuration={}, created_at=NOW, created_by="me")


def _worker(conn, worker_id: str, fleet_id: str, status: str = W.CREATED) -> None:
    workers.insert(conn, worker_id=worker_id, farm_id=FARM, fleet_id=fleet_id, status=status, last_seen_at=NOW,
                   created_at=NOW, created_by="me")


def _kept(store: Store) -> dict[tuple[str, str], int]:
    with store.read() as conn:
        return {(fleet_id, status): n for fleet_id, status, n in worker_counts.read(conn) if n}


def _counted(store: Store) -> dict[tuple[str, str], int]:
    query = sa.select(worker_rows.c.fleet_id, worker_rows.c.status, sa.func.count()).group_by(
        worker_rows.c.fleet_id, worker_rows.c.status)
    with store.read() as conn:
        return {(fleet_id, status): n for fleet_id, status, n in conn.execute(query)}


def test_created_started_stopped_lost_and_deleted_workers_keep_the_counts_equal_to_the_rows(store):
    first, second = FLEETS
    with store.write() as conn:
        _farm(conn)
        for index in range(4):
            _worker(conn, f"worker-{index}", first)
        _worker(conn, "worker-9", second)
    assert _kept(store) == _counted(store) == {(first, "CREATED"): 4, (second, "CREATED"): 1}

    with store.write() as conn:
        for index in range(3):
            workers.update(conn, f"worker-{index}", status=W.STARTED, updated_at=NOW)
        workers.update(conn, "worker-0", status=W.STARTED, updated_at=NOW)  # STARTED again: no move
        workers.update(conn, "worker-1", hold="DRAIN")  # no status change: no move
        workers.update(conn, "worker-2", status=W.STOPPED, updated_at=NOW)
        workers.update(conn, "no-such-worker", status=W.STOPPED, updated_at=NOW)
    assert _kept(store) == _counted(store) == {(first, "CREATED"): 1, (first, "STARTED"): 2, (first, "STOPPED"): 1,
                                               (second, "CREATED"): 1}

    later = NOW + timedelta(minutes=10)
    with store.write() as conn:
        assert workers.mark_not_responding(conn, "worker-0", later, later, "test")
        assert not workers.mark_not_responding(conn, "worker-2", later, later, "test")  # STOPPED: not online
        workers.delete(conn, "worker-2")
        workers.delete(conn, "worker-9")
    assert _kept(store) == _counted(store) == {(first, "CREATED"): 1, (first, "STARTED"): 1,
                                               (first, "NOT_RESPONDING"): 1}

    with store.write() as conn:  # the second fleet has no workers left: it may go, and its counts with it
        fleets.delete(conn, second)
        assert {fleet_id for fleet_id, _, _ in worker_counts.read(conn)} == {first}


def test_a_rolled_back_change_moves_no_count(store):
    first, _ = FLEETS
    with store.write() as conn:
        _farm(conn)
        _worker(conn, "worker-0", first)
    try:
        with store.write() as conn:
            workers.update(conn, "worker-0", status=W.STARTED, updated_at=NOW)
            raise RuntimeError("the request failed after the change")
    except RuntimeError:
        pass
    assert _kept(store) == _counted(store) == {(first, "CREATED"): 1}


def test_the_migration_counts_the_workers_stored_before_it(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'old.db'}", migrate=False)
    try:
        upgrade(store.engine, "0016")
        first, second = FLEETS
        with store.write() as conn:
            _farm(conn)
            for index, (fleet_id, status) in enumerate([(first, "STARTED"), (first, "STARTED"), (second, "STOPPED")]):
                conn.execute(worker_rows.insert().values(worker_id=f"worker-{index}", farm_id=FARM, fleet_id=fleet_id,
                                                         status=status, last_seen_at=NOW, created_at=NOW,
                                                         created_by="me"))
        upgrade(store.engine)
        assert _kept(store) == _counted(store) == {(first, "STARTED"): 2, (second, "STOPPED"): 1}
    finally:
        store.dispose()

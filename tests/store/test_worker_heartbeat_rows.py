"""What a heartbeat writes on PostgreSQL: every UpdateWorkerSchedule marks its worker seen
(store/workers.touch), 500 times a second at 7,500 workers. Done as a HOT update (no index of the
table names last_seen_at, and the pages keep room for the new row version) it writes no index entry
and leaves no dead version for the next lookup by primary key to step over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from farmstead.domain.statuses import WorkerStatus
from farmstead.store import farms, fleets, workers

NOW = datetime(2026, 12, 7, 12, 40, tzinfo=UTC)
FARM, FLEET = "farm-" + "a" * 32, "fleet-" + "b" * 32
WORKERS = 200
#: What an agent reports of its host: the row is as wide as a real worker's.
HOST = {"hostName": "render-node-0042", "ipAddresses": {"ipV4Addresses": ["10.0.0.42"]},
        "hostProperties": {"attributes": [{"name": f"attr.{n}", "values": ["x" * 20]} for n in range(8)]}}


def _farm_of(store, statuses: list[tuple[WorkerStatus, int]]) -> None:
    """A farm and fleet with a worker per (status, seconds silent at NOW): worker-0000, worker-0001, ..."""
    with store.write() as conn:
        farms.insert(conn, farm_id=FARM, display_name="f", cost_scale_factor=1.0, created_at=NOW, created_by="me")
        fleets.insert(conn, fleet_id=FLEET, farm_id=FARM, display_name="f", status="ACTIVE", role_arn="r",
                      min_worker_count=0, max_worker_count=len(statuses), configuration={}, created_at=NOW,
                      created_by="me")
        for number, (status, silent_for) in enumerate(statuses):
            workers.insert(conn, worker_id=f"worker-{number:04d}", farm_id=FARM, fleet_id=FLEET, status=status,
                           host_properties=HOST, capabilities={"amounts": []},
                           last_seen_at=NOW - timedelta(seconds=silent_for), created_at=NOW, created_by="me")


def test_a_heartbeat_is_a_heap_only_update_wherever_its_page_has_room_on_postgresql(store):
    """One heartbeat per page of worker rows, in one transaction: each has its page's free space to
    itself, so each is HOT exactly when no index names a column it writes and inserts left room.
    (Before: an indexed last_seen_at made none of them HOT; pages filled to 100 % would have no room.)
    Later rounds reuse the room only once their page is pruned, which waits for every older snapshot
    of the database cluster to end: how many of those are HOT depends on what else runs meanwhile."""
    if store.dialect != "postgresql":
        pytest.skip("HOT updates are PostgreSQL's; SQLite keeps ix_workers_status_seen for the sweep")
    _farm_of(store, [(WorkerStatus.STARTED, 0)] * WORKERS)
    with store.engine.connect() as conn, conn.begin():
        one_per_page = conn.exec_driver_sql(
            "SELECT DISTINCT ON ((ctid::text::point)[0]) worker_id FROM workers").scalars().all()
        assert len(one_per_page) > 1  # the rows fill several pages
        for worker_id in one_per_page:
            assert workers.touch(conn, FARM, FLEET, worker_id, NOW + timedelta(seconds=15))
        updated, hot = conn.exec_driver_sql(
            "SELECT pg_stat_get_xact_tuples_updated('workers'::regclass), "
            "pg_stat_get_xact_tuples_hot_updated('workers'::regclass)").one()
    assert (updated, hot) == (len(one_per_page), len(one_per_page))


def test_the_liveness_sweep_still_finds_exactly_the_silent_workers(store):
    _farm_of(store, [(WorkerStatus.STARTED, 90), (WorkerStatus.STARTED, 10), (WorkerStatus.STOPPED, 90),
                     (WorkerStatus.STOPPING, 120)])
    with store.read() as conn:
        silent = {row.worker_id for row in workers.silent_since(conn, NOW - timedelta(seconds=60), NOW)}
    assert silent == {"worker-0000", "worker-0003"}


def test_a_heartbeat_finds_its_worker_by_key_before_any_statistics_exist(store):
    """A new database (or autovacuum off, as on the CI machines) has no statistics: PostgreSQL's
    planner rated the fleet's index as good as the primary key for `worker_id = .. AND fleet_id = ..`
    and chose it, so each heartbeat read every worker of its fleet."""
    if store.dialect != "postgresql":
        pytest.skip("SQLite's planner takes a unique key's equality over any other index")
    _farm_of(store, [(WorkerStatus.STARTED, 0)] * WORKERS)
    with store.engine.connect() as conn:
        with conn.begin():
            assert workers.touch(conn, FARM, FLEET, "worker-0199", NOW + timedelta(seconds=15))
            assert workers.get(conn, FARM, FLEET, "worker-0199")
        with conn.begin():
            conn.exec_driver_sql("SELECT pg_stat_force_next_flush()")
        with conn.begin():
            conn.exec_driver_sql("SELECT pg_stat_clear_snapshot()")
            read = dict(conn.exec_driver_sql(
                "SELECT indexrelname, idx_tup_read FROM pg_stat_user_indexes WHERE relname = 'workers'").all())
    # The touch (an UPDATE and a SELECT on PostgreSQL) and the get: one index entry each.
    assert read == {"pk_workers": 3, "ix_workers_fleet_status": 0}

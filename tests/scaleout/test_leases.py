"""Who does a background duty when several replicas share one database (store/leases.py)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa

from farmstead.background.sweeper import LEASE, Sweeper
from farmstead.clock import FakeClock
from farmstead.store import leases
from farmstead.store.engine import Store
from farmstead.store.migrations.runner import upgrade

MINUTE = timedelta(minutes=1)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        opened = Store.open(f"sqlite:///{tmp_path / 'farmstead.db'}")
        yield opened
        opened.dispose()
    else:
        url = request.getfixturevalue("postgres_url")
        opened = Store.open(url)
        yield opened
        opened.dispose()


def test_a_lease_belongs_to_one_holder_until_it_lapses(store):
    now = FakeClock().now()
    with store.write() as conn:
        assert leases.take(conn, "duty", "a", now, MINUTE)
    with store.write() as conn:
        assert not leases.take(conn, "duty", "b", now + timedelta(seconds=59), MINUTE)
        assert leases.take(conn, "duty", "a", now + timedelta(seconds=59), MINUTE)  # renewed
    with store.write() as conn:
        assert not leases.take(conn, "duty", "b", now + timedelta(seconds=61), MINUTE)
        assert leases.take(conn, "duty", "b", now + timedelta(minutes=3), MINUTE)  # a stopped renewing
        assert leases.holder_of(conn, "duty", now + timedelta(minutes=3)) == "b"


def test_a_released_lease_is_free_at_once(store):
    now = FakeClock().now()
    with store.write() as conn:
        assert leases.take(conn, "duty", "a", now, MINUTE)
    with store.write() as conn:
        leases.release(conn, "duty", "b")  # not b's to give up
        assert not leases.take(conn, "duty", "b", now, MINUTE)
        leases.release(conn, "duty", "a")
        assert leases.take(conn, "duty", "b", now, MINUTE)


def test_an_item_lock_is_held_by_one_taker_at_a_time(store):
    with leases.item_lock(store.engine, "materialize:job-1") as first:
        seen = []

        def another_replica():
            with leases.item_lock(store.engine, "materialize:job-1") as got:
                seen.append(got)

        thread = threading.Thread(target=another_replica)
        thread.start()
        thread.join()
        with leases.item_lock(store.engine, "materialize:job-2") as other:
            assert first and other
        assert seen == [False]
    with leases.item_lock(store.engine, "materialize:job-1") as again:
        assert again


def test_only_the_lease_holding_replica_sweeps(store):
    clock = FakeClock()
    first, second = Sweeper(store, clock, 60), Sweeper(store, clock, 60)
    first.sweep()
    second.sweep()
    with store.read() as conn:
        assert leases.holder_of(conn, LEASE, clock.now()) == first.holder
    clock.advance(minutes=5)  # the first replica stopped sweeping: its lease lapsed
    second.sweep()
    with store.read() as conn:
        assert leases.holder_of(conn, LEASE, clock.now()) == second.holder


def test_replicas_migrating_at_once_all_reach_the_newest_schema(postgres_url):
    engines = [sa.create_engine(postgres_url) for _ in range(3)]
    try:
        with ThreadPoolExecutor(3) as pool:
            list(pool.map(upgrade, engines))
        with engines[0].connect() as conn:
            versions = conn.exec_driver_sql("SELECT count(*) FROM alembic_version").scalar()
        assert versions == 1
    finally:
        for engine in engines:
            engine.dispose()

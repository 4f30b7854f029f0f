"""The store's engine, migrations and transactions on both dialects."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from farmstead.store import farms, identity
from farmstead.store.migrations.runner import upgrade
from farmstead.store.schema import made_on, metadata

NOW = datetime(2026, 11, 29, 12, 0, 0, 123456, tzinfo=UTC)


def test_migrations_produce_exactly_the_declared_schema(store):
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False,
                                                         "include_object": made_on(conn.dialect.name)})
        assert compare_metadata(context, metadata) == []


def test_migrations_are_idempotent_on_restart(store):
    upgrade(store.engine)
    upgrade(store.engine)


def test_timestamps_round_trip_as_aware_utc(store):
    with store.write() as conn:
        farms.insert(conn, farm_id="farm-" + "1" * 32, display_name="f", cost_scale_factor=1.0,
                     created_at=NOW, created_by="me")
    with store.read() as conn:
        row = farms.get(conn, "farm-" + "1" * 32)
    assert row.created_at == NOW and row.created_at.tzinfo is not None


def test_failed_write_transaction_leaves_nothing_behind(store):
    with pytest.raises(RuntimeError):
        with store.write() as conn:
            farms.insert(conn, farm_id="farm-" + "2" * 32, display_name="f", cost_scale_factor=1.0,
                         created_at=NOW, created_by="me")
            raise RuntimeError("handler failed")
    with store.read() as conn:
        assert farms.get(conn, "farm-" + "2" * 32) is None


def test_pagination_secret_is_created_once_and_kept(store):
    with store.write() as conn:
        first = identity.get_or_create_secret(conn, "pagination_secret")
    with store.write() as conn:
        assert identity.get_or_create_secret(conn, "pagination_secret") == first


def test_keyset_pages_cover_every_farm_once(store):
    ids = [f"farm-{i:032x}" for i in range(7)]
    with store.write() as conn:
        for farm_id in ids:
            farms.insert(conn, farm_id=farm_id, display_name="f", cost_scale_factor=1.0, created_at=NOW,
                         created_by="me")
    from farmstead.store.paging import position_of

    seen, after = [], None
    while True:
        with store.read() as conn:
            rows = farms.page(conn, after, 3)
        seen += [r.farm_id for r in rows[:3]]
        if len(rows) <= 3:
            break
        after = position_of(rows[2].created_at, rows[2].farm_id)
    assert seen == ids


def test_a_write_blocked_past_the_busy_timeout_is_store_busy(tmp_path, monkeypatch):
    from farmstead.store import engine as engine_module
    from farmstead.store.engine import Store, StoreBusy

    monkeypatch.setattr(engine_module, "SQLITE_BUSY_TIMEOUT_MS", 50)
    first = Store.open(f"sqlite:///{tmp_path / 'busy.db'}")
    second = Store.open(f"sqlite:///{tmp_path / 'busy.db'}", migrate=False)
    with first.write():
        with pytest.raises(StoreBusy):
            with second.write() as conn:
                farms.insert(conn, farm_id="farm-" + "3" * 32, display_name="f", cost_scale_factor=1.0,
                             created_at=NOW, created_by="me")


def test_pooled_connections_the_database_dropped_are_replaced_without_an_error(store):
    """No ping before each transaction on PostgreSQL: the BEGIN finds a dead pooled connection, which
    is thrown away and the next one tried, so a database restart costs callers nothing once it is back."""
    import sqlalchemy as sa

    from farmstead.testing.databases import admin_url

    if store.dialect != "postgresql":
        pytest.skip("SQLite has no server to drop a connection")
    with store.read() as first, store.read() as second:  # two pooled connections, both to be dropped
        assert first.scalar(sa.text("SELECT 1")) == second.scalar(sa.text("SELECT 1")) == 1
    admin = sa.create_engine(admin_url(), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            dropped = conn.execute(sa.text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                           "WHERE datname = :name AND pid <> pg_backend_pid()"),
                                   {"name": store.engine.url.database}).scalar()
    finally:
        admin.dispose()
    assert dropped >= 2
    with store.write() as conn:
        farms.insert(conn, farm_id="farm-" + "4" * 32, display_name="after", cost_scale_factor=1.0,
                     created_at=NOW, created_by="me")
    with store.read() as conn:
        assert farms.get(conn, "farm-" + "4" * 32).display_name == "after"


def test_a_write_that_fails_after_begin_rolls_back_on_postgresql_too(store):
    """The transactions BEGIN themselves (psycopg in autocommit mode): a failure must still undo every
    statement of the transaction, not only the last."""
    with pytest.raises(RuntimeError):
        with store.write() as conn:
            farms.insert(conn, farm_id="farm-" + "5" * 32, display_name="a", cost_scale_factor=1.0,
                         created_at=NOW, created_by="me")
            farms.insert(conn, farm_id="farm-" + "6" * 32, display_name="b", cost_scale_factor=1.0,
                         created_at=NOW, created_by="me")
            raise RuntimeError("handler failed after two statements")
    with store.read() as conn:
        assert farms.get(conn, "farm-" + "5" * 32) is None and farms.get(conn, "farm-" + "6" * 32) is None

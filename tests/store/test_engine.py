"""The store's engine, migrations and transactions on both dialects."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from farmstead.store import farms, identity
from farmstead.store.migrations.runner import upgrade
from farmstead.store.schema import made_on, metadata
from farmstead.testing.waiting import wait_until

NOW = datetime(2026, 11, 29, 12, 0, 0, 123456, tzinfo=UTC)


def _replay_every_migration(store) -> None:
    """A fresh database is built from the declared schema in one go: to replay the revisions one by
    one, as an existing farm's database gets them, start it at the first."""
    upgrade(store.engine, "0001")
    upgrade(store.engine)


def _reflected(conn) -> dict[str, dict[str, object]]:
    """Everything a database says about its tables, in a form two databases can be compared by."""
    inspector = sa.inspect(conn)
    def text(value) -> str:
        return " ".join(str(value).split())
    return {table: {
        "columns": sorted((c["name"], text(c["type"]), c["nullable"], text(c.get("default")))
                           for c in inspector.get_columns(table)),
        "primary key": inspector.get_pk_constraint(table)["constrained_columns"],
        "foreign keys": sorted((fk["constrained_columns"], fk["referred_table"], fk["referred_columns"],
                                sorted(fk.get("options", {}).items())) for fk in inspector.get_foreign_keys(table)),
        "indexes": sorted((ix["name"], ix["column_names"], bool(ix["unique"]),
                           sorted((k, text(v)) for k, v in ix.get("dialect_options", {}).items()))
                          for ix in inspector.get_indexes(table)),
        "unique": sorted((uq["name"], uq["column_names"]) for uq in inspector.get_unique_constraints(table)),
        "checks": sorted((ck["name"], text(ck["sqltext"])) for ck in inspector.get_check_constraints(table)),
    } for table in sorted(inspector.get_table_names())}


@pytest.mark.parametrize(("store", "empty_database"), [("sqlite", "sqlite"), ("postgresql", "postgresql")],
                         indirect=True, ids=["sqlite", "postgresql"])
def test_a_new_database_built_from_the_schema_is_the_one_every_migration_replayed_builds(store, empty_database):
    _replay_every_migration(empty_database)
    with store.engine.connect() as built, empty_database.engine.connect() as replayed:
        assert built.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == \
            replayed.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        built_schema, replayed_schema = _reflected(built), _reflected(replayed)
    assert built_schema.keys() == replayed_schema.keys()
    for table in built_schema:
        assert built_schema[table] == replayed_schema[table], table


def test_migrations_produce_exactly_the_declared_schema(empty_database):
    _replay_every_migration(empty_database)
    with empty_database.engine.connect() as conn:
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
    # pg_terminate_backend only signals: wait until the backends have ended (each has then said goodbye
    # on its socket, which the next BEGIN looks for) rather than race their exit.
    admin = sa.create_engine(admin_url(), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            wait_until(lambda: not conn.execute(sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = :name AND pid <> pg_backend_pid()"),
                {"name": store.engine.url.database}).scalar(), 10, "the terminated backends to end")
    finally:
        admin.dispose()
    with store.write() as conn:
        farms.insert(conn, farm_id="farm-" + "4" * 32, display_name="after", cost_scale_factor=1.0,
                     created_at=NOW, created_by="me")
    with store.read() as conn:
        assert farms.get(conn, "farm-" + "4" * 32).display_name == "after"


def test_a_write_whose_connection_died_under_it_raises_its_own_error_not_the_rollbacks(store):
    """A connection that dies inside a write (a backend terminated as the transaction began) is
    invalidated; the rollback must not touch it again (its statements sent later are dropped with it),
    so the caller sees the write's own error."""
    import sqlalchemy as sa

    with pytest.raises(RuntimeError, match="the block's own error"):
        with store.write() as conn:
            conn.execute(sa.text("SELECT 1"))
            conn.invalidate()
            raise RuntimeError("the block's own error")
    with store.read() as conn:  # the pool replaced the connection
        assert conn.scalar(sa.text("SELECT 1")) == 1


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

"""The session's server pool: one server per kind, started when first asked for, and after `close` no
server process, SeaweedFS store or PostgreSQL database of its own is left."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from farmstead.testing.databases import admin_url
from farmstead.testing.servers import ServerKind, ServerPool


def test_a_kind_is_its_store_attachments_and_settings_whatever_their_order():
    assert ServerKind.of(settings={"B": "2", "A": "1"}) == ServerKind.of(settings={"A": "1", "B": "2"})
    assert ServerKind.of() != ServerKind.of(job_attachments=True)
    with pytest.raises(ValueError, match="store must be one of embedded, postgresql"):
        ServerKind.of(store="sqlite")


def test_each_kind_is_started_once_and_close_leaves_nothing_running(tmp_path):
    pool = ServerPool(tmp_path)
    try:
        embedded = pool.get(ServerKind.of())
        assert pool.get(ServerKind.of()) is embedded
        on_postgres = pool.get(ServerKind.of(store="postgresql"))
        assert on_postgres.server is not embedded.server and on_postgres.database_url
    finally:
        pool.close()
    assert embedded.server.process.poll() is not None and on_postgres.server.process.poll() is not None
    name = sa.engine.make_url(on_postgres.database_url).database
    engine = sa.create_engine(admin_url())
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = %(name)s", {"name": name}).all() == []
    engine.dispose()


def test_a_profile_of_the_callers_that_this_machine_lacks_does_not_stop_the_server(tmp_path, monkeypatch):
    """The session's server starts when a test first asks for it, in that test's environment."""
    monkeypatch.setenv("AWS_PROFILE", "studio-production")
    pool = ServerPool(tmp_path)
    try:
        assert pool.get(ServerKind.of()).server.process.poll() is None
    finally:
        pool.close()


def test_a_server_that_failed_to_start_leaves_the_next_one_a_directory_of_its_own(tmp_path):
    pool = ServerPool(tmp_path)
    try:
        with pytest.raises(RuntimeError, match="server exited"):
            pool.get(ServerKind.of(settings={"FARMSTEAD_MAX_TASKS_PER_JOB": "many"}))
        assert pool.get(ServerKind.of()).server.process.poll() is None
    finally:
        pool.close()

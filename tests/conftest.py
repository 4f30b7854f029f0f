"""Fixtures: one real server per test process, admin and user boto3 clients."""

from __future__ import annotations

import itertools
import os

import pytest

from farmstead.testing.databases import create_postgres_database, drop_postgres_database, postgres_available
from farmstead.testing.live_server import LiveServer

_names = itertools.count()


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> LiveServer:
    """The server on SQLite, or on a fresh PostgreSQL database when FARMSTEAD_TEST_STORE=postgresql."""
    database_url = None
    if os.environ.get("FARMSTEAD_TEST_STORE") == "postgresql":
        reason = postgres_available()
        if reason:
            pytest.skip(reason)
        database_url = create_postgres_database()
    live = LiveServer(tmp_path_factory.mktemp("server"), database_url=database_url).start()
    yield live
    live.stop()
    if database_url:
        drop_postgres_database(database_url)


@pytest.fixture(scope="session")
def deadline(server):
    """A boto3 `deadline` client signed with the administrator's key."""
    return server.client()


@pytest.fixture
def farm_id(deadline) -> str:
    return deadline.create_farm(displayName=f"farm {next(_names)}")["farmId"]


@pytest.fixture
def unique_name():
    return lambda prefix="name": f"{prefix}-{next(_names)}"

"""Fixtures: one real server per test process (the farmstead pytest plugin's, farmstead.testing), admin
and user boto3 clients."""

from __future__ import annotations

import itertools
import os

import pytest

from farmstead.testing.live_server import LiveServer

_names = itertools.count()

# Scripted workers poll an idle worker and expect its empty answer at once: the servers these tests
# start answer without holding (docs/protocol.md, "Held schedule calls") unless a test turns it on
# for its own server (tests/api/test_held_schedule.py) or the run sets it (the e2e tests with it on).
os.environ.setdefault("FARMSTEAD_SCHEDULE_HOLD_SECONDS", "0")


@pytest.fixture(scope="session")
def server(farmstead_server) -> LiveServer:
    """The server on SQLite, or on a fresh PostgreSQL database when FARMSTEAD_TEST_STORE=postgresql."""
    return farmstead_server


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

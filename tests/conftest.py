"""Fixtures: one real server per test process (the farmstead pytest plugin's, farmstead.testing), admin
and user boto3 clients; a real LDAP directory (slapd) for the directory sign-in tests."""

from __future__ import annotations

import itertools

import pytest

from farmstead.testing.live_server import LiveServer
from support.ldap_directory import LdapDirectory, slapd_missing

_names = itertools.count()


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


@pytest.fixture(scope="module")
def directory():
    """A seeded slapd of tests/support/ldap_directory.py for one test module (skips saying why without slapd)."""
    if reason := slapd_missing():
        pytest.skip(reason)
    started = LdapDirectory().start()
    yield started
    started.stop()

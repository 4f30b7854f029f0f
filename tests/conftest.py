"""Fixtures: one real server per test process (the farmstead pytest plugin's, farmstead.testing), admin
and user boto3 clients; a real LDAP directory (slapd) for the directory sign-in tests."""

from __future__ import annotations

import itertools

import pytest

from farmstead.testing.live_server import LiveServer
from support.ldap_directory import LdapDirectory, slapd_missing

_names = itertools.count()

#: Modules with a test that takes a minute or more alone (`pytest --durations`): started first, so that
#: with several test processes (`make test -n 3`) none of them is what one process is still running
#: after the others ran out of tests. The order is the same in every process, as pytest-xdist needs.
LONG_RUNNING = (
    "tests/scaleout/test_replicas.py",
    "tests/render/test_render_nodes_on_other_hosts.py",
    "tests/e2e/test_job_attachments_official.py",
    "tests/web/test_browser_wrangler.py",
    "tests/render/test_blender_turntable_up.py",
    "tests/testing/test_studio_example.py",
    "tests/testing/test_pytest_plugin.py",
    "tests/e2e/test_process_scaler.py",
    "tests/e2e/test_ssh_scaler.py",
    "tests/e2e/test_worker_schedules.py",
    "tests/cli/test_up.py",
    # 15-25 s each, mostly waiting (sweeper passes, held calls, a directory that hangs): not the tail.
    "tests/background/test_event_types.py",
    "tests/api/test_held_schedule_herd.py",
    "tests/e2e/test_job_attachments_step_dependencies.py",
    "tests/web/test_monitor_directory_signin.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {module: place for place, module in enumerate(LONG_RUNNING)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))  # stable: the rest keep their order


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

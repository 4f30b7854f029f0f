"""Farmstead's pytest plugin: a real Farmstead server and a ready farm for a studio's own tests.

pytest loads it by itself once Farmstead is installed (the `pytest11` entry point `farmstead` in
pyproject.toml); `-p no:farmstead` turns it off. docs/testing.md is the guide.

Owns:
* the `farmstead` fixture: a ReadyFarm (farms.py) of its own for each test, on a server the session
  shares, with the test's environment pointing boto3 at that server (and away from AWS and the
  caller's profiles) and its `farmstead worker` processes stopped after the test;
* the `farmstead_server` fixture: that session's default LiveServer, for tests that make their own
  farms, users and keys;
* the `farmstead` marker, which asks for another kind of server: `store="postgresql"`,
  `job_attachments=True`, `settings={"FARMSTEAD_...": "..."}`;
* the `--farmstead-store` option (default: FARMSTEAD_TEST_STORE, else the embedded store);
* turning Unavailable (no PostgreSQL, no SeaweedFS) into a skip that says why.
Must not: hold what a server, farm or worker does; that is in the modules beside it, which need no
pytest and work from any test runner.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from farmstead.testing.unavailable import Unavailable

if TYPE_CHECKING:
    # The plugin is loaded in every pytest run of an environment Farmstead is installed in: what the
    # fixtures need (boto3, SQLAlchemy: ~0.3 s to import) is imported when a test first asks for one.
    from farmstead.testing.farms import ReadyFarm
    from farmstead.testing.live_server import LiveServer
    from farmstead.testing.servers import ServerPool

MARKER = ("farmstead(store=None, job_attachments=False, settings=None): the kind of server the `farmstead` "
          "fixture's farm is on: store 'embedded' or 'postgresql' (default --farmstead-store), an S3 store for "
          "job attachments, more FARMSTEAD_* settings for the server")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("farmstead", "Farmstead test server")
    group.addoption("--farmstead-store", choices=("embedded", "postgresql"), default=None,
                    help="the store of the servers the farmstead fixtures start (default: $FARMSTEAD_TEST_STORE, "
                         "else embedded); PostgreSQL at $FARMSTEAD_TEST_DATABASE_URL, default 127.0.0.1:5432")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER)


def _default_store(config: pytest.Config) -> str:
    chosen: str | None = config.getoption("--farmstead-store")
    return chosen or ("postgresql" if os.environ.get("FARMSTEAD_TEST_STORE") == "postgresql" else "embedded")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    try:
        return (yield)
    except Unavailable as missing:
        pytest.skip(str(missing))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    try:
        return (yield)
    except Unavailable as missing:
        pytest.skip(str(missing))


@pytest.fixture(scope="session")
def farmstead_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerPool]:
    """The session's ServerPool (servers.py): a server per kind, started on first use."""
    from farmstead.testing.servers import ServerPool

    pool = ServerPool(tmp_path_factory.mktemp("farmstead"))
    yield pool
    pool.close()


@pytest.fixture(scope="session")
def farmstead_server(farmstead_servers: ServerPool, pytestconfig: pytest.Config) -> LiveServer:
    """The session's default LiveServer (--farmstead-store's store, no job attachments)."""
    from farmstead.testing.servers import ServerKind

    return farmstead_servers.get(ServerKind.of(_default_store(pytestconfig))).server


@pytest.fixture
def farmstead(request: pytest.FixtureRequest, farmstead_servers: ServerPool, tmp_path_factory: pytest.TempPathFactory,
              monkeypatch: pytest.MonkeyPatch) -> Iterator[ReadyFarm]:
    """A ReadyFarm of this test's own: farm, queue and a fleet of machines like this one, associated,
    on the kind of server the `farmstead` marker asks for. While the test runs, the environment sends
    boto3 to that server with its administrator's key (ReadyFarm.aws_settings)."""
    from farmstead.testing.farms import ReadyFarm, aws_settings, foreign_settings
    from farmstead.testing.servers import ServerKind

    marker = request.node.get_closest_marker("farmstead")
    options: dict[str, Any] = dict(marker.kwargs) if marker else {}
    options["store"] = options.get("store") or _default_store(request.config)
    # Before the first client is made: a profile of the caller's that this machine lacks would stop boto3.
    for key in foreign_settings(os.environ):
        monkeypatch.delenv(key)
    served = farmstead_servers.get(ServerKind.of(**options))
    home = tmp_path_factory.mktemp("farm")
    for key, value in aws_settings(served.server.endpoint, home, served.s3).items():
        monkeypatch.setenv(key, value)
    farm = ReadyFarm.create(served.server, home, name=request.node.name, s3=served.s3)
    yield farm
    farm.close()

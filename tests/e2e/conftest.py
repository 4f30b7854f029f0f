"""Fixtures the end-to-end suites share: the official clients, and an S3 store with a server using it."""

from __future__ import annotations

from pathlib import Path

import pytest

from farmstead.testing.live_server import LiveServer
from farmstead.testing.s3_store import S3Store
from support.official_clients import deadline_cli, worker_agent


@pytest.fixture(scope="module")
def cli_bin() -> Path:
    return deadline_cli()


@pytest.fixture(scope="module")
def agent_bin() -> Path:
    return worker_agent()


@pytest.fixture(scope="module")
def store(request):
    """A fresh S3 store (SeaweedFS) holding the test module's BUCKET."""
    s3 = S3Store.start()
    s3.create_bucket(request.module.BUCKET)
    yield s3
    s3.stop()


@pytest.fixture(scope="module")
def live(store, tmp_path_factory):
    """A server configured with the S3 store."""
    server = LiveServer(tmp_path_factory.mktemp("server"), extra_env=store.server_env()).start()
    yield server
    server.stop()

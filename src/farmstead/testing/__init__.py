"""Testing against a real Farmstead: for studios' pipeline tools and submitters, and for Farmstead's own tests.

Owns the harness the project's test suite and benchmarks use, as a documented API (docs/testing.md):

* `LiveServer` (live_server.py): a real `farmstead server` process on a free loopback port, on the
  embedded store in a directory or on PostgreSQL, with boto3 clients signed by its administrator;
* `ReadyFarm` (farms.py): a farm, queue and fleet on it, ready for jobs, and the environment that
  sends boto3 and the `deadline` CLI there;
* `ScriptedWorker` (scripted_worker.py): a worker without processes that takes tasks and reports them
  finished as a test says; `WorkerProcess` (workers.py): a real `farmstead worker`;
* `S3Store` (s3_store.py): SeaweedFS for job attachments; `databases` for PostgreSQL;
* `wait_until` (waiting.py), and `Unavailable`, raised when this machine lacks PostgreSQL or SeaweedFS;
* a pytest plugin (pytest_plugin.py), loaded through its entry point, with the `farmstead` fixture.

Must not: import pytest outside the plugin, need a development-only package, or find anything through
a path of the source checkout: it runs from an installed wheel (servers and workers are
`python -m farmstead` of the running interpreter). Nothing in the product imports it.

The names below are imported on first use, so loading the plugin costs a pytest run nothing until a
test asks for a server.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from farmstead.testing.farms import ReadyFarm
    from farmstead.testing.live_server import ADMIN_KEY_ID, ADMIN_SECRET, REGION, LiveServer, free_port
    from farmstead.testing.s3_store import S3Store
    from farmstead.testing.scripted_worker import CAPABILITIES, LINUX_FLEET, ScriptedWorker
    from farmstead.testing.servers import ServerKind, ServerPool
    from farmstead.testing.unavailable import Unavailable
    from farmstead.testing.waiting import wait_until
    from farmstead.testing.workers import WorkerProcess

_HOMES = {
    "ReadyFarm": "farms",
    "ADMIN_KEY_ID": "live_server", "ADMIN_SECRET": "live_server", "REGION": "live_server",
    "LiveServer": "live_server", "free_port": "live_server",
    "S3Store": "s3_store",
    "CAPABILITIES": "scripted_worker", "LINUX_FLEET": "scripted_worker", "ScriptedWorker": "scripted_worker",
    "ServerKind": "servers", "ServerPool": "servers",
    "Unavailable": "unavailable",
    "wait_until": "waiting",
    "WorkerProcess": "workers",
}

__all__ = ["ADMIN_KEY_ID", "ADMIN_SECRET", "CAPABILITIES", "LINUX_FLEET", "REGION", "LiveServer", "ReadyFarm",
           "S3Store", "ScriptedWorker", "ServerKind", "ServerPool", "Unavailable", "WorkerProcess", "free_port",
           "wait_until"]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)

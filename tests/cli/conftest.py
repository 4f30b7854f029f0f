"""Fixtures for the command-line tests: real `farmstead` subprocesses in an isolated home.

Every command runs with HOME, the AWS config/credentials files and the deadline CLI's config inside
the test's tmp dir, and without the caller's AWS_* variables, so nothing touches the real ~/.aws.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from farmstead.testing.live_server import ADMIN_KEY_ID, ADMIN_SECRET, REGION
from farmstead.testing.scripted_worker import LINUX_FLEET


@pytest.fixture
def isolated_env(tmp_path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "FARMSTEAD_", "DEADLINE_"))}
    # A `deadline` CLI on the caller's PATH would write the caller's ~/.deadline defaults.
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if p and not (Path(p) / "deadline").exists())
    env.update({
        "HOME": str(home),
        "AWS_CONFIG_FILE": str(home / ".aws" / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials"),
        "DEADLINE_CONFIG_FILE_PATH": str(home / ".deadline" / "config"),
        "COLUMNS": "250",  # rich wraps tables to the terminal width; ids must stay whole
    })
    return env


@pytest.fixture
def api_env(isolated_env, server) -> dict[str, str]:
    """The isolated environment plus the standard AWS variables pointing at the live server."""
    return {**isolated_env, "AWS_ACCESS_KEY_ID": ADMIN_KEY_ID, "AWS_SECRET_ACCESS_KEY": ADMIN_SECRET,
            "AWS_DEFAULT_REGION": REGION, "AWS_ENDPOINT_URL": server.endpoint}


@pytest.fixture
def farmstead():
    """Run `farmstead ARGS` to completion: farmstead(*args, env=..., timeout=..., cwd=...)."""
    def run(*args: str, env: dict[str, str], timeout: float = 60, cwd: Path | None = None):
        return subprocess.run([sys.executable, "-m", "farmstead", *map(str, args)], env=env, cwd=cwd,
                              capture_output=True, text=True, timeout=timeout)
    return run


@pytest.fixture
def ready_queue(deadline, farm_id) -> dict[str, str]:
    """A queue with a Linux fleet associated, so submitted jobs are READY rather than NOT_COMPATIBLE."""
    queue_id = deadline.create_queue(farmId=farm_id, displayName="renders",
                                     jobRunAsUser={"runAs": "WORKER_AGENT_USER"})["queueId"]
    fleet_id = deadline.create_fleet(farmId=farm_id, displayName="nodes", roleArn="arn:aws:iam::000000000000:role/f",
                                     maxWorkerCount=2, configuration=LINUX_FLEET)["fleetId"]
    deadline.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id)
    return {"farmId": farm_id, "queueId": queue_id, "fleetId": fleet_id}

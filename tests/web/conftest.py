"""A live server with a farm, a real `farmstead worker`, an administrator and a VIEWER who sign in with
passwords, and (for the browser tests) Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from farmstead.testing.live_server import ADMIN_KEY_ID, ADMIN_SECRET, LiveServer
from farmstead.testing.scripted_worker import LINUX_FLEET

CHROMIUM = "/usr/bin/chromium"
ADMIN_PASSWORD = "admin-password-1"
VIEWER_PASSWORD = "viewer-password-1"


class MonitorFarm:
    """A farm with one queue and fleet on a live server, an admin and a VIEWER with passwords."""

    def __init__(self, live: LiveServer, tmp: Path) -> None:
        self.live = live
        self.tmp = tmp
        self.deadline = live.client()
        self.farm_id = self.deadline.create_farm(displayName="Studio farm")["farmId"]
        self.queue_id = self.deadline.create_queue(farmId=self.farm_id, displayName="Renders",
                                                   jobRunAsUser={"runAs": "WORKER_AGENT_USER"})["queueId"]
        self.fleet_id = self.deadline.create_fleet(
            farmId=self.farm_id, displayName="Linux nodes", roleArn="arn:aws:iam::000000000000:role/f",
            maxWorkerCount=4, configuration=LINUX_FLEET)["fleetId"]
        self.deadline.create_queue_fleet_association(farmId=self.farm_id, queueId=self.queue_id,
                                                     fleetId=self.fleet_id)
        set_password(live, "admin", ADMIN_PASSWORD)
        self.viewer_id = new_user(live, "viewer", VIEWER_PASSWORD)
        self.deadline.associate_member_to_farm(farmId=self.farm_id, principalId=self.viewer_id,
                                               principalType="USER", identityStoreId="d-0000000000",
                                               membershipLevel="VIEWER")
        self.processes: list[subprocess.Popen] = []

    def start_worker(self, name: str = "w1") -> subprocess.Popen:
        work_dir = self.tmp / name
        work_dir.mkdir(exist_ok=True)
        env = {**os.environ, "AWS_ACCESS_KEY_ID": ADMIN_KEY_ID, "AWS_SECRET_ACCESS_KEY": ADMIN_SECRET,
               "AWS_EC2_METADATA_DISABLED": "true"}
        env.pop("AWS_PROFILE", None)
        process = subprocess.Popen(
            [sys.executable, "-m", "farmstead", "worker", "--endpoint-url", self.live.endpoint,
             "--farm-id", self.farm_id, "--fleet-id", self.fleet_id, "--work-dir", str(work_dir)],
            env=env, stdout=open(work_dir / "stdout.txt", "ab"), stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def submit(self, name: str, steps: list[dict], **extra) -> str:
        import json

        template = {"specificationVersion": "jobtemplate-2023-09", "name": name, "steps": steps}
        return self.deadline.create_job(farmId=self.farm_id, queueId=self.queue_id, priority=50,
                                        templateType="JSON", template=json.dumps(template), **extra)["jobId"]

    def job(self, job_id: str) -> dict:
        return self.deadline.get_job(farmId=self.farm_id, queueId=self.queue_id, jobId=job_id)

    def url(self, path: str = "") -> str:
        return f"{self.live.endpoint}/farms/{self.farm_id}{path}"

    def queue_url(self) -> str:
        return self.url(f"/queues/{self.queue_id}")

    def job_url(self, job_id: str) -> str:
        return self.url(f"/queues/{self.queue_id}/jobs/{job_id}")

    def stop_workers(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def admin_command(live: LiveServer, *args: str, stdin: str | None = None):
    return live.admin(*args, stdin=stdin)


def set_password(live: LiveServer, name: str, password: str) -> None:
    result = admin_command(live, "users", "passwd", name, "--stdin", stdin=password + "\n")
    assert result.exit_code == 0, result.output


def read_store(live: LiveServer, question):
    """`question(conn)` answered from the server's own store (SQLite in its data dir, or its PostgreSQL)."""
    from farmstead.store.engine import Store

    store = Store.open(live.database_url or f"sqlite:///{live.data_dir / 'farmstead.db'}")
    try:
        with store.read() as conn:
            return question(conn)
    finally:
        store.dispose()


def new_user(live: LiveServer, name: str, password: str) -> str:
    """A user with a password; returns its principal id."""
    result = admin_command(live, "users", "create", name)
    assert result.exit_code == 0, result.output
    set_password(live, name, password)
    return result.output.split()[1]


def bash(script: str) -> dict:
    return {"command": "bash", "args": ["-c", script]}


@pytest.fixture(scope="module")
def monitor(tmp_path_factory):
    live = LiveServer(tmp_path_factory.mktemp("web-server")).start()
    farm = MonitorFarm(live, tmp_path_factory.mktemp("web-workers"))
    yield farm
    farm.stop_workers()
    live.stop()


def chromium_or_skip() -> str:
    """Debian's Chromium; installed here when missing and we may (root with apt-get), else a clear skip."""
    if os.path.exists(CHROMIUM):
        return CHROMIUM
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "--no-install-recommends", "chromium"]
        if subprocess.run(install, env=env, capture_output=True, timeout=900).returncode != 0:
            subprocess.run(["apt-get", "update"], env=env, capture_output=True, timeout=600)
            subprocess.run(install, env=env, capture_output=True, timeout=900)
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing and could not be installed (apt-get install -y chromium needs root)")
    return CHROMIUM


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip package playwright (the dev extra)")
    executable = chromium_or_skip()
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True,
                                              args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield launched
        launched.close()

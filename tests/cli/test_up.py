"""`farmstead up` as a real process: server and workers as its children, the farm it makes, stopping."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from botocore.configloader import raw_config_parse
from botocore.exceptions import ClientError

from farmstead.testing.live_server import free_port

REPO = Path(__file__).resolve().parents[2]
WORKER_COMMAND = REPO / "src" / "farmstead" / "cli" / "worker.py"


class Up:
    """One `farmstead up` process, its output in a file."""

    def __init__(self, tmp_path: Path, env: dict[str, str], port: int, workers: int = 0, name: str = "up"):
        self.data_dir = tmp_path / "data"
        self.port = port
        self.output_path = tmp_path / f"{name}.out"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "farmstead", "up", "--workers", str(workers), "--data-dir", str(self.data_dir),
             "--port", str(port)],
            env=env, stdout=open(self.output_path, "wb"), stderr=subprocess.STDOUT)

    def output(self) -> str:
        return self.output_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 90) -> dict:
        give_up = time.monotonic() + timeout
        while "Ctrl-C stops" not in self.output():
            if self.process.poll() is not None or time.monotonic() > give_up:
                raise AssertionError(f"up did not come up (rc {self.process.poll()}):\n{self.output()}")
            time.sleep(0.1)
        return json.loads((self.data_dir / "up.json").read_text())

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 90) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise AssertionError(f"up did not stop:\n{self.output()}") from None


@pytest.fixture
def start_up(tmp_path, isolated_env):
    started: list[Up] = []

    def start(env: dict[str, str] | None = None, port: int | None = None, workers: int = 0) -> Up:
        up = Up(tmp_path, env or isolated_env, port or free_port(), workers, name=f"up-{len(started)}")
        started.append(up)
        return up

    yield start
    for up in started:
        if up.process.poll() is None:
            up.stop()


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _pids_with(text: str) -> list[int]:
    """Live processes whose command line contains `text` (Linux /proc)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                state = (entry / "stat").read_text().split(")")[-1].split()[0]
            except OSError:
                continue
            if text in cmdline and state != "Z":
                pids.append(int(entry.name))
    return pids


def _profile_client(env: dict[str, str], monkeypatch):
    for key in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.setenv(key, env[key])
    for key in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL",
                "AWS_ENDPOINT_URL_DEADLINE"):
        monkeypatch.delenv(key, raising=False)
    return boto3.session.Session(profile_name="farmstead").client("deadline")


def test_up_creates_the_local_farm_once_resumes_it_and_stops_cleanly(start_up, isolated_env, tmp_path, monkeypatch):
    env = isolated_env
    first = start_up(env)
    ids = first.wait_ready()
    assert "created farm, queue, fleet, queue-fleet association" in first.output()
    assert f"http://127.0.0.1:{first.port}" in first.output() and "farmstead submit" in first.output()
    assert f"Monitor  http://127.0.0.1:{first.port}/" in first.output() and "users passwd admin" in first.output()
    # The profile it wrote reaches the server with the generated administrator key.
    deadline = _profile_client(env, monkeypatch)
    farm = {"farmId": ids["farmId"]}
    assert deadline.get_farm(**farm)["displayName"] == "Local farm"
    queue = deadline.get_queue(**farm, queueId=ids["queueId"])
    assert queue["displayName"] == "Default queue" and queue["jobRunAsUser"]["runAs"] == "WORKER_AGENT_USER"
    # Job attachments go to the SeaweedFS `up` started beside the API, on loopback only; the profile
    # sends S3 there and the bucket exists.
    assert queue["jobAttachmentSettings"] == {"s3BucketName": "farmstead-attachments", "rootPrefix": "DeadlineCloud"}
    assert queue["roleArn"]
    assert f"S3       http://127.0.0.1:{first.port + 1}" in first.output()
    weed = _pids_with(f"{first.data_dir}/s3/")
    assert len(weed) == 1
    listening = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True).stdout.splitlines()
    weed_addresses = {line.split()[3].rsplit(":", 1)[0] for line in listening if f"pid={weed[0]}," in line}
    assert weed_addresses == {"127.0.0.1"}, listening
    s3 = boto3.session.Session(profile_name="farmstead").client("s3")
    assert s3.meta.endpoint_url == f"http://127.0.0.1:{first.port + 1}"
    keys = deadline.assume_queue_role_for_user(**farm, queueId=ids["queueId"])["credentials"]
    scoped = boto3.session.Session(
        aws_access_key_id=keys["accessKeyId"], aws_secret_access_key=keys["secretAccessKey"],
        aws_session_token=keys["sessionToken"]).client("s3", endpoint_url=s3.meta.endpoint_url, region_name="us-east-1")
    scoped.put_object(Bucket="farmstead-attachments", Key="DeadlineCloud/probe", Body=b"kept across restarts")
    # The store enforces the session policy: the queue's keys reach its root prefix and nothing else.
    with pytest.raises(ClientError, match="AccessDenied"):
        scoped.put_object(Bucket="farmstead-attachments", Key="Elsewhere/probe", Body=b"refused")
    fleet = deadline.get_fleet(**farm, fleetId=ids["fleetId"])
    capabilities = fleet["configuration"]["customerManaged"]["workerCapabilities"]
    assert capabilities["vCpuCount"] == {"min": os.cpu_count(), "max": os.cpu_count()}
    assert capabilities["osFamily"] == {"Linux": "LINUX", "Darwin": "MACOS"}[os.uname().sysname]
    assert (fleet["minWorkerCount"], fleet["maxWorkerCount"]) == (0, 1)
    association = deadline.get_queue_fleet_association(**farm, queueId=ids["queueId"], fleetId=ids["fleetId"])
    assert association["status"] == "ACTIVE"
    # The deadline CLI's settings name the farm and queue, though the CLI is not installed (yet).
    deadline_settings = raw_config_parse(env["DEADLINE_CONFIG_FILE_PATH"])
    assert deadline_settings["defaults"] == {"aws_profile_name": "farmstead"}
    assert deadline_settings["profile-farmstead defaults"] == {"farm_id": ids["farmId"]}
    assert deadline_settings[f"profile-farmstead {ids['farmId']} defaults"] == {"queue_id": ids["queueId"]}
    assert "defaults.aws_profile_name = farmstead" in first.output()
    assert "(written: ~/.aws/config, ~/.aws/credentials)" in first.output()
    # One up per data dir.
    second = subprocess.run([sys.executable, "-m", "farmstead", "up", "--workers", "0", "--data-dir",
                             str(first.data_dir), "--port", str(free_port())],
                            env=env, capture_output=True, text=True, timeout=60)
    assert second.returncode != 0 and "another `farmstead up` is running" in second.stderr

    assert first.stop(signal.SIGTERM) == 0
    assert "Stopping the server" in first.output() and not _port_open(first.port)
    assert "Stopping the S3 store" in first.output() and not _pids_with(f"{first.data_dir}/s3/")

    # The second run names its administrator key in the environment: same farm, profile follows the key.
    admin = {"FARMSTEAD_ADMIN_ACCESS_KEY_ID": "AKIAUPTESTADMIN00000", "FARMSTEAD_ADMIN_SECRET_ACCESS_KEY": "s3cret"}
    again = start_up({**env, **admin}, port=first.port)
    assert again.wait_ready() == ids
    assert "[resumed]" in again.output()
    # It says what it changed in the user's files: the new key; the deadline CLI's settings were right.
    assert "(written: ~/.aws/credentials)" in again.output()
    assert "already names this farm and queue for profile farmstead" in again.output()
    credentials = raw_config_parse(env["AWS_SHARED_CREDENTIALS_FILE"])["farmstead"]
    assert credentials == {"aws_access_key_id": "AKIAUPTESTADMIN00000", "aws_secret_access_key": "s3cret"}
    deadline = _profile_client(env, monkeypatch)
    assert [f["farmId"] for f in deadline.list_farms()["farms"]] == [ids["farmId"]]
    # The store came back on the same port with the same objects.
    assert scoped.get_object(Bucket="farmstead-attachments", Key="DeadlineCloud/probe")["Body"].read() == \
        b"kept across restarts"
    assert again.stop(signal.SIGINT) == 0
    assert not _port_open(again.port)


def test_up_refuses_a_port_that_is_in_use(start_up):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        up = start_up(port=busy.getsockname()[1])
        assert up.process.wait(60) == 1
    assert "is in use" in up.output()


@pytest.mark.skipif(not WORKER_COMMAND.exists(), reason="`farmstead worker` (cli/worker.py) is not built yet")
@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="finds worker processes through /proc")
def test_up_from_an_empty_data_dir_runs_a_job_to_the_end_with_its_workers(start_up, isolated_env, tmp_path,
                                                                          monkeypatch):
    up = start_up(workers=2)
    ids = up.wait_ready()
    assert "2 local workers" in up.output()
    output_dir = tmp_path / "out"
    # No AWS variables: submit finds the profile `up` wrote and the queue in DATA_DIR/up.json.
    done = subprocess.run([sys.executable, "-m", "farmstead", "submit", str(REPO / "examples" / "multi-step"),
                           "-p", f"OutputDir={output_dir}", "--wait", "--data-dir", str(up.data_dir)],
                          env=isolated_env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr + up.output()
    assert "SUCCEEDED: 7/7 tasks succeeded" in done.stdout
    result = (output_dir / "result.txt").read_text().splitlines()
    assert result == [f"frame {n}: scene prepared, farmstead-demo-renderer, final" for n in range(1, 6)]
    deadline = _profile_client(isolated_env, monkeypatch)
    # A worker that dies is started again, and resumes its identity from its work dir.
    first_worker = _pids_with(f"{up.data_dir}/workers/1")
    assert len(first_worker) == 1
    killed_at = datetime.now(UTC)
    os.kill(first_worker[0], signal.SIGKILL)
    give_up = time.monotonic() + 30
    # The new process says STARTED again (UpdateWorker stamps updatedAt) before it is asked to stop.
    while not any(w.get("updatedAt", killed_at) > killed_at
                  for w in deadline.list_workers(farmId=ids["farmId"], fleetId=ids["fleetId"])["workers"]):
        assert time.monotonic() < give_up, up.output()
        time.sleep(0.2)
    assert "worker 1 exited (code -9); restarting it" in up.output()
    assert [p for p in _pids_with(f"{up.data_dir}/workers/1") if p != first_worker[0]]
    assert up.stop(signal.SIGTERM) == 0, up.output()
    # The workers were stopped before the server, so they could say so.
    up2 = start_up(port=up.port)  # a second up with no workers brings the server back to ask
    up2.wait_ready()
    try:
        workers = deadline.list_workers(farmId=ids["farmId"], fleetId=ids["fleetId"])["workers"]
    finally:
        up2.stop()
    assert [w["status"] for w in workers] == ["STOPPED", "STOPPED"]


@pytest.mark.official_clients
def test_the_deadline_cli_installed_after_up_submits_to_the_local_farm(start_up, isolated_env, monkeypatch):
    """The README's order: `make up` first, `pip install deadline` later. Nothing more to configure."""
    from support.official_clients import deadline_cli

    up = start_up()  # no `deadline` on PATH while up runs
    ids = up.wait_ready()
    official = deadline_cli()
    env = {**isolated_env, "PATH": f"{official.parent}{os.pathsep}{isolated_env['PATH']}",
           "DEADLINE_CLOUD_TELEMETRY_OPT_OUT": "true"}
    done = subprocess.run([str(official), "bundle", "submit", str(REPO / "examples" / "hello"), "--yes"],
                          env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    deadline = _profile_client(isolated_env, monkeypatch)
    jobs = deadline.list_jobs(farmId=ids["farmId"], queueId=ids["queueId"])["jobs"]
    assert [job["jobId"] for job in jobs] == [done.stdout.split()[-1]]
    assert up.stop() == 0

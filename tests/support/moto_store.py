"""moto's server (S3 and STS on one port), kept only for what SeaweedFS answers differently from AWS S3;
each test that uses it says what that is. Test-private: moto is a dev dependency, and the public
harness (farmstead.testing.s3_store) runs the store Farmstead ships with."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from farmstead.testing.live_server import free_port
from farmstead.testing.s3_store import STORE_ACCOUNT


@dataclass
class MotoStore:
    endpoint: str
    server: Any

    @classmethod
    def start(cls) -> MotoStore:
        from moto.server import ThreadedMotoServer  # moto is a dev dependency only

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

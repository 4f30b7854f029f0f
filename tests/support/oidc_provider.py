"""A real OpenID provider for the OIDC sign-in tests: the npm package `oidc-provider` (OpenID-certified,
pinned in package.json, installed by `make vendor`) run by Node with tests/support/oidc_provider.mjs, on an
ephemeral loopback port, configured with two clients and a few accounts.

Clients: the monitor's (confidential, authorization code with PKCE, redirect to the Farmstead server's
/signin/oidc/callback) and `farmstead login`'s (public, the device flow). Accounts: alice (groups
artists and farm-admins), bob (artists), dave (none) and carol, whom the provider refuses (disabled).
The signing key is an RSA key made here; `rotate_keys()` restarts the provider on the same port signing
with a new key (the old one no longer published), as a provider's key rotation looks to its clients.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from joserfc.jwk import RSAKey

from farmstead.testing.live_server import free_port

SCRIPT = Path(__file__).with_name("oidc_provider.mjs")
PACKAGE = Path(__file__).resolve().parents[2] / "node_modules" / "oidc-provider" / "package.json"
MONITOR_CLIENT = "farmstead-monitor"
MONITOR_SECRET = "monitor-client-secret-0123456789abcdef"
CLI_CLIENT = "farmstead-cli"
#: name -> (password, groups)
ACCOUNTS = {
    "alice": ("alice-provider-pw", ("artists", "farm-admins")),
    "bob": ("bob-provider-pw", ("artists",)),
    "carol": ("carol-provider-pw", ("artists",)),
    "dave": ("dave-provider-pw", ()),
}
DISABLED = {"carol"}


def provider_missing() -> str | None:
    """Why the provider can't be started here, or None."""
    if not shutil.which("node"):
        return "node is missing (the test OpenID provider is the npm package oidc-provider run by Node)"
    if not PACKAGE.exists():
        return f"{PACKAGE.parent} is missing: `make vendor` installs oidc-provider from npm (needs npm)"
    return None


def _new_key() -> dict:
    key = RSAKey.generate_key(2048, parameters={"use": "sig", "alg": "RS256"}, private=True, auto_kid=True)
    return key.as_dict(private=True)


@dataclass
class OidcProvider:
    root: Path
    #: The Farmstead server's endpoint the monitor client may redirect back to.
    farmstead_endpoint: str
    port: int = field(default_factory=free_port)
    id_token_seconds: int = 3600
    keys: list[dict] = field(default_factory=lambda: [_new_key()])
    process: subprocess.Popen[bytes] | None = None

    @property
    def issuer(self) -> str:
        # "localhost", not the Farmstead server's 127.0.0.1: another site to a browser, as a real provider is
        # (cookies' SameSite rules then apply as they do in a studio).
        return f"http://localhost:{self.port}"

    def start(self, timeout: float = 20.0) -> OidcProvider:
        config = self.root / "provider.json"
        config.write_text(json.dumps({
            "issuer": self.issuer, "port": self.port, "idTokenSeconds": self.id_token_seconds,
            "jwks": {"keys": self.keys},
            "clients": [
                {"client_id": MONITOR_CLIENT, "client_secret": MONITOR_SECRET,
                 "redirect_uris": [f"{self.farmstead_endpoint}/signin/oidc/callback"],
                 "grant_types": ["authorization_code"], "response_types": ["code"],
                 "token_endpoint_auth_method": "client_secret_basic"},
                {"client_id": CLI_CLIENT, "token_endpoint_auth_method": "none", "redirect_uris": [],
                 "grant_types": ["urn:ietf:params:oauth:grant-type:device_code"], "response_types": []},
            ],
            "accounts": {name: {"password": password, "groups": list(groups), "name": name.title(),
                                "email": f"{name}@farmstead.test", "disabled": name in DISABLED}
                         for name, (password, groups) in ACCOUNTS.items()},
        }))
        log = open(self.root / "provider.log", "ab")  # noqa: SIM115 (the child writes it until stop())
        self.process = subprocess.Popen(["node", str(SCRIPT), str(config)], stdout=log, stderr=subprocess.STDOUT,
                                        cwd=SCRIPT.parents[2])
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the OpenID provider exited: {self.log_text()}")
            try:
                with urllib.request.urlopen(f"{self.issuer}/.well-known/openid-configuration", timeout=1):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"the OpenID provider did not come up: {self.log_text()}")

    def log_text(self) -> str:
        path = self.root / "provider.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def rotate_keys(self) -> None:
        """Sign with a new key from now on and stop publishing the old one (a restart on the same port)."""
        self.stop()
        self.keys = [_new_key()]
        self.start()

    def server_env(self, **extra: str) -> dict[str, str]:
        """The Farmstead server's settings for signing in through this provider."""
        return {"FARMSTEAD_OIDC_ISSUER": self.issuer, "FARMSTEAD_OIDC_CLIENT_ID": MONITOR_CLIENT,
                "FARMSTEAD_OIDC_CLIENT_SECRET": MONITOR_SECRET, "FARMSTEAD_OIDC_CLI_CLIENT_ID": CLI_CLIENT,
                "FARMSTEAD_OIDC_ADMIN_GROUP": "farm-admins", **extra}

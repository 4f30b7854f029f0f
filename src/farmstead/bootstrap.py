"""First start: make sure an administrator exists and the operator knows its key.

With FARMSTEAD_ADMIN_ACCESS_KEY_ID/SECRET set, that pair is the administrator's (stored, so the
`keys` commands see it). Otherwise the first start generates a pair and writes DATA_DIR/credentials
(mode 0600, AWS shared-credentials format, profile `farmstead`).
"""

from __future__ import annotations

import os
from pathlib import Path

from farmstead.clock import Clock
from farmstead.config import Settings
from farmstead.ids import new_access_key_id, new_principal_id, new_secret_access_key
from farmstead.store import identity, leases
from farmstead.store.engine import Store

ADMIN_NAME = "admin"
PROFILE = "farmstead"


def ensure_admin(store: Store, settings: Settings, clock: Clock) -> str:
    """Returns a one-line message for stdout saying where the administrator's key is."""
    now = clock.now()
    with store.write() as conn:
        leases.serialize(conn, "bootstrap")  # replicas starting at once: one creates, the others see it
        admin = identity.find_principal(conn, ADMIN_NAME)
        if admin is None:
            admin = identity.create_principal(conn, new_principal_id(), ADMIN_NAME, True, now)
        if settings.admin_access_key_id and settings.admin_secret_access_key:
            existing = identity.find_key(conn, settings.admin_access_key_id)
            if existing is not None and existing.secret_access_key != settings.admin_secret_access_key:
                identity.delete_key(conn, settings.admin_access_key_id)
                existing = None
            if existing is None:
                identity.add_key(conn, settings.admin_access_key_id, settings.admin_secret_access_key,
                                 admin.principal_id, now)
            return f"Administrator key: {settings.admin_access_key_id} (from FARMSTEAD_ADMIN_ACCESS_KEY_ID)"
        keys = [k for k in identity.list_keys(conn) if k.principal_id == admin.principal_id]
        path = settings.data_dir / "credentials"
        if keys and path.exists():
            return f"Administrator credentials: {path} (profile {PROFILE})"
        key_id, secret = new_access_key_id(), new_secret_access_key()
        identity.add_key(conn, key_id, secret, admin.principal_id, now)
    write_credentials_file(path, key_id, secret, settings)
    return f"Generated administrator credentials in {path} (profile {PROFILE})"


def write_credentials_file(path: Path, key_id: str, secret: str, settings: Settings) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = (
        f"[{PROFILE}]\n"
        f"aws_access_key_id = {key_id}\n"
        f"aws_secret_access_key = {secret}\n"
        f"region = {settings.region}\n"
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chmod(path, 0o600)

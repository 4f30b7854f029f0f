"""Backups of the store (docs/operations.md).

Owns: a consistent copy of a running embedded (SQLite) store, taken with `VACUUM INTO` (one read
transaction; writers go on meanwhile). PostgreSQL stores are backed up with pg_dump instead: for
those, `BackupRefused` carries the command to run.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import sqlalchemy as sa


class BackupRefused(Exception):
    """The store can't be copied this way; the message says what to do instead."""


def backup_sqlite(database_url: str, destination: Path) -> Path:
    """Copy the SQLite store at `database_url` to `destination` (a new file); returns the source path."""
    url = sa.engine.make_url(database_url)
    if url.get_backend_name() != "sqlite":
        plain = url.set(drivername="postgresql").render_as_string(hide_password=True)
        raise BackupRefused(f"{url.get_backend_name()} store: back it up with pg_dump, e.g. "
                            f"pg_dump -Fc -f farmstead.dump '{plain}' (docs/operations.md)")
    if destination.exists():
        raise BackupRefused(f"{destination} exists; name a new file")
    if not url.database or url.database == ":memory:":
        raise BackupRefused("an in-memory store has nothing to back up")
    source = Path(url.database)
    if not source.exists():
        raise BackupRefused(f"no store at {source}")
    with contextlib.closing(sqlite3.connect(source)) as conn:
        conn.execute("VACUUM INTO ?", (str(destination),))
    return source

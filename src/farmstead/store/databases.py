"""Whole databases on a PostgreSQL server: whether it answers, and creating and dropping one database.

Owns: the only SQL that works above a single database (CREATE DATABASE, DROP DATABASE), for
farmstead.testing, which gives each server under test a fresh database.
Must not: look inside a database (engine.py opens and migrates the store), or choose names and
servers: its caller passes the administrative URL (a user with CREATEDB) and the name.
"""

from __future__ import annotations

import re
import socket

import sqlalchemy as sa

#: Names this module creates or drops: quoted identifiers, but kept to a safe alphabet all the same.
_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def unreachable(admin_url: str) -> str | None:
    """None when the server at `admin_url` accepts a connection, else why not (in words)."""
    url = sa.engine.make_url(admin_url)
    try:
        with socket.create_connection((url.host or "127.0.0.1", url.port or 5432), timeout=1):
            pass
    except OSError as exc:
        return f"no PostgreSQL on {url.host}:{url.port} ({exc})"
    try:
        engine = sa.create_engine(admin_url)
        with engine.connect():
            pass
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means the server can't be used; say why
        return f"PostgreSQL at {url.host}:{url.port} refused us: {exc}"
    return None


def _checked(name: str | None) -> str:
    if name is None or not _NAME.fullmatch(name):
        raise ValueError(f"not a database name this module manages: {name!r}")
    return name


def create_database(admin_url: str, name: str) -> str:
    """Create the empty database `name`; its URL (the admin URL's user and password) to open it with."""
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{_checked(name)}"')
    engine.dispose()
    return str(sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False))


def drop_database(admin_url: str, database_url: str) -> None:
    """Drop the database `database_url` names, closing its connections first; nothing if it is gone."""
    name = _checked(sa.engine.make_url(database_url).database)
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    engine.dispose()

"""Running the migrations from code: on server start and from `farmstead db upgrade`.

A database with no tables at all is built from the declared schema in one go and stamped at the
newest revision (Alembic's recipe for building an up-to-date database from scratch) instead of
replaying every revision: on SQLite a revision that adds a constraint rebuilds tables, and replaying
them all cost a new farm's first start (and every throwaway store the tests open) over a second.
tests/store/test_engine.py checks that both ways build the same schema, constraint for constraint.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect
from sqlalchemy.engine import Connection, Engine

from farmstead.store.schema import metadata

_HERE = Path(__file__).parent


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_HERE))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    config = alembic_config(engine)
    if engine.dialect.name == "sqlite":
        _upgrade_sqlite(engine, config, revision)
        return
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # Several replicas may start at once: one migrates, the others wait for it.
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(724529)")
        _build_or_upgrade(conn, config, revision)


def _build_or_upgrade(conn: Connection, config: Config, revision: str) -> None:
    config.attributes["connection"] = conn
    if revision == "head" and not inspect(conn).get_table_names():
        metadata.create_all(conn)
        command.stamp(config, "head")
    else:
        command.upgrade(config, revision)


def _upgrade_sqlite(engine: Engine, config: Config, revision: str) -> None:
    """SQLite changes a constraint by rebuilding the table (batch mode: copy, drop, rename). With
    foreign keys on, dropping a parent table would delete its children's rows (ON DELETE CASCADE), so
    they are off while the migrations run, and the result is checked before it is committed. The
    pragma is a no-op inside a transaction: it is set on the driver's connection, before BEGIN."""
    with engine.connect() as conn:
        driver = conn.connection.dbapi_connection
        assert driver is not None
        driver.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                _build_or_upgrade(conn, config, revision)
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migrations left rows whose parents are gone: {broken[:5]}")
        finally:
            driver.execute("PRAGMA foreign_keys=ON")

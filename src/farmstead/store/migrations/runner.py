"""Running the migrations from code: on server start and from `farmstead db upgrade`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

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
        config.attributes["connection"] = conn
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
                config.attributes["connection"] = conn
                command.upgrade(config, revision)
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migrations left rows whose parents are gone: {broken[:5]}")
        finally:
            driver.execute("PRAGMA foreign_keys=ON")

"""Options shared by several commands: the store's (data dir, database URL) and a client's (profile, endpoint)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from farmstead.config import Settings

if TYPE_CHECKING:
    from farmstead.store.engine import Store

data_dir_option = click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
                               default=Path("farmstead-data"), show_default=True, envvar="FARMSTEAD_DATA_DIR",
                               help="Where the embedded store and the generated credentials live.")
database_url_option = click.option("--database-url", default=None, envvar="FARMSTEAD_DATABASE_URL",
                                   help="SQLAlchemy URL; default sqlite in DATA_DIR. "
                                        "PostgreSQL: postgresql+psycopg://user@host/db")


def settings_from(data_dir: Path, database_url: str | None, **overrides) -> Settings:
    return Settings.from_env(data_dir, database_url, **overrides)


@contextlib.contextmanager
def opened_store(data_dir: Path, database_url: str | None) -> Iterator[Store]:
    """The store an operator's command works on, closed again after the command."""
    from farmstead.store.engine import Store  # the commands that open no store stay quick to start

    store = Store.open(settings_from(data_dir, database_url).database_url)
    try:
        yield store
    finally:
        store.dispose()


def connection_options(command):
    """--profile and --endpoint-url, for the commands that talk to a server (submit, status, logs, job)."""
    command = click.option("--endpoint-url", default=None,
                           help="Farmstead's URL; default: the profile's, else DATA_DIR/up.json's.")(command)
    return click.option("--profile", default=None,
                        help="AWS profile; default `farmstead` unless AWS_PROFILE/AWS_ACCESS_KEY_ID is set.")(command)

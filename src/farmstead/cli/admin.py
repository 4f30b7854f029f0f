"""Administration commands that work on the store directly: users, keys, migrations, coverage.
(`users add`/`users remove`, which change memberships, go through the API's executor: memberships.py.)"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from farmstead.api import audit_trail
from farmstead.cli.memberships import users_add, users_remove
from farmstead.cli.options import data_dir_option, database_url_option, opened_store, settings_from
from farmstead.clock import SystemClock
from farmstead.ids import new_access_key_id, new_principal_id, new_secret_access_key
from farmstead.store import backup, identity
from farmstead.store.engine import Store

USER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+=,-]{0,63}")


@contextlib.contextmanager
def opened(data_dir, database_url) -> Iterator[Store]:
    """The store (migrated to the newest schema), closed again after the command."""
    settings_from(data_dir, database_url).data_dir.mkdir(parents=True, exist_ok=True)
    with opened_store(data_dir, database_url) as store:
        yield store


@click.group()
def users() -> None:
    """Principals who may call the API, and their memberships."""


users.add_command(users_add)
users.add_command(users_remove)


@users.command("create")
@click.argument("name")
@click.option("--admin", is_flag=True, help="Make an administrator (may do everything).")
@data_dir_option
@database_url_option
def users_create(name: str, admin: bool, data_dir, database_url) -> None:
    """Create a user; its id is what farm/queue/fleet/job memberships name as principalId."""
    if not USER_NAME.fullmatch(name):
        raise click.BadParameter("letters, digits and ._@+=,- only, at most 64 characters", param_hint="NAME")
    with (opened(data_dir, database_url) as store,
          audit_trail.write(store, audit_trail.local("users create", userName=name, admin=admin)) as entry):
        if identity.find_principal(entry.conn, name) is not None:
            raise click.ClickException(f"user {name} already exists")
        record = identity.create_principal(entry.conn, new_principal_id(), name, admin, SystemClock().now())
        entry.params["principalId"] = record.principal_id
    click.echo(f"{record.name}\t{record.principal_id}")


@users.command("list")
@data_dir_option
@database_url_option
def users_list(data_dir, database_url) -> None:
    with opened(data_dir, database_url) as store, store.read() as conn:
        rows = identity.list_principals(conn)
    table = Table("name", "principalId", "admin")
    for row in rows:
        table.add_row(row.name, row.principal_id, "yes" if row.is_admin else "")
    Console().print(table)


@users.command("passwd")
@click.argument("name")
@click.option("--stdin", "from_stdin", is_flag=True, help="Read the password from the first line of stdin.")
@data_dir_option
@database_url_option
def users_passwd(name: str, from_stdin: bool, data_dir, database_url) -> None:
    """Set NAME's password for signing in to the web monitor (stored as a salted scrypt hash)."""
    from farmstead.web.passwords import MAX_LENGTH, MIN_LENGTH, hash_password

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_LENGTH:
        raise click.ClickException(f"a password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:  # sign-in refuses longer ones unhashed (web/passwords.py)
        raise click.ClickException(f"a password may have at most {MAX_LENGTH} characters")
    with (opened(data_dir, database_url) as store,
          audit_trail.write(store, audit_trail.local("users passwd", userName=name)) as entry):
        principal = identity.find_principal(entry.conn, name)
        if principal is None:
            raise click.ClickException(f"no user {name}")
        if principal.directory_dn is not None:
            # A local password would let them in without the directory, so disabling them there would no
            # longer end their access to the monitor.
            raise click.ClickException(f"{principal.name} signs in through the directory ({principal.directory_dn});"
                                       " change their password there")
        identity.set_password_hash(entry.conn, principal.principal_id, hash_password(password))
        entry.params["principalId"] = principal.principal_id
    click.echo(f"password set for {principal.name}")


@click.group()
def keys() -> None:
    """Access key pairs (SigV4) of users."""


@keys.command("create")
@click.argument("user")
@data_dir_option
@database_url_option
def keys_create(user: str, data_dir, database_url) -> None:
    """Create an access key pair for USER (name or principal id); the secret is shown once."""
    with (opened(data_dir, database_url) as store,
          audit_trail.write(store, audit_trail.local("keys create", user=user)) as entry):
        principal = identity.find_principal(entry.conn, user)
        if principal is None:
            raise click.ClickException(f"no user {user}")
        key_id, secret = new_access_key_id(), new_secret_access_key()
        identity.add_key(entry.conn, key_id, secret, principal.principal_id, SystemClock().now())
        entry.params.update(principalId=principal.principal_id, accessKeyId=key_id)  # never the secret
    click.echo(f"[{principal.name}]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}")


@keys.command("list")
@data_dir_option
@database_url_option
def keys_list(data_dir, database_url) -> None:
    with opened(data_dir, database_url) as store, store.read() as conn:
        rows = identity.list_keys(conn)
    table = Table("accessKeyId", "user", "created")
    for row in rows:
        table.add_row(row.access_key_id, row.principal_name, row.created_at.isoformat(timespec="seconds"))
    Console().print(table)


@keys.command("delete")
@click.argument("key_id")
@data_dir_option
@database_url_option
def keys_delete(key_id: str, data_dir, database_url) -> None:
    with (opened(data_dir, database_url) as store,
          audit_trail.write(store, audit_trail.local("keys delete", accessKeyId=key_id)) as entry):
        if not identity.delete_key(entry.conn, key_id):
            raise click.ClickException(f"no access key {key_id}")
    click.echo(f"deleted {key_id}")


@click.group()
def db() -> None:
    """The store's schema."""


@db.command("upgrade")
@data_dir_option
@database_url_option
def db_upgrade(data_dir, database_url) -> None:
    """Apply pending migrations (the server also does this on start)."""
    with opened(data_dir, database_url):
        click.echo("store is at the newest schema")


@db.command("backup")
@click.argument("destination", type=click.Path(dir_okay=False, path_type=Path))
@data_dir_option
@database_url_option
def db_backup(destination: Path, data_dir, database_url) -> None:
    """Copy the embedded store to DESTINATION while the server runs (docs/operations.md).

    A consistent copy (SQLite VACUUM INTO: one read transaction, writers go on meanwhile); restore by
    stopping the server and putting the copy in place of DATA_DIR/farmstead.db. PostgreSQL stores are
    backed up with pg_dump instead."""
    settings = settings_from(data_dir, database_url)
    try:
        source = backup.backup_sqlite(settings.database_url, destination)
    except backup.BackupRefused as refused:
        raise click.ClickException(str(refused)) from None
    click.echo(f"backed up {source} to {destination}")


@click.command()
def coverage() -> None:
    """List the model's operations and whether Farmstead implements them."""
    from farmstead.api.registry import handlers
    from farmstead.protocol.model import operations

    implemented = handlers()
    names = sorted(operations())
    for name in names:
        click.echo(f"{'yes' if name in implemented else 'no '}  {name}")
    click.echo(f"{sum(n in implemented for n in names)} of {len(names)} operations implemented")

"""`farmstead users add`/`remove` and `farmstead groups add`/`remove`: a user's or a group's membership on a
farm, queue, fleet or job.

Owns: turning the command's flags into the API's Associate*/Disassociate* call and running it in this
process as the store's administrator, through the API's own executor, so the model's validation, the
membership rules and the handler are exactly those a boto3 call meets (docs/access.md). The model's
`identityStoreId`, which Farmstead only stores, is filled in.
Must not: write memberships to the store itself.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from farmstead.cli import hints
from farmstead.cli.options import data_dir_option, database_url_option, settings_from

LEVELS = ("VIEWER", "CONTRIBUTOR", "MANAGER", "OWNER")
#: Farmstead keeps one identity store; the model still wants an id of this form on every association.
IDENTITY_STORE_ID = "d-0000000000"
_request_ids = itertools.count(1)


def _where_options(command):
    for option in reversed([
        click.option("--farm-id", "--farm", "farm_id", default=None,
                     help="The farm (default: the one `farmstead up` made in DATA_DIR)."),
        click.option("--queue-id", "--queue", "queue_id", default=None, help="A queue of the farm, instead of all."),
        click.option("--fleet-id", "--fleet", "fleet_id", default=None, help="A fleet of the farm, instead of all."),
        click.option("--job-id", "--job", "job_id", default=None, help="A job (with --queue-id), instead of all."),
    ]):
        command = option(command)
    return command


@click.command("add")
@click.argument("name")
@click.option("--level", type=click.Choice(LEVELS, case_sensitive=False), required=True,
              help="VIEWER sees; CONTRIBUTOR also submits jobs; MANAGER also changes jobs and members; "
                   "OWNER also budgets and OWNER members (docs/access.md).")
@_where_options
@data_dir_option
@database_url_option
def users_add(name: str, level: str, farm_id: str | None, queue_id: str | None, fleet_id: str | None,
              job_id: str | None, data_dir: Path, database_url: str | None) -> None:
    """Make user NAME a member of a farm (or one of its queues, fleets or jobs) at LEVEL; again to change it."""
    _associate("USER", name, level, (farm_id, queue_id, fleet_id, job_id), data_dir, database_url)


@click.command("add")
@click.argument("name")
@click.option("--level", type=click.Choice(LEVELS, case_sensitive=False), required=True,
              help="What each of the group's members may do there (as for `users add`; docs/access.md).")
@_where_options
@data_dir_option
@database_url_option
def groups_add(name: str, level: str, farm_id: str | None, queue_id: str | None, fleet_id: str | None,
               job_id: str | None, data_dir: Path, database_url: str | None) -> None:
    """Make group NAME a member of a farm (or one of its queues, fleets or jobs) at LEVEL; again to change it."""
    _associate("GROUP", name, level, (farm_id, queue_id, fleet_id, job_id), data_dir, database_url)


@click.command("remove")
@click.argument("name")
@_where_options
@data_dir_option
@database_url_option
def users_remove(name: str, farm_id: str | None, queue_id: str | None, fleet_id: str | None, job_id: str | None,
                 data_dir: Path, database_url: str | None) -> None:
    """End user NAME's membership on a farm (or one of its queues, fleets or jobs)."""
    _disassociate("USER", name, (farm_id, queue_id, fleet_id, job_id), data_dir, database_url)


@click.command("remove")
@click.argument("name")
@_where_options
@data_dir_option
@database_url_option
def groups_remove(name: str, farm_id: str | None, queue_id: str | None, fleet_id: str | None, job_id: str | None,
                  data_dir: Path, database_url: str | None) -> None:
    """End group NAME's membership on a farm (or one of its queues, fleets or jobs)."""
    _disassociate("GROUP", name, (farm_id, queue_id, fleet_id, job_id), data_dir, database_url)


#: (farm, queue, fleet, job) ids as the command's flags gave them.
_Where = tuple[str | None, str | None, str | None, str | None]
#: How a message names a principal of each type.
_PREFIX = {"USER": "", "GROUP": "group "}


def _associate(principal_type: str, name: str, level: str, where: _Where, data_dir: Path,
               database_url: str | None) -> None:
    operation, params, what = _target(*where, data_dir)
    with _administrator(data_dir, database_url) as run:
        run(f"AssociateMemberTo{operation}", principalId=run.principal_of(principal_type, name),
            principalType=principal_type, identityStoreId=IDENTITY_STORE_ID, membershipLevel=level.upper(), **params)
    click.echo(f"{_PREFIX[principal_type]}{name} is {level.upper()} on {what}")


def _disassociate(principal_type: str, name: str, where: _Where, data_dir: Path, database_url: str | None) -> None:
    operation, params, what = _target(*where, data_dir)
    with _administrator(data_dir, database_url) as run:
        run(f"DisassociateMemberFrom{operation}", principalId=run.principal_of(principal_type, name), **params)
    click.echo(f"{_PREFIX[principal_type]}{name} is no longer a member of {what}")


def _target(farm_id: str | None, queue_id: str | None, fleet_id: str | None, job_id: str | None,
            data_dir: Path) -> tuple[str, dict[str, str], str]:
    """(the resource word of the operation's name, its id members, a phrase for the message)."""
    if farm_id is None:
        from farmstead.cli.local_farm import LocalFarm  # (boto3 with it: only when asked)

        local = LocalFarm.load(data_dir)
        farm_id = local.farmId if local else None
    if farm_id is None:
        raise click.UsageError("which farm? Give --farm-id (or run where `farmstead up` keeps its data)")
    if fleet_id and (queue_id or job_id):
        raise click.UsageError("a membership is on a queue (or one of its jobs) or on a fleet, not both")
    ids = {"farmId": farm_id}
    if job_id:
        if not queue_id:
            raise click.UsageError("--job-id needs the job's --queue-id")
        return "Job", {**ids, "queueId": queue_id, "jobId": job_id}, f"job {job_id}"
    if queue_id:
        return "Queue", {**ids, "queueId": queue_id}, f"queue {queue_id}"
    if fleet_id:
        return "Fleet", {**ids, "fleetId": fleet_id}, f"fleet {fleet_id}"
    return "Farm", ids, f"farm {farm_id}"


class _Administrator:
    """Runs API operations in this process as the store's first administrator."""

    def __init__(self, data_dir: Path, database_url: str | None) -> None:
        from farmstead.api.context import Caller
        from farmstead.api.executor import Executor
        from farmstead.clock import SystemClock
        from farmstead.store import identity
        from farmstead.store.engine import Store

        self._settings = settings_from(data_dir, database_url)
        self._store = Store.open(self._settings.database_url)
        with self._store.read() as conn:
            admin = next((p for p in identity.list_principals(conn) if p.is_admin), None)
        if admin is None:
            self._store.dispose()
            raise click.ClickException("this store has no administrator yet: start `farmstead server` (or "
                                       "`farmstead up`) on it once")
        self._identity = identity
        self._executor = Executor(self._store, self._settings, SystemClock())
        self._caller = Caller(admin.principal_id, admin.name, True,
                              f"arn:aws:iam::{self._settings.account_id}:user/{admin.name}")

    def principal(self, name: str) -> str:
        with self._store.read() as conn:
            record = self._identity.find_principal(conn, name)
        if record is None:
            where = hints.given_options(click.get_current_context(), "data_dir", "database_url")
            create = hints.command("users", "create", name, *where)
            raise click.ClickException(f"no user {name}; create one with `{create}`")
        return record.principal_id

    def group(self, name: str) -> str:
        from farmstead.store import groups

        with self._store.read() as conn:
            record = groups.find(conn, name)
        if record is None:
            raise click.ClickException(f"no group {name}; create one with `farmstead groups create {name}`")
        return record.group_id

    def principal_of(self, principal_type: str, name: str) -> str:
        return self.principal(name) if principal_type == "USER" else self.group(name)

    def __call__(self, operation: str, **params: Any) -> dict:
        from farmstead.protocol.errors import ServiceError
        from farmstead.protocol.model import operations
        from farmstead.protocol.validation import validate

        info = operations()[operation]
        errors = validate(info.input_shape, params)
        if errors:
            raise click.ClickException("; ".join(f"{e.name}: {e.message}" for e in errors))
        try:
            return self._executor.execute(info, self._caller, params, f"cli-{next(_request_ids)}") or {}
        except ServiceError as err:
            raise click.ClickException(f"{err.code}: {err.message}") from None

    def close(self) -> None:
        self._store.dispose()


@contextlib.contextmanager
def _administrator(data_dir: Path, database_url: str | None) -> Iterator[_Administrator]:
    admin = _Administrator(data_dir, database_url)
    try:
        yield admin
    finally:
        admin.close()

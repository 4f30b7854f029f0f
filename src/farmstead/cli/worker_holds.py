"""`farmstead workers`: drain, disable or enable workers, one or a whole fleet, and list them with
their holds and blocklists (docs/self-managing.md). An operator's command on the store, as `users`
and `blocklist` are: the API model has no member for a hold. Tab-separated, for scripts."""

from __future__ import annotations

import click

from farmstead.api import audit_trail
from farmstead.cli.options import data_dir_option, database_url_option, opened_store
from farmstead.clock import SystemClock
from farmstead.domain.worker_holds import WorkerHold
from farmstead.orchestration import worker_holds
from farmstead.orchestration.task_changes import TaskChanges
from farmstead.store import blocklists
from farmstead.store import workers as worker_rows

OPERATOR = "farmstead-cli"


@click.group()
def workers() -> None:
    """Hold workers (drain, disable) or let them work again."""


def _targets(command):
    """--fleet-id, --worker-id (repeatable; none: the whole fleet) and the store's options."""
    command = click.option("--worker-id", "worker_ids", multiple=True,
                           help="A worker of the fleet (repeat for several); none: every worker of the fleet.")(command)
    command = click.option("--fleet-id", required=True)(command)
    return database_url_option(data_dir_option(command))


def _apply(fleet_id: str, worker_ids: tuple[str, ...], new_hold: WorkerHold | None, data_dir, database_url) -> int:
    command = f"workers {click.get_current_context().info_name}"
    with (opened_store(data_dir, database_url) as store,
          audit_trail.write(store, audit_trail.local(command, fleetId=fleet_id, workerIds=list(worker_ids),
                                                hold=new_hold.value if new_hold else None)) as entry):
        conn = entry.conn
        in_fleet = worker_rows.ids_in_fleet(conn, fleet_id)
        unknown = [w for w in worker_ids if w not in in_fleet]
        if unknown:
            raise click.ClickException(f"not workers of {fleet_id}: {', '.join(unknown)}")
        changes = TaskChanges(conn, SystemClock().now())
        count = worker_holds.hold(changes, list(worker_ids) or in_fleet, new_hold, OPERATOR)
        changes.flush()
    return count


@workers.command("drain")
@_targets
@click.option("--stop", is_flag=True, help="Once drained, tell the worker STOPPED (the agent stops; a restart "
                                           "lifts the hold). Without it the worker stays up, idle.")
def workers_drain(fleet_id: str, worker_ids: tuple[str, ...], stop: bool, data_dir, database_url) -> None:
    """Let the workers finish what they run and take nothing new."""
    count = _apply(fleet_id, worker_ids, WorkerHold.DRAIN_AND_STOP if stop else WorkerHold.DRAIN, data_dir,
                   database_url)
    click.echo(f"draining {count} worker{'s' if count != 1 else ''}{', then stopping them' if stop else ''}")


@workers.command("disable")
@_targets
def workers_disable(fleet_id: str, worker_ids: tuple[str, ...], data_dir, database_url) -> None:
    """Take nothing new, and give what the workers run back to READY (no retry spent)."""
    count = _apply(fleet_id, worker_ids, WorkerHold.DISABLE, data_dir, database_url)
    click.echo(f"disabled {count} worker{'s' if count != 1 else ''}; their running tasks go back to READY")


@workers.command("enable")
@_targets
def workers_enable(fleet_id: str, worker_ids: tuple[str, ...], data_dir, database_url) -> None:
    """Lift a drain or disable: the workers take work again."""
    count = _apply(fleet_id, worker_ids, None, data_dir, database_url)
    click.echo(f"enabled {count} worker{'s' if count != 1 else ''}")


@workers.command("list")
@click.option("--fleet-id", required=True)
@data_dir_option
@database_url_option
def workers_list(fleet_id: str, data_dir, database_url) -> None:
    """The fleet's workers: status, hold, and the jobs that blocklisted each."""
    with opened_store(data_dir, database_url) as store, store.read() as conn:
        rows = worker_rows.page(conn, fleet_id, None, 10_000)
        blocked = blocklists.of_fleet(conn, fleet_id)
    click.echo("worker\thost\tstatus\thold\tblocklisted on\twhy held")
    for row in rows:
        jobs = ", ".join(b.job_id for b in blocked.get(row.worker_id, []))
        click.echo("\t".join((row.worker_id, (row.host_properties or {}).get("hostName", ""), row.status,
                              row.hold or "-", jobs or "-", row.hold_reason or "-")))

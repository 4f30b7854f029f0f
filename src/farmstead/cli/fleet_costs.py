"""`farmstead fleets cost`: what one worker-hour of a fleet costs, the rate budgets charge a queue's
session time at (docs/fleets.md, "Budgets"). An operator's command on the store, as `blocklist` is:
the API model has no member for a price. A fleet without its own rate costs the server's
FARMSTEAD_WORKER_HOUR_COST. Tab-separated, for scripts."""

from __future__ import annotations

import math

import click

from farmstead.api import audit_trail
from farmstead.cli.options import data_dir_option, database_url_option, opened_store
from farmstead.store import fleets as fleet_store


@click.group()
def fleets() -> None:
    """What a fleet's worker-hours cost."""


@fleets.command("cost")
@click.option("--fleet-id", help="The fleet to price; without it, every fleet's rate is listed.")
@click.option("--dollars-per-hour", type=float, help="What one worker-hour of the fleet costs.")
@click.option("--default", "use_default", is_flag=True, help="Drop the fleet's own rate: the default applies.")
@click.option("--farm-id", help="List only this farm's fleets.")
@data_dir_option
@database_url_option
def fleets_cost(fleet_id: str | None, dollars_per_hour: float | None, use_default: bool, farm_id: str | None,
                data_dir, database_url) -> None:
    """Set a fleet's worker-hour cost (--dollars-per-hour, or --default), or list every fleet's."""
    if fleet_id is None:
        if dollars_per_hour is not None or use_default:
            raise click.UsageError("Name the fleet to price with --fleet-id.")
        with opened_store(data_dir, database_url) as store, store.read() as conn:
            rows = fleet_store.costs(conn, farm_id)
        click.echo("farm\tfleet\tname\tdollars per worker-hour")
        for row in rows:
            rate = "default" if row.cost_per_worker_hour is None else f"{row.cost_per_worker_hour:g}"
            click.echo("\t".join((row.farm_id, row.fleet_id, row.display_name, rate)))
        return
    if (dollars_per_hour is None) == (not use_default):
        raise click.UsageError("Give either --dollars-per-hour or --default.")
    if dollars_per_hour is not None and (not math.isfinite(dollars_per_hour) or dollars_per_hour < 0):
        raise click.UsageError("--dollars-per-hour must be a finite number, 0 or more.")
    entry = audit_trail.local("fleets cost", fleetId=fleet_id, dollarsPerHour=dollars_per_hour)
    with opened_store(data_dir, database_url) as store, audit_trail.write(store, entry) as audited:
        if not fleet_store.set_cost_per_worker_hour(audited.conn, fleet_id, dollars_per_hour):
            raise click.ClickException(f"There is no fleet {fleet_id}.")
    shown = "the server's default" if dollars_per_hour is None else f"${dollars_per_hour:g}"
    click.echo(f"A worker-hour of {fleet_id} now costs {shown}.")

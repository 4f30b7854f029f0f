"""`farmstead audit`: read the audit log (docs/audit.md): who changed what, when, from where, and the
outcome. The store-changing admin commands write their entries through api/audit_trail.py `write`."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click

from farmstead.cli.options import data_dir_option, database_url_option, opened_store


@click.command()
@click.option("--user", "principal", default=None, help="Principal id or user name.")
@click.option("--resource", "resource_id", default=None, help="A resource id the call named (farm, queue, job ...).")
@click.option("--operation", default=None, help="An operation (CreateJob) or admin command (keys create).")
@click.option("--since", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]), default=None,
              help="From this UTC time on.")
@click.option("--until", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]), default=None,
              help="Before this UTC time.")
@click.option("--limit", type=click.IntRange(1), default=1000, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line (for export).")
@data_dir_option
@database_url_option
def audit(principal, resource_id, operation, since, until, limit: int, as_json: bool, data_dir, database_url) -> None:
    """Who changed what, when, from where, and whether it worked: the audit log, oldest first."""
    from farmstead.store import audit as audit_rows

    where = audit_rows.AuditFilter(principal, resource_id, operation, _utc(since), _utc(until))
    with opened_store(data_dir, database_url) as store, store.read() as conn:
        rows = list(audit_rows.events(conn, where, limit))
    if as_json:
        for row in rows:
            # The standard library's encoder: an audited call's parameters may hold an integer past 64 bits
            # (a refused one, as the caller sent it), which orjson cannot write.
            click.echo(json.dumps({
                "at": row.at.isoformat(), "principalId": row.principal_id, "principalName": row.principal_name,
                "accessKeyId": row.access_key_id, "source": row.source, "address": row.address,
                "operation": row.operation, "resourceIds": row.resource_ids, "params": row.params,
                "outcome": row.outcome}, ensure_ascii=False, separators=(",", ":")))
        return
    click.echo("at\tuser\taddress\toperation\tresources\toutcome")
    for row in rows:
        click.echo("\t".join((row.at.isoformat(timespec="seconds"), row.principal_name, row.address, row.operation,
                              " ".join(row.resource_ids) or "-", row.outcome)))


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None else None

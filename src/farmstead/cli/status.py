"""`farmstead status`: farms, queues, fleets, workers and recent jobs, as tables.

Owns: what a person sees at a glance — every farm the caller can list, each farm's queues (status),
fleets (worker counts), workers (status, host) and the most recent jobs of each queue (status,
progress). Reads only, through the public API.
Must not: change anything, or read the store directly (it may be on another machine).
"""

from __future__ import annotations

from pathlib import Path

import click
from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from farmstead.cli.local_farm import connect, explain
from farmstead.cli.options import connection_options, data_dir_option
from farmstead.domain.statuses import FleetStatus, QueueStatus, WorkerStatus
from farmstead.domain.statuses import JobLifecycleStatus as L
from farmstead.domain.statuses import TaskRunStatus as S

# Keyed by the statuses of several vocabularies (tasks, workers, fleets, queues): equal strings share a style.
_STATUS_STYLE: dict[str, str] = {S.SUCCEEDED: "green", S.FAILED: "red", S.CANCELED: "yellow",
                 S.NOT_COMPATIBLE: "red", S.RUNNING: "cyan", WorkerStatus.STARTED: "green",
                 WorkerStatus.IDLE: "green", FleetStatus.ACTIVE: "green", QueueStatus.SCHEDULING: "green",
                 WorkerStatus.STOPPED: "dim", WorkerStatus.NOT_RESPONDING: "red",
                 QueueStatus.SCHEDULING_BLOCKED: "yellow"}


@click.command()
@click.option("--farm-id", default=None, help="Show this farm only.")
@click.option("--jobs", "job_count", type=click.IntRange(1, 100), default=10, show_default=True,
              help="Most recent jobs shown per queue.")
@connection_options
@data_dir_option
def status(farm_id: str | None, job_count: int, profile: str | None, endpoint_url: str | None,
           data_dir: Path) -> None:
    """Show farms, queues, fleets, workers and recent jobs."""
    connection = connect(profile, endpoint_url, data_dir)
    client = connection.client()
    console = Console()
    try:
        farms = [client.get_farm(farmId=farm_id)] if farm_id else _all(client, "list_farms", "farms")
        console.print(f"Farmstead at {connection.endpoint}"
                      + (f" (profile {connection.profile})" if connection.profile else ""), highlight=False)
        console.print(_farms_table(farms))
        for farm in farms:
            _show_farm(console, client, farm, job_count)
    except (ClientError, BotoCoreError) as exc:
        raise click.ClickException(explain(exc, connection)) from None


def _show_farm(console: Console, client, farm: dict, job_count: int) -> None:
    ids = {"farmId": farm["farmId"]}
    queues = _all(client, "list_queues", "queues", **ids)
    fleets = _all(client, "list_fleets", "fleets", **ids)
    title = f"{escape(farm['displayName'])} ({farm['farmId']})"
    queue_table = Table("Queue", "ID", "Status", title=f"Queues of {title}", title_justify="left")
    for queue in queues:
        queue_table.add_row(escape(queue["displayName"]), queue["queueId"], _styled(queue["status"]))
    fleet_table = Table("Fleet", "ID", "Status", "Workers", "Min–max", title=f"Fleets of {title}",
                        title_justify="left")
    worker_table = Table("Fleet", "Worker", "Status", "Host", title=f"Workers of {title}", title_justify="left")
    for fleet in fleets:
        fleet_table.add_row(escape(fleet["displayName"]), fleet["fleetId"], _styled(fleet["status"]),
                            str(fleet.get("workerCount", 0)),
                            f"{fleet.get('minWorkerCount', 0)}–{fleet.get('maxWorkerCount', 0)}")
        for worker in _all(client, "list_workers", "workers", **ids, fleetId=fleet["fleetId"]):
            host = worker.get("hostProperties") or {}
            addresses = (host.get("ipAddresses") or {}).get("ipV4Addresses") or []
            worker_table.add_row(escape(fleet["displayName"]), worker["workerId"], _styled(worker["status"]),
                                 " ".join(filter(None, [host.get("hostName"), *addresses[:1]])) or "—")
    console.print(queue_table)
    console.print(fleet_table)
    if worker_table.row_count:
        console.print(worker_table)
    for queue in queues:
        jobs = _recent_jobs(client, farm["farmId"], queue["queueId"], job_count)
        table = Table("Job", "ID", "Status", "Progress", "Priority", "Submitted",
                      title=f"Recent jobs in {escape(queue['displayName'])}", title_justify="left")
        for job in jobs:
            table.add_row(escape(job.get("name", "")), job["jobId"], _styled(_job_status(job)), _job_progress(job),
                          str(job.get("priority", "")), job["createdAt"].astimezone().strftime("%Y-%m-%d %H:%M:%S"))
        if jobs:
            console.print(table)
        else:
            console.print(f"[dim]No jobs in {escape(queue['displayName'])} yet.[/dim]")


def _farms_table(farms: list[dict]) -> Table:
    table = Table("Farm", "ID", "Created", title="Farms", title_justify="left")
    for farm in farms:
        created = farm["createdAt"].astimezone().strftime("%Y-%m-%d %H:%M")
        table.add_row(escape(farm["displayName"]), farm["farmId"], created)
    return table


def _recent_jobs(client, farm_id: str, queue_id: str, count: int) -> list[dict]:
    # SearchJobs sorts on the server, so a queue with thousands of jobs costs one small page.
    return client.search_jobs(farmId=farm_id, queueIds=[queue_id], itemOffset=0, pageSize=count,
                              sortExpressions=[{"fieldSort": {"name": "CREATED_AT",
                                                              "sortOrder": "DESCENDING"}}])["jobs"]


def _job_status(job: dict) -> str:
    if job.get("lifecycleStatus") in (L.CREATE_IN_PROGRESS, L.CREATE_FAILED, L.ARCHIVED):
        return job["lifecycleStatus"]
    return job.get("taskRunStatus", "")


def _job_progress(job: dict) -> str:
    counts = job.get("taskRunStatusCounts") or {}
    total = sum(counts.values())
    succeeded, failed, running = (counts.get(s, 0) for s in (S.SUCCEEDED, S.FAILED, S.RUNNING))
    text = f"{succeeded}/{total}"
    if total:
        text += f" ({100 * succeeded // total}%)"
    if failed:
        text += f", [red]{failed} failed[/red]"
    if running:
        text += f", {running} running"
    return text


def _styled(value: str) -> str:
    style = _STATUS_STYLE.get(value)
    return f"[{style}]{value}[/{style}]" if style else value


def _all(client, operation: str, key: str, **params) -> list[dict]:
    items: list[dict] = []
    for page in client.get_paginator(operation).paginate(**params):
        items.extend(page[key])
    return items

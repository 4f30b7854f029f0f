"""`farmstead blocklist`: the workers blocklisted on a job, the jobs that blocklisted a worker, and
taking one worker off a job's blocklist (docs/self-managing.md). An operator's command on the store,
as `users` and `keys` are: the API model has no member for blocklists. Tab-separated, for scripts."""

from __future__ import annotations

import click

from farmstead.api import audit_trail
from farmstead.cli.options import data_dir_option, database_url_option, opened_store
from farmstead.store import blocklists


@click.group()
def blocklist() -> None:
    """Workers taken off a job after too many failures there."""


@blocklist.command("list")
@click.option("--job-id", required=True)
@data_dir_option
@database_url_option
def blocklist_list(job_id: str, data_dir, database_url) -> None:
    """The job's blocklisted workers, with the failed runs that put them there."""
    with opened_store(data_dir, database_url) as store, store.read() as conn:
        rows = [(row, blocklists.failed_runs(conn, job_id, row.worker_id, limit=5))
                for row in blocklists.of_job(conn, job_id)]
    if not rows:
        click.echo(f"No worker is blocklisted on {job_id}.")
        return
    click.echo("worker\thost\tfailures\tblocked at\tlatest failed tasks (exit code)")
    for row, runs in rows:
        failed = ", ".join(f"{run.task_id} ({run.process_exit_code})" for run in runs)
        click.echo("\t".join((row.worker_id, (row.host_properties or {}).get("hostName", ""), str(row.failures),
                              row.blocked_at.isoformat(timespec="seconds"), failed)))


@blocklist.command("worker")
@click.option("--worker-id", required=True)
@data_dir_option
@database_url_option
def blocklist_worker(worker_id: str, data_dir, database_url) -> None:
    """The jobs that blocklisted the worker."""
    with opened_store(data_dir, database_url) as store, store.read() as conn:
        rows = blocklists.of_worker(conn, worker_id)
    if not rows:
        click.echo(f"{worker_id} is blocklisted on no job.")
        return
    click.echo("job\tname\tqueue\tfailures\tblocked at")
    for row in rows:
        click.echo("\t".join((row.job_id, row.name, row.queue_id, str(row.failures),
                              row.blocked_at.isoformat(timespec="seconds"))))


@blocklist.command("clear")
@click.option("--job-id", required=True)
@click.option("--worker-id", required=True)
@data_dir_option
@database_url_option
def blocklist_clear(job_id: str, worker_id: str, data_dir, database_url) -> None:
    """Take the worker off the job's blocklist: it may take the job's tasks again."""
    with (opened_store(data_dir, database_url) as store,
          audit_trail.write(store, audit_trail.local("blocklist clear", jobId=job_id, workerId=worker_id)) as entry):
        if not blocklists.clear_worker(entry.conn, job_id, worker_id):
            raise click.ClickException(f"{worker_id} is not blocklisted on {job_id}.")
    click.echo(f"{worker_id} may take {job_id}'s tasks again.")

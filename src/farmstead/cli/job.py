"""`farmstead job`: requeue the failed frames of a job, resume a suspended one, suspend or cancel it.

Owns: the commands' flags, choosing the farm, queue and credentials as `farmstead submit` does, asking
before `requeue --all` reruns succeeded tasks, and printing what was done. The changes themselves are
job_control.py's, made with boto3 as the caller, so the API's rules decide each call.
Must not: change the API's meaning of a target (a job-level READY still requeues everything).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from botocore import xform_name
from botocore.exceptions import BotoCoreError, ClientError

from farmstead import job_control
from farmstead.cli.local_farm import Connection, connect, explain, resolve_queue
from farmstead.cli.options import connection_options, data_dir_option
from farmstead.domain.statuses import TaskRunStatus


@click.group()
def job() -> None:
    """Change a job: requeue its failed tasks, resume it, suspend or cancel it."""


def _where(command):
    for option in reversed([
        click.option("--job-id", required=True),
        click.option("--step-id", default=None, help="Only this step of the job."),
        click.option("--task-id", "task_ids", multiple=True, help="Only these tasks (repeatable)."),
        click.option("--farm-id", default=None, help="Default: DATA_DIR/up.json, else the deadline CLI's default."),
        click.option("--queue-id", default=None, help="Default: DATA_DIR/up.json, else the deadline CLI's default."),
    ]):
        command = option(command)
    return data_dir_option(connection_options(command))


@job.command("requeue")
@_where
@click.option("--canceled", "include_canceled", is_flag=True,
              help="Also the CANCELED tasks (those the failure limit or a failed upstream step canceled).")
@click.option("--all", "everything", is_flag=True,
              help="Every task again, SUCCEEDED ones too (UpdateJob/UpdateStep READY), after asking.")
@click.option("--yes", is_flag=True, help="Don't ask before --all reruns succeeded tasks.")
def requeue(job_id: str, step_id: str | None, task_ids: tuple[str, ...], farm_id: str | None, queue_id: str | None,
            include_canceled: bool, everything: bool, yes: bool, profile: str | None, endpoint_url: str | None,
            data_dir: Path) -> None:
    """Requeue the FAILED tasks of a job, a step or the given tasks (raising maxRetriesPerTask as far as
    that needs: a task whose retries are used up can't be requeued otherwise)."""
    with _session(job_id, farm_id, queue_id, profile, endpoint_url, data_dir) as (call, ids):
        if everything:
            if task_ids:
                raise click.UsageError("--all requeues a whole job or step; leave out --task-id")
            counts = (call("GetStep", stepId=step_id, **ids) if step_id else call("GetJob", **ids)).get(
                "taskRunStatusCounts") or {}
            succeeded = counts.get(TaskRunStatus.SUCCEEDED, 0)
            what = f"step {step_id}" if step_id else f"job {job_id}"
            if succeeded and not yes:
                click.confirm(f"Requeue all {sum(counts.values())} tasks of {what}? {succeeded} SUCCEEDED "
                              f"task{'s' if succeeded != 1 else ''} will run again", abort=True)
            outcome = job_control.requeue_all(call, ids, step_id=step_id)
            click.echo(outcome.sentence("Requeued all"))
            return
        outcome = job_control.requeue_failed(call, ids, step_id=step_id, task_ids=_chosen(task_ids),
                                             include_canceled=include_canceled)
        click.echo(outcome.sentence("Requeued"))
        if outcome.refused:
            raise SystemExit(1)


@job.command("resume")
@_where
def resume(job_id: str, step_id: str | None, task_ids: tuple[str, ...], farm_id: str | None, queue_id: str | None,
           profile: str | None, endpoint_url: str | None, data_dir: Path) -> None:
    """Bring back the SUSPENDED tasks of a job, a step or the given tasks; finished tasks stay finished."""
    with _session(job_id, farm_id, queue_id, profile, endpoint_url, data_dir) as (call, ids):
        outcome = job_control.resume(call, ids, step_id=step_id, task_ids=_chosen(task_ids))
        click.echo(outcome.sentence("Resumed"))
        if outcome.refused:
            raise SystemExit(1)


def _target_command(name: str, target: str, doc: str):
    @job.command(name, help=doc)
    @_where
    def command(job_id: str, step_id: str | None, task_ids: tuple[str, ...], farm_id: str | None,
                queue_id: str | None, profile: str | None, endpoint_url: str | None, data_dir: Path) -> None:
        with _session(job_id, farm_id, queue_id, profile, endpoint_url, data_dir) as (call, ids):
            chosen = _chosen(task_ids)
            tasks: list[tuple[str, str] | None] = [*chosen] if chosen else [None]
            for task in tasks:
                job_control.set_target(call, ids, target, step_id=step_id, task=task)
            what = _tasks_phrase(len(chosen)) if chosen else f"step {step_id}" if step_id else f"job {job_id}"
            click.echo(f"{target} asked for {what}.")
    return command


_target_command("suspend", TaskRunStatus.SUSPENDED, "Suspend a job, a step or tasks: unfinished tasks stop and wait.")
_target_command("cancel", TaskRunStatus.CANCELED,
                "Cancel a job, a step or tasks: tasks not SUCCEEDED or FAILED are canceled.")


def _tasks_phrase(n: int) -> str:
    return f"{n} task{'' if n == 1 else 's'}"


def _chosen(task_ids: tuple[str, ...]) -> list[tuple[str, str]] | None:
    """(stepId, taskId) for each given task; a task's id names its step."""
    if not task_ids:
        return None
    chosen = []
    for task_id in task_ids:
        step_id = job_control.step_of_task(task_id)
        if step_id is None:
            raise click.BadParameter(f"{task_id!r} is not a task id (task-<32 hex>-<n>)", param_hint="--task-id")
        chosen.append((step_id, task_id))
    return chosen


class _session:
    """The connection, the job's ids and a `call` for job_control; API errors become readable exits."""

    def __init__(self, job_id: str, farm_id: str | None, queue_id: str | None, profile: str | None,
                 endpoint_url: str | None, data_dir: Path) -> None:
        self.connection: Connection = connect(profile, endpoint_url, data_dir)
        farm, queue = resolve_queue(self.connection, farm_id, queue_id)
        self.ids = {"farmId": farm, "queueId": queue, "jobId": job_id}
        self.client = self.connection.client()

    def call(self, operation: str, **params: Any) -> dict[str, Any]:
        return getattr(self.client, xform_name(operation))(**params)

    def __enter__(self):
        return self.call, self.ids

    def __exit__(self, kind, error, trace) -> None:
        if isinstance(error, (ClientError, BotoCoreError)):
            raise click.ClickException(explain(error, self.connection)) from None

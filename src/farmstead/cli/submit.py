"""`farmstead submit`: a job from a template file or a job bundle, optionally watched to its end.

Owns: choosing the farm and queue (flags, then DATA_DIR/up.json, then the `deadline` CLI's
defaults), building CreateJob from what job_bundles.py read (with `--storage-profile-id`, the job's
storage profile; input files uploaded as job attachments by submit_attachments.py when the queue
keeps them), and `--wait`'s live progress bar, outputs
downloaded, and exit code (0 when the job SUCCEEDED, 1 when it FAILED, was CANCELED or is NOT_COMPATIBLE).
Must not: validate templates or parameter constraints (the server does; its message is printed).
"""

from __future__ import annotations

import time
from pathlib import Path

import click
import yaml
from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from farmstead.cli import hints, job_bundles, submit_attachments
from farmstead.cli.local_farm import connect, explain, resolve_queue
from farmstead.cli.options import connection_options, data_dir_option
from farmstead.domain import task_states
from farmstead.domain.statuses import JobLifecycleStatus as L
from farmstead.domain.statuses import TaskRunStatus as S

DEFAULT_PRIORITY = 50
ENDED = task_states.FINISHED


@click.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.option("-p", "--parameter", "assignments", multiple=True, metavar="NAME=VALUE",
              help="A job parameter value (repeatable); typed by the template's definition.")
@click.option("--wait", is_flag=True, help="Show progress until the job ends; exit 1 unless it SUCCEEDED.")
@click.option("--priority", type=click.IntRange(0, 100), default=None,
              help=f"Job priority (default: the bundle's deadline:priority, else {DEFAULT_PRIORITY}).")
@click.option("--farm-id", default=None, help="Default: DATA_DIR/up.json, else the deadline CLI's default.")
@click.option("--queue-id", default=None, help="Default: DATA_DIR/up.json, else the deadline CLI's default.")
@click.option("--storage-profile-id", default=None,
              help="The storage profile of this host (one the queue allows): the worker maps its locations' "
                   "paths, and its LOCAL/SHARED locations decide which files travel as job attachments.")
@click.option("--after", default=None, metavar="[afterok:|afterany:|afternotok:]JOB[,JOB] | frame:JOB",
              help="Wait for these jobs: until they all SUCCEEDED (afterok, the default), all ended (afterany) "
                   "or one FAILED (afternotok); or frame:JOB, each task until JOB's task with the same "
                   "parameters SUCCEEDED; the server releases the job (docs/self-managing.md).")
@connection_options
@data_dir_option
def submit(source: Path, assignments: tuple[str, ...], wait: bool, priority: int | None, farm_id: str | None,
           queue_id: str | None, storage_profile_id: str | None, after: str | None, profile: str | None,
           endpoint_url: str | None, data_dir: Path) -> None:
    """Submit SOURCE: an OpenJD job template (.json/.yaml) or a job bundle directory."""
    try:
        submission = job_bundles.load(source)
        overrides = [job_bundles.split_assignment(text) for text in assignments]
    except job_bundles.BundleError as exc:
        raise click.ClickException(str(exc)) from None
    for note in submission.notes:
        click.echo(f"note: {note}", err=True)
    connection = connect(profile, endpoint_url, data_dir)
    client = connection.client()
    farm_id, queue_id = resolve_queue(connection, farm_id, queue_id)
    try:
        parameters = _parameters(client, farm_id, queue_id, submission, overrides)
        request = {"farmId": farm_id, "queueId": queue_id, "template": submission.template_text,
                   "templateType": submission.template_type, "parameters": parameters,
                   **submission.settings}
        request["priority"] = priority if priority is not None else submission.settings.get("priority",
                                                                                           DEFAULT_PRIORITY)
        storage_profile = None
        if storage_profile_id:
            # As the deadline CLI: the profile must be one the queue allows (the server says so otherwise).
            storage_profile = client.get_storage_profile_for_queue(farmId=farm_id, queueId=queue_id,
                                                                   storageProfileId=storage_profile_id)
            request["storageProfileId"] = storage_profile_id
        attachments, attachment_settings = submit_attachments.upload(connection, client, farm_id, queue_id,
                                                                     submission, parameters, storage_profile)
        if attachments:
            request["attachments"] = attachments
        if after:
            # The reserved tag the server reads at CreateJob (docs/self-managing.md, "Job dependencies").
            request["tags"] = {**request.get("tags", {}), "farmstead:after": after}
        job_id = client.create_job(**request)["jobId"]
    except job_bundles.BundleError as exc:
        raise click.ClickException(str(exc)) from None
    except (ClientError, BotoCoreError) as exc:
        raise click.ClickException(f"the job was not submitted.\n{explain(exc, connection)}") from None
    click.echo(f"Submitted {job_id} to queue {queue_id} (farm {farm_id}).")
    if not wait:
        follow = hints.given_options(click.get_current_context(), "profile", "endpoint_url", "data_dir")
        click.echo(f"Follow it with `{hints.command('status', *follow)}` (or submit with --wait).")
        return
    try:
        job = wait_for_job(client, {"farmId": farm_id, "queueId": queue_id, "jobId": job_id})
    except KeyboardInterrupt:
        click.echo(f"\nStopped waiting; {job_id} keeps running.", err=True)
        click.get_current_context().exit(130)
    except (ClientError, BotoCoreError) as exc:
        raise click.ClickException(f"lost track of {job_id}: {explain(exc, connection)}") from None
    logs_hint = hints.command("logs", "--job-id", job_id, *hints.given_options(
        click.get_current_context(), "farm_id", "queue_id", "profile", "endpoint_url", "data_dir"))
    code = _report(job, logs_hint)
    if code == 0 and attachments and attachment_settings:
        try:
            submit_attachments.download(connection, client, {"farmId": farm_id, "queueId": queue_id, "jobId": job_id},
                                        attachment_settings)
        except (ClientError, BotoCoreError) as exc:
            raise click.ClickException(f"{job_id} succeeded, but its outputs could not be downloaded: "
                                       f"{explain(exc, connection)}") from None
    click.get_current_context().exit(code)


def _parameters(client, farm_id: str, queue_id: str, submission: job_bundles.Submission,
                overrides: list[tuple[str, str]]) -> dict[str, dict]:
    definitions = dict(submission.definitions)
    wanted = [(name, value, submission.base_dir) for name, value in submission.bundle_values.items()]
    wanted += [(name, value, Path.cwd()) for name, value in overrides]
    if any(name not in definitions for name, _, _ in wanted):
        # Queue environments may define parameters too; the server merges them with the template's.
        definitions = {**_queue_environment_definitions(client, farm_id, queue_id), **definitions}
    unknown = sorted({name for name, _, _ in wanted if name not in definitions})
    if unknown:
        known = ", ".join(sorted(definitions)) or "none"
        raise job_bundles.BundleError(f"unknown parameter{'s' if len(unknown) > 1 else ''} "
                                      f"{', '.join(unknown)} (this template defines: {known})")
    parameters = {name: job_bundles.api_value(name, value, definitions[name], base)
                  for name, value, base in wanted}
    # A relative PATH default means "next to the template" (as the deadline CLI reads it); the server
    # has no template directory, so the submitter resolves it.
    for name, definition in submission.definitions.items():
        default = definition.get("default")
        if (name not in parameters and str(definition.get("type", "")).upper() == "PATH"
                and isinstance(default, str) and default and not Path(default).is_absolute()
                and "://" not in default):
            parameters[name] = job_bundles.api_value(name, default, definition, submission.base_dir)
    return parameters


def _queue_environment_definitions(client, farm_id: str, queue_id: str) -> dict[str, dict]:
    definitions: dict[str, dict] = {}
    ids = {"farmId": farm_id, "queueId": queue_id}
    for page in client.get_paginator("list_queue_environments").paginate(**ids):
        for summary in page["environments"]:
            environment = client.get_queue_environment(**ids, queueEnvironmentId=summary["queueEnvironmentId"])
            try:
                document = yaml.safe_load(environment["template"])  # JSON is YAML too
            except yaml.YAMLError:
                continue
            for definition in (document or {}).get("parameterDefinitions") or ():
                definitions.setdefault(str(definition.get("name")), definition)
    return definitions


# ----- --wait -----

def wait_for_job(client, ids: dict, poll_seconds: float = 1.0, console: Console | None = None) -> dict:
    """Polls GetJob until it ends, with a live bar on a terminal and a line per change elsewhere."""
    console = console or Console()
    columns = (TextColumn("{task.fields[name]} [bold]{task.fields[status]}"), BarColumn(),
               MofNCompleteColumn(), TextColumn("tasks done{task.fields[failures]}"), TimeElapsedColumn())
    last_line = None
    with Progress(*columns, console=console, transient=False, disable=not console.is_terminal) as progress:
        bar = progress.add_task("job", total=None, name=ids["jobId"], status="", failures="")
        while True:
            job = client.get_job(**ids)
            status, done, total, failed = _progress(job)
            failures = f", [red]{failed} failed[/red]" if failed else ""
            progress.update(bar, total=total or None, completed=done, name=job.get("name", ids["jobId"]),
                            status=status, failures=failures)
            if not console.is_terminal:
                line = f"{status}: {done}/{total} tasks done" + (f", {failed} failed" if failed else "")
                if line != last_line:
                    console.print(line, highlight=False)
                    last_line = line
            if _ended(job):
                return job
            time.sleep(poll_seconds)


def _progress(job: dict) -> tuple[str, int, int, int]:
    counts = job.get("taskRunStatusCounts") or {}
    status = job.get("taskRunStatus") or job.get("lifecycleStatus", "")
    if job.get("lifecycleStatus") in (L.CREATE_IN_PROGRESS, L.CREATE_FAILED):
        status = job["lifecycleStatus"]
    return status, counts.get(S.SUCCEEDED, 0), sum(counts.values()), counts.get(S.FAILED, 0)


def _ended(job: dict) -> bool:
    if job.get("lifecycleStatus") == L.CREATE_FAILED:
        return True
    return job.get("lifecycleStatus") != L.CREATE_IN_PROGRESS and job.get("taskRunStatus") in ENDED


def _report(job: dict, logs_hint: str) -> int:
    """The one final verdict: the job's end, its counts and time; for anything but SUCCEEDED, why (when
    the job could not be created) and the command that prints its session logs."""
    status, done, total, failed = _progress(job)
    elapsed = ""
    if job.get("startedAt") and job.get("endedAt"):
        seconds = (job["endedAt"] - job["startedAt"]).total_seconds()
        elapsed = f" in {seconds:.1f}s" if seconds < 10 else f" in {seconds:.0f}s"
    click.echo(f"{job['jobId']} {status}: {done}/{total} tasks succeeded"
               + (f", {failed} failed" if failed else "") + elapsed)
    if status == S.SUCCEEDED:
        return 0
    # Only a creation failure has a message worth showing: a created job's says "Job creation completed
    # successfully" (or "Job update completed successfully"), which read like a second, opposite verdict.
    if job.get("lifecycleStatus") == L.CREATE_FAILED and job.get("lifecycleStatusMessage"):
        click.echo(job["lifecycleStatusMessage"], err=True)
    else:
        click.echo(f"Session logs: {logs_hint}", err=True)
    return 1

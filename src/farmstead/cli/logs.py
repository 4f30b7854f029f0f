"""`farmstead logs`: print a job's session logs (ListSessions + GetLogEvents), optionally following them.

Owns: finding the job's sessions (farm, queue and credentials resolved as for `farmstead submit`, so
`farmstead logs --job-id J` works where `farmstead up` keeps its data) and each one's log stream
(GetSession `log`, else the service's
naming convention), paging GetLogEvents forward, and `--follow`: polling for new lines and new
sessions until the session (or, without `--session-id`, the job and all its sessions) has ended.
Must not: know how workers write logs.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click
from botocore.exceptions import BotoCoreError, ClientError

from farmstead.cli.local_farm import connect, explain, resolve_queue
from farmstead.cli.options import connection_options, data_dir_option
from farmstead.protocol.shapes import SessionLifecycleStatus, TaskRunStatus

#: The job statuses `--follow` stops at: NOT_COMPATIBLE is not one (a fitting fleet associated later runs it).
_JOB_DONE = {TaskRunStatus.SUCCEEDED, TaskRunStatus.FAILED, TaskRunStatus.CANCELED, TaskRunStatus.SUSPENDED}
POLL_SECONDS = 1.0
#: Workers upload session logs every few seconds: after the end, wait this long for the last lines.
FINAL_READ_DELAY = 3.0


class StreamReader:
    """Reads one log stream forward from its head, remembering where it stopped."""

    def __init__(self, logs_client: Any, group: str, stream: str) -> None:
        self._client = logs_client
        self.group = group
        self.stream = stream
        self._token: str | None = None

    def read(self) -> list[str]:
        lines: list[str] = []
        while True:
            args: dict[str, Any] = {"logGroupName": self.group, "logStreamName": self.stream, "startFromHead": True}
            if self._token:
                args["nextToken"] = self._token
            try:
                page = self._client.get_log_events(**args)
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                    return lines  # no line uploaded yet
                raise
            lines.extend(event["message"] for event in page.get("events") or [])
            token = page.get("nextForwardToken")
            # The end: the same forward token comes back (as at AWS).
            if not token or token == self._token:
                return lines
            self._token = token


def _sessions(deadline: Any, ids: dict[str, str]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for page in deadline.get_paginator("list_sessions").paginate(**ids):
        found.extend(page.get("sessions") or [])
    return found


def _log_location(deadline: Any, ids: dict[str, str], session_id: str) -> tuple[str, str]:
    options = (deadline.get_session(**ids, sessionId=session_id).get("log") or {}).get("options") or {}
    # Spelled here, not taken from domain/log_names.py: this command imports no server room
    # (tests/worker/test_worker_imports.py); the session's own logConfiguration names it first.
    return (options.get("logGroupName") or f"/aws/deadline/{ids['farmId']}/{ids['queueId']}",
            options.get("logStreamName") or session_id)


def _job_done(deadline: Any, ids: dict[str, str]) -> bool:
    return deadline.get_job(**ids).get("taskRunStatus") in _JOB_DONE


@click.command("logs")
@click.option("--job-id", required=True)
@click.option("--farm-id", default=None, help="Default: DATA_DIR/up.json, else the deadline CLI's default.")
@click.option("--queue-id", default=None, help="Default: DATA_DIR/up.json, else the deadline CLI's default.")
@click.option("--session-id", default=None, help="Only this session (default: every session of the job).")
@click.option("--follow", "-f", is_flag=True, help="Keep printing new lines until the session (or job) ends.")
@connection_options
@data_dir_option
def logs(job_id: str, farm_id: str | None, queue_id: str | None, session_id: str | None, follow: bool,
         profile: str | None, endpoint_url: str | None, data_dir: Path) -> None:
    """Print the session logs of JOB, oldest session first."""
    connection = connect(profile, endpoint_url, data_dir)
    farm_id, queue_id = resolve_queue(connection, farm_id, queue_id)
    deadline = connection.client("deadline")
    logs_client = connection.client("logs")
    ids = {"farmId": farm_id, "queueId": queue_id, "jobId": job_id}
    try:
        _print_logs(deadline, logs_client, ids, session_id, follow)
    except (ClientError, BotoCoreError) as err:
        click.echo(f"farmstead logs: {explain(err, connection)}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)


class _Printer:
    """Prints sessions' new lines, with a `==> session <==` header whenever the session changes."""

    def __init__(self, deadline: Any, logs_client: Any, ids: dict[str, str], headers: bool) -> None:
        self._deadline, self._logs, self._ids, self._headers = deadline, logs_client, ids, headers
        self._readers: dict[str, StreamReader] = {}
        self._last: str | None = None

    def show(self, item: dict[str, Any]) -> None:
        sid = item["sessionId"]
        if sid not in self._readers:
            self._readers[sid] = StreamReader(self._logs, *_log_location(self._deadline, self._ids, sid))
        lines = self._readers[sid].read()
        if lines and self._headers and self._last != sid:
            click.echo(f"==> {sid} ({item.get('workerId', '?')}) <==")
            self._last = sid
        for line in lines:
            click.echo(line)


def _print_logs(deadline: Any, logs_client: Any, ids: dict[str, str], only: str | None, follow: bool) -> None:
    printer = _Printer(deadline, logs_client, ids, headers=only is None)
    while True:
        sessions = _sessions(deadline, ids)
        if only is not None:
            sessions = [s for s in sessions if s["sessionId"] == only]
            if not sessions:
                raise click.ClickException(f"job {ids['jobId']} has no session {only}")
        for item in sessions:
            printer.show(item)
        if not follow:
            return
        ended = all(s.get("lifecycleStatus") == SessionLifecycleStatus.ENDED for s in sessions)
        if ended and (only is not None or (sessions and _job_done(deadline, ids))):
            time.sleep(FINAL_READ_DELAY)
            for item in sessions:
                printer.show(item)
            return
        time.sleep(POLL_SECONDS)

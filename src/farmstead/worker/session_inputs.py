"""What an openjd-sessions Session is built from, decided from the job's entities (pure functions).

Owns: job and task parameter values (`{name: {"int": "3"}}` → `ParameterValue`), path mapping rules
from `jobDetails.pathMappingRules`, the environment variables every action of a session sees, and
the run-as decision: a job runs as the worker's own user unless the queue's `jobRunAsUser` is
QUEUE_CONFIGURED_USER with a POSIX user other than ours and the worker runs as root (openjd-sessions
then runs each action through `sudo -u`). Must not: start processes or call the server.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openjd.model import ParameterValue, ParameterValueType
from openjd.sessions import PathMappingRule

_PARAMETER_TYPES = {
    "string": ParameterValueType.STRING, "path": ParameterValueType.PATH, "int": ParameterValueType.INT,
    "float": ParameterValueType.FLOAT, "chunkInt": ParameterValueType.CHUNK_INT,
}


class SetupError(Exception):
    """The session can't run on this worker; every action of it fails with this message."""


def parameter_values(raw: dict[str, dict[str, str]] | None) -> dict[str, ParameterValue]:
    values = {}
    for name, value in (raw or {}).items():
        (kind, text), = value.items()
        if kind not in _PARAMETER_TYPES:
            raise SetupError(f"parameter {name!r} has a type this worker does not know: {kind}")
        values[name] = ParameterValue(type=_PARAMETER_TYPES[kind], value=text)
    return values


def path_mapping_rules(raw: list[dict[str, str]] | None) -> list[PathMappingRule] | None:
    if not raw:
        return None
    try:
        return [PathMappingRule.from_dict({"source_path_format": rule["sourcePathFormat"],
                                           "source_path": rule["sourcePath"],
                                           "destination_path": rule["destinationPath"]}) for rule in raw]
    except (KeyError, ValueError) as err:
        raise SetupError(f"bad path mapping rule: {err}") from None


def session_env(ids: dict[str, str]) -> dict[str, str]:
    """The variables the official agent gives every action of a session (docs/compatibility.md)."""
    return {"DEADLINE_SESSION_ID": ids["sessionId"], "DEADLINE_FARM_ID": ids["farmId"],
            "DEADLINE_QUEUE_ID": ids["queueId"], "DEADLINE_JOB_ID": ids["jobId"],
            "DEADLINE_FLEET_ID": ids["fleetId"], "DEADLINE_WORKER_ID": ids["workerId"]}


def action_env(action_id: str, task_id: str | None = None) -> dict[str, str]:
    env = {"DEADLINE_SESSIONACTION_ID": action_id}
    if task_id:
        env["DEADLINE_TASK_ID"] = task_id
    return env


@dataclass(frozen=True)
class RunAs:
    """Who runs a session's actions: `user` None means the worker's own user."""

    user: str | None = None
    group: str | None = None
    note: str | None = None


def run_as(job_run_as_user: dict[str, Any] | None, *, euid: int, current_user: str, has_sudo: bool) -> RunAs:
    """Decide the session user from `jobDetails.jobRunAsUser` and who this worker is."""
    if not job_run_as_user or job_run_as_user.get("runAs") != "QUEUE_CONFIGURED_USER":
        return RunAs()
    posix = job_run_as_user.get("posix") or {}
    user = posix.get("user")
    if not user or user == current_user:
        return RunAs()
    if euid != 0:
        return RunAs(note=f"The queue asks for user {user!r}, but this worker is not root: the job runs as "
                          f"{current_user!r}.")
    if not has_sudo:
        raise SetupError(f"The queue runs jobs as {user!r}, which needs sudo on this worker; sudo is not installed.")
    return RunAs(user=user, group=posix.get("group") or None)

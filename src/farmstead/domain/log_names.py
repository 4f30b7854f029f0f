"""Log group and stream names in the Deadline convention, and the log group ARN.

Owns: `/aws/deadline/<farmId>/<queueId>` (session logs, stream `<sessionId>`) and
`/aws/deadline/<farmId>/<fleetId>` (worker agent logs, stream `<workerId>`), as the worker agent's
own documentation names them (docs/logs.md); reading a group name back into the Deadline resource
it belongs to; ARNs of groups and streams.
Must not: touch storage or decide who may do what (logs/access.py does, from what this returns).
"""

from __future__ import annotations

import re
from typing import NamedTuple

DEADLINE_PREFIX = "/aws/deadline/"
_DEADLINE_GROUP = re.compile(r"/aws/deadline/(?P<farm>farm-[0-9a-f]{32})/(?P<resource>(?:queue|fleet)-[0-9a-f]{32})")
_ARN = re.compile(r"arn:aws:logs:(?P<region>[^:]*):(?P<account>[^:]*):log-group:(?P<name>[^:]+)(?::\*)?")


class DeadlineResource(NamedTuple):
    farm_id: str
    resource_id: str  # a queueId (session logs) or a fleetId (worker agent logs)


def session_log_group(farm_id: str, queue_id: str) -> str:
    return f"{DEADLINE_PREFIX}{farm_id}/{queue_id}"


def worker_log_group(farm_id: str, fleet_id: str) -> str:
    return f"{DEADLINE_PREFIX}{farm_id}/{fleet_id}"


def deadline_resource(log_group_name: str) -> DeadlineResource | None:
    """The queue or fleet a group belongs to by the Deadline convention; None for any other name."""
    match = _DEADLINE_GROUP.fullmatch(log_group_name)
    return DeadlineResource(match["farm"], match["resource"]) if match else None


def group_arn(region: str, account_id: str, log_group_name: str) -> str:
    """The ARN without the `:*` suffix (LogGroup.logGroupArn)."""
    return f"arn:aws:logs:{region}:{account_id}:log-group:{log_group_name}"


def stream_arn(region: str, account_id: str, log_group_name: str, log_stream_name: str) -> str:
    return f"{group_arn(region, account_id, log_group_name)}:log-stream:{log_stream_name}"


def name_from_identifier(identifier: str, region: str, account_id: str) -> str | None:
    """A logGroupIdentifier (a name, or an ARN with or without `:*`) -> the group name.

    None when it is an ARN of another region or account: no group of ours can have it.
    """
    if not identifier.startswith("arn:"):
        return identifier
    match = _ARN.fullmatch(identifier)
    if match is None or match["region"] != region or match["account"] != account_id:
        return None
    return match["name"]

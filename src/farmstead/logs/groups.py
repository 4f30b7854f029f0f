"""Log groups and log streams: create, describe, delete, deletion protection.

Behaviour follows the `logs` model's documentation: names are unique (ResourceAlreadyExistsException),
group names may not start with `aws/`, DescribeLogGroups is sorted by name, DescribeLogStreams by
name or by last event time. Farmstead has no KMS, so a `kmsKeyId` names a key that does not exist
(InvalidParameterException, as AWS answers for a missing key). Retention: none, events never expire.
"""

from __future__ import annotations

from typing import Any

from farmstead.domain.log_names import name_from_identifier
from farmstead.domain.tags import tag_problems
from farmstead.logs import access
from farmstead.logs.executor import LogsContext
from farmstead.logs.registry import logs_operation
from farmstead.logs.resources import arguments, authorized_group, decode_token, encode_token, existing_stream, invalid
from farmstead.protocol.errors import ServiceError
from farmstead.store import logs as store

DEFAULT_DESCRIBE_LIMIT = 50
_SCAN_CHUNK = 200  # groups read per round when filtering by what the caller may see


@logs_operation("CreateLogGroup", write=True)
def create_log_group(ctx: LogsContext, params: dict) -> dict:
    name = params["logGroupName"]
    access.require(ctx, name, access.WRITE)
    if name.lower().startswith("aws/"):
        raise invalid("Log groups starting with AWS/ are reserved for AWS.")
    if params.get("kmsKeyId"):
        raise invalid(f"The specified KMS key does not exist: {params['kmsKeyId']} (Farmstead has no KMS).")
    tags = params.get("tags")
    problems = tag_problems(tags) if tags else []
    if problems:
        raise invalid(" ".join(problems))
    created = store.create_group(ctx.conn, name, ctx.now_ms, log_group_class=params.get("logGroupClass", "STANDARD"),
                                 deletion_protection=bool(params.get("deletionProtectionEnabled")), tags=tags)
    if not created:
        raise ServiceError("ResourceAlreadyExistsException", "The specified log group already exists")
    return {}


@logs_operation("DescribeLogGroups")
def describe_log_groups(ctx: LogsContext, params: dict) -> dict:
    prefix, pattern = params.get("logGroupNamePrefix"), params.get("logGroupNamePattern")
    identifiers = params.get("logGroupIdentifiers")
    if prefix is not None and pattern is not None:
        raise invalid("logGroupNamePrefix and logGroupNamePattern are mutually exclusive parameters.")
    if identifiers is not None and (prefix is not None or pattern is not None or "logGroupClass" in params):
        raise invalid("logGroupIdentifiers can only be combined with includeLinkedAccounts.")
    names = None
    if identifiers is not None:
        resolved = (name_from_identifier(i, ctx.settings.region, ctx.settings.account_id) for i in identifiers)
        names = [n for n in resolved if n is not None]
    classes = None
    if "logGroupClass" in params:
        # Documented: asking for either of the cheaper classes returns both.
        cheap = ("INFREQUENT_ACCESS", "ESSENTIALS")
        classes = list(cheap) if params["logGroupClass"] in cheap else [params["logGroupClass"]]
    limit = params.get("limit", DEFAULT_DESCRIBE_LIMIT)
    bound = arguments(params, "logGroupNamePrefix", "logGroupNamePattern", "logGroupIdentifiers", "logGroupClass")
    after = decode_token(ctx, params["nextToken"], bound) if "nextToken" in params else None

    readable = access.ReadableGroups(ctx)
    rows: list[Any] = []  # the store's rows
    while len(rows) <= limit:
        chunk = store.group_page(ctx.conn, after=after, limit=_SCAN_CHUNK, prefix=prefix, contains=pattern,
                                 classes=classes, names=names)
        for row in chunk:
            after = row.name
            if readable(row.name):
                rows.append(row)
                if len(rows) > limit:
                    break
        if len(chunk) < _SCAN_CHUNK:
            break
    page = rows[:limit]
    sizes = store.stored_bytes(ctx.conn, (r.group_key for r in page)) if pattern is None else {}
    result: dict[str, Any] = {"logGroups": [_group_item(ctx, r, sizes, brief=pattern is not None) for r in page]}
    if len(rows) > limit:
        result["nextToken"] = encode_token(ctx, bound, page[-1].name)
    return result


def _group_item(ctx: LogsContext, row, sizes: dict[int, int], brief: bool) -> dict[str, Any]:
    arn = ctx.group_arn(row.name)
    item: dict[str, Any] = {"logGroupName": row.name, "creationTime": row.creation_time, "arn": f"{arn}:*"}
    if brief:  # documented: with logGroupNamePattern only these three
        return item
    item.update({
        "retentionInDays": row.retention_in_days,
        "metricFilterCount": 0,
        "storedBytes": sizes.get(row.group_key, 0),
        "logGroupClass": row.log_group_class,
        "logGroupArn": arn,
        "deletionProtectionEnabled": row.deletion_protection,
    })
    return item


@logs_operation("DeleteLogGroup", write=True)
def delete_log_group(ctx: LogsContext, params: dict) -> dict:
    group = authorized_group(ctx, params, access.ADMIN)
    _refuse_if_protected(group)
    store.delete_group(ctx.conn, group.group_key)
    return {}


@logs_operation("PutLogGroupDeletionProtection", write=True)
def put_log_group_deletion_protection(ctx: LogsContext, params: dict) -> dict:
    group = authorized_group(ctx, params, access.ADMIN)
    store.set_deletion_protection(ctx.conn, group.group_key, bool(params["deletionProtectionEnabled"]))
    return {}


def _refuse_if_protected(group) -> None:
    if group.deletion_protection:
        raise ServiceError("ValidationException", f"Log group {group.name} has deletion protection enabled."
                           " Disable it with PutLogGroupDeletionProtection first.")


@logs_operation("CreateLogStream", write=True)
def create_log_stream(ctx: LogsContext, params: dict) -> dict:
    group = authorized_group(ctx, params, access.WRITE, params["logStreamName"])
    if not store.create_stream(ctx.conn, group.group_key, params["logStreamName"], ctx.now_ms):
        raise ServiceError("ResourceAlreadyExistsException", "The specified log stream already exists")
    return {}


@logs_operation("DescribeLogStreams")
def describe_log_streams(ctx: LogsContext, params: dict) -> dict:
    group = authorized_group(ctx, params, access.READ)
    by_last_event = params.get("orderBy") == "LastEventTime"
    prefix = params.get("logStreamNamePrefix")
    if by_last_event and prefix is not None:
        raise invalid("Cannot order by LastEventTime with a logStreamNamePrefix.")
    descending = bool(params.get("descending"))
    limit = params.get("limit", DEFAULT_DESCRIBE_LIMIT)
    bound = arguments(params, "logGroupName", "logGroupIdentifier", "logStreamNamePrefix", "orderBy", "descending")
    after = decode_token(ctx, params["nextToken"], bound) if "nextToken" in params else None
    if after is not None and (not isinstance(after, list) or len(after) != (2 if by_last_event else 1)):
        raise invalid("The specified nextToken is invalid.")
    rows = store.stream_page(ctx.conn, group.group_key, by_last_event=by_last_event, descending=descending,
                             prefix=prefix, after=after, limit=limit + 1)
    result: dict[str, Any] = {"logStreams": [_stream_item(ctx, group, r) for r in rows[:limit]]}
    if len(rows) > limit:
        result["nextToken"] = encode_token(ctx, bound, store.stream_position(rows[limit - 1], by_last_event))
    return result


def sequence_token(upload_sequence: int) -> str:
    """Sequence tokens are ignored on input (as at AWS today); old clients still want one back."""
    return f"{upload_sequence:056d}"


def _stream_item(ctx: LogsContext, group, row) -> dict[str, Any]:
    return {
        "logStreamName": row.name,
        "creationTime": row.creation_time,
        "firstEventTimestamp": row.first_event_timestamp,
        "lastEventTimestamp": row.last_event_timestamp,
        "lastIngestionTime": row.last_ingestion_time,
        "uploadSequenceToken": sequence_token(row.upload_sequence) if row.upload_sequence else None,
        "arn": ctx.stream_arn(group.name, row.name),
        "storedBytes": 0,  # documented: always zero for streams since 2019 (groups report theirs)
    }


@logs_operation("DeleteLogStream", write=True)
def delete_log_stream(ctx: LogsContext, params: dict) -> dict:
    group = authorized_group(ctx, params, access.ADMIN, params["logStreamName"])
    stream = existing_stream(ctx, group, params["logStreamName"])
    _refuse_if_protected(group)
    store.delete_stream(ctx.conn, stream.stream_key)
    return {}

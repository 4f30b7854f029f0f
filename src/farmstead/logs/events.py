"""Log events: PutLogEvents, GetLogEvents, FilterLogEvents.

GetLogEvents tokens are `f/<56 digits>` (forward) and `b/<56 digits>` (backward), as AWS spells
them. Each names a gap between two events of one stream: forward reads the events after it, backward
the events before it, and a page always lists its events oldest first. When a page is empty the
token asked with comes back unchanged, so "the same nextForwardToken again" means the end. The
token's own direction wins over startFromHead. FilterLogEvents tokens are the shared HMAC-signed
paging tokens (valid 24 hours, bound to the other arguments, carrying the direction).
Pages hold at most `limit` events and about 1 MB (message bytes plus 26 per event, at least one).
"""

from __future__ import annotations

import re
from typing import Any

from farmstead.domain.log_events import LogRuleError, event_bytes, judge_batch, parse_filter_pattern
from farmstead.logs import access
from farmstead.logs.executor import LogsContext
from farmstead.logs.groups import sequence_token
from farmstead.logs.registry import logs_operation
from farmstead.logs.resources import arguments, authorized_group, decode_token, encode_token, existing_stream, invalid
from farmstead.store import logs as store

DEFAULT_EVENTS_LIMIT = 10_000
MAX_PAGE_BYTES = 1_048_576
# Descending FilterLogEvents is documented only from this startTime on (epoch ms of 2024-01-01).
_DESCENDING_FROM_MS = 1_704_067_200_000
_TOKEN = re.compile(r"([fb])/(\d{20})(\d{20})(\d{16})")


@logs_operation("PutLogEvents", write=True)
def put_log_events(ctx: LogsContext, params: dict) -> dict:
    # sequenceToken is accepted and ignored, as AWS does today; `entity` too (no entity store here).
    group = authorized_group(ctx, params, access.WRITE, params["logStreamName"])
    stream = existing_stream(ctx, group, params["logStreamName"])
    timestamps = [e["timestamp"] for e in params["logEvents"]]
    messages = [e["message"] for e in params["logEvents"]]
    try:
        verdict = judge_batch(timestamps, messages, ctx.now_ms)
    except LogRuleError as err:
        raise invalid(str(err)) from None
    kept = slice(verdict.start, verdict.end)
    sequence = stream.upload_sequence
    if verdict.end > verdict.start:
        size = sum(len(m.encode("utf-8")) for m in messages[kept])
        sequence = store.append_events(ctx.conn, group.group_key, stream.stream_key, timestamps[kept], messages[kept],
                                       ctx.now_ms, size)
    result: dict[str, Any] = {"nextSequenceToken": sequence_token(sequence)}
    rejected = {"tooOldLogEventEndIndex": verdict.too_old_end, "tooNewLogEventStartIndex": verdict.too_new_start}
    if any(v is not None for v in rejected.values()):
        result["rejectedLogEventsInfo"] = {k: v for k, v in rejected.items() if v is not None}
    return result


@logs_operation("GetLogEvents")
def get_log_events(ctx: LogsContext, params: dict) -> dict:
    group = authorized_group(ctx, params, access.READ, params["logStreamName"])
    stream = existing_stream(ctx, group, params["logStreamName"])
    start, end = params.get("startTime"), params.get("endTime")
    _check_window(start, end)
    token = params.get("nextToken")
    if token is not None:
        forward, gap = _read_stream_token(token, stream.stream_key)
    else:
        forward, gap = bool(params.get("startFromHead", False)), None
    rows, _ = _fill_page(store.iter_events(ctx.conn, stream_key=stream.stream_key, forward=forward, gap=gap,
                                           start=start, end=end), params.get("limit", DEFAULT_EVENTS_LIMIT))
    if not forward:
        rows.reverse()  # a page is always oldest first
    if rows:
        after_last = (rows[-1].timestamp, rows[-1].event_key)
        before_first = (rows[0].timestamp, rows[0].event_key - 1)
    else:
        # Nothing here: both tokens stay at the gap asked about (the window's start on a first call).
        after_last = before_first = gap if gap is not None else ((start or 0) - 1, store.MAX_KEY)
    return {
        "events": [{"timestamp": r.timestamp, "message": r.message, "ingestionTime": r.ingestion_time} for r in rows],
        "nextForwardToken": _stream_token("f", after_last, stream.stream_key),
        "nextBackwardToken": _stream_token("b", before_first, stream.stream_key),
    }


def _stream_token(direction: str, gap: tuple[int, int], stream_key: int) -> str:
    # The timestamp is stored plus one so the gap before the first possible event (-1) has digits.
    return f"{direction}/{gap[0] + 1:020d}{gap[1]:020d}{stream_key % 10**16:016d}"


def _read_stream_token(token: str, stream_key: int) -> tuple[bool, tuple[int, int]]:
    match = _TOKEN.fullmatch(token)
    if match is None or int(match[4]) != stream_key % 10**16 or int(match[3]) > store.MAX_KEY \
            or int(match[2]) - 1 > store.MAX_KEY:
        raise invalid("The specified nextToken is invalid.")
    return match[1] == "f", (int(match[2]) - 1, int(match[3]))


@logs_operation("FilterLogEvents")
def filter_log_events(ctx: LogsContext, params: dict) -> dict:
    group = authorized_group(ctx, params, access.READ)
    names, prefix = params.get("logStreamNames"), params.get("logStreamNamePrefix")
    if names is not None and prefix is not None:
        raise invalid("logStreamNames and logStreamNamePrefix are mutually exclusive parameters.")
    start, end = params.get("startTime"), params.get("endTime")
    _check_window(start, end)
    try:
        terms = parse_filter_pattern(params.get("filterPattern"))
    except LogRuleError as err:
        raise invalid(str(err)) from None
    bound = arguments(params, "logGroupName", "logGroupIdentifier", "logStreamNames", "logStreamNamePrefix",
                      "startTime", "endTime", "filterPattern")
    if "nextToken" in params:
        position = decode_token(ctx, params["nextToken"], bound)
        forward, gap = bool(position[0]), (position[1], position[2])
    else:
        forward, gap = params.get("startFromHead", True), None
        if not forward and start is not None and start < _DESCENDING_FROM_MS:
            raise invalid("startFromHead=false requires a startTime on or after 2024-01-01T00:00:00Z.")
    stream_keys = None
    if names is not None:
        # Names without a stream simply match nothing (a session that has not logged yet).
        stream_keys = [s.stream_key for s in store.streams_named(ctx.conn, group.group_key, names)]
    result: dict[str, Any] = {"events": [], "searchedLogStreams": []}  # the latter: documented as always empty
    if stream_keys == []:
        return result
    # endTime is inclusive here ("later than this time are not returned"), exclusive in GetLogEvents.
    events = store.iter_events(ctx.conn, forward=forward, gap=gap, group_key=group.group_key,
                               stream_keys=stream_keys, stream_prefix=prefix, start=start,
                               end=None if end is None else end + 1, all_of=terms.all_of, any_of=terms.any_of,
                               none_of=terms.none_of)
    rows, more = _fill_page(events, params.get("limit", DEFAULT_EVENTS_LIMIT))
    result["events"] = [{"logStreamName": r.stream_name, "timestamp": r.timestamp, "message": r.message,
                         "ingestionTime": r.ingestion_time, "eventId": f"{r.event_key:056d}"} for r in rows]
    if more:
        last = rows[-1]
        key = last.event_key if forward else last.event_key - 1
        result["nextToken"] = encode_token(ctx, bound, [forward, last.timestamp, key])
    return result


def _check_window(start: int | None, end: int | None) -> None:
    if start is not None and end is not None and start > end:
        raise invalid("startTime must be less than or equal to endTime.")


def _fill_page(events, limit: int) -> tuple[list, bool]:
    """Up to `limit` events and about a megabyte of them (always at least one, if any); and whether more follow."""
    rows: list = []
    size = 0
    for row in events:
        size += event_bytes(row.message)
        if rows and size > MAX_PAGE_BYTES:
            return rows, True
        rows.append(row)
        if len(rows) >= limit:
            return rows, next(events, None) is not None
    return rows, False

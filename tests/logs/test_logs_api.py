"""The CloudWatch Logs subset through a real boto3 `logs` client: groups, streams, events, paging, errors."""

from __future__ import annotations

import itertools
import time

import pytest
from botocore.exceptions import ClientError

from farmstead.testing.live_server import REGION
from support.tampering import altered

_names = itertools.count()


@pytest.fixture(scope="module")
def logs(server):
    return server.client("logs")


@pytest.fixture
def group(logs) -> str:
    name = f"/test/logs-api/{next(_names)}"
    logs.create_log_group(logGroupName=name)
    return name


def now_ms() -> int:
    return int(time.time() * 1000)


def error_of(caught) -> tuple[str, int]:
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def put(logs, group, stream, lines, start):
    """One batch, a millisecond apart from `start`."""
    return logs.put_log_events(logGroupName=group, logStreamName=stream,
                               logEvents=[{"timestamp": start + i, "message": m} for i, m in enumerate(lines)])


def messages(response) -> list[str]:
    return [e["message"] for e in response["events"]]


# --- groups and streams ---------------------------------------------------------------------------

def test_created_group_is_described_with_both_arns_class_and_no_retention(logs, group):
    [described] = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    arn = f"arn:aws:logs:{REGION}:000000000000:log-group:{group}"
    assert described["logGroupName"] == group
    assert described["arn"] == arn + ":*" and described["logGroupArn"] == arn
    assert described["logGroupClass"] == "STANDARD" and described["storedBytes"] == 0
    assert "retentionInDays" not in described  # events never expire
    assert abs(described["creationTime"] - now_ms()) < 60_000


def test_creating_an_existing_group_is_resource_already_exists_and_changes_nothing(logs, group):
    before = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    with pytest.raises(ClientError) as caught:
        logs.create_log_group(logGroupName=group, logGroupClass="INFREQUENT_ACCESS")
    assert error_of(caught) == ("ResourceAlreadyExistsException", 400)
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"] == before


@pytest.mark.parametrize("name, extra", [
    ("aws/reserved", {}),  # names under aws/ are AWS's
    ("/test/bad name!", {}),  # outside the model's pattern
    ("/test/kms-refused", {"kmsKeyId": "arn:aws:kms:us-west-2:000000000000:key/nope"}),  # no KMS here
])
def test_invalid_group_creation_is_invalid_parameter_and_creates_nothing(logs, name, extra):
    with pytest.raises(ClientError) as caught:
        logs.create_log_group(logGroupName=name, **extra)
    assert error_of(caught) == ("InvalidParameterException", 400)
    listed = [g["logGroupName"] for page in logs.get_paginator("describe_log_groups").paginate()
              for g in page["logGroups"]]
    assert name not in listed


def test_pattern_violation_message_names_the_member_the_aws_way(logs):
    with pytest.raises(ClientError) as caught:
        logs.create_log_stream(logGroupName="/test/x", logStreamName="a:b")
    assert caught.value.response["Error"]["Message"].startswith("1 validation error detected: Value at 'logStreamName'")


def test_stream_in_a_missing_group_is_not_found(logs):
    with pytest.raises(ClientError) as caught:
        logs.create_log_stream(logGroupName="/test/never-made", logStreamName="s")
    assert error_of(caught) == ("ResourceNotFoundException", 400)
    assert caught.value.response["Error"]["Message"] == "The specified log group does not exist."


def test_creating_an_existing_stream_is_resource_already_exists(logs, group):
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    with pytest.raises(ClientError) as caught:
        logs.create_log_stream(logGroupName=group, logStreamName="s")
    assert error_of(caught) == ("ResourceAlreadyExistsException", 400)


def test_describe_log_streams_reports_event_times_and_zero_stored_bytes(logs, group):
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    start = now_ms()
    put(logs, group, "s", ["a", "b", "c"], start)
    [stream] = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert (stream["firstEventTimestamp"], stream["lastEventTimestamp"]) == (start, start + 2)
    assert stream["storedBytes"] == 0 and stream["arn"].endswith(f"log-group:{group}:log-stream:s")
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["storedBytes"] == 3


def test_describe_log_streams_orders_by_last_event_time_descending(logs, group):
    start = now_ms()
    for offset, name in [(300, "a"), (100, "b"), (200, "c")]:
        logs.create_log_stream(logGroupName=group, logStreamName=name)
        put(logs, group, name, ["x"], start + offset)
    ordered = logs.describe_log_streams(logGroupName=group, orderBy="LastEventTime", descending=True)
    assert [s["logStreamName"] for s in ordered["logStreams"]] == ["a", "c", "b"]
    with pytest.raises(ClientError) as caught:
        logs.describe_log_streams(logGroupName=group, orderBy="LastEventTime", logStreamNamePrefix="a")
    assert error_of(caught) == ("InvalidParameterException", 400)


def test_describe_log_groups_prefix_pattern_and_paginator(logs):
    base = f"/test/describe-{next(_names)}"
    for suffix in ("alpha", "beta", "gamma", "delta"):
        logs.create_log_group(logGroupName=f"{base}/{suffix}")
    pages = list(logs.get_paginator("describe_log_groups").paginate(
        logGroupNamePrefix=base, PaginationConfig={"PageSize": 3}))
    names = [g["logGroupName"] for p in pages for g in p["logGroups"]]
    assert len(pages) == 2 and names == sorted(names) and len(names) == 4  # byte-wise name order
    [by_pattern] = logs.describe_log_groups(logGroupNamePattern=f"{base.rsplit('/', 1)[1]}/gam")["logGroups"]
    assert set(by_pattern) == {"logGroupName", "creationTime", "arn"}  # documented: only these with a pattern
    with pytest.raises(ClientError) as caught:
        logs.describe_log_groups(logGroupNamePrefix=base, logGroupNamePattern="x")
    assert error_of(caught) == ("InvalidParameterException", 400)


def test_describe_log_streams_paginator_walks_every_stream_once(logs, group):
    for i in range(5):
        logs.create_log_stream(logGroupName=group, logStreamName=f"s{i}")
    pages = list(logs.get_paginator("describe_log_streams").paginate(
        logGroupName=group, PaginationConfig={"PageSize": 2}))
    assert [[s["logStreamName"] for s in p["logStreams"]] for p in pages] == [["s0", "s1"], ["s2", "s3"], ["s4"]]


def test_tampered_describe_token_is_invalid_parameter(logs, group):
    for i in range(3):
        logs.create_log_stream(logGroupName=group, logStreamName=f"s{i}")
    token = logs.describe_log_streams(logGroupName=group, limit=1)["nextToken"]
    with pytest.raises(ClientError) as caught:
        logs.describe_log_streams(logGroupName=group, limit=1, nextToken=altered(token, -1))
    assert error_of(caught) == ("InvalidParameterException", 400)


# --- PutLogEvents ---------------------------------------------------------------------------------

def test_put_ignores_the_sequence_token_and_answers_a_next_one(logs, group):
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    first = put(logs, group, "s", ["one"], now_ms())
    second = logs.put_log_events(logGroupName=group, logStreamName="s", sequenceToken="garbage",
                                 logEvents=[{"timestamp": now_ms(), "message": "two"}])
    assert first["nextSequenceToken"] != second["nextSequenceToken"]
    assert "rejectedLogEventsInfo" not in second


@pytest.mark.parametrize("events", [
    [{"timestamp": 2_000, "message": "later"}, {"timestamp": 1_000, "message": "earlier"}],  # out of order
    [{"timestamp": 0, "message": "x" * 600_000}, {"timestamp": 1, "message": "y" * 600_000}],  # over 1 MiB
    [{"timestamp": 0, "message": "a"}, {"timestamp": 24 * 3600 * 1000 + 1, "message": "b"}],  # spans > 24 h
], ids=["out-of-order", "too-large", "over-24-hours"])
def test_refused_batches_are_invalid_parameter_and_store_nothing(logs, group, events):
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    base = now_ms() - 25 * 3600 * 1000
    shifted = [{**e, "timestamp": base + e["timestamp"]} for e in events]
    with pytest.raises(ClientError) as caught:
        logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=shifted)
    assert error_of(caught) == ("InvalidParameterException", 400)
    assert logs.get_log_events(logGroupName=group, logStreamName="s", startFromHead=True)["events"] == []


def test_too_old_and_too_new_events_are_rejected_by_index_and_the_rest_kept(logs, group):
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    now = now_ms()
    day = 24 * 3600 * 1000
    response = logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[
        {"timestamp": now - 15 * day, "message": "ancient"},
        {"timestamp": now - 1000, "message": "kept 1"},
        {"timestamp": now, "message": "kept 2"},
        {"timestamp": now + 3 * 3600 * 1000, "message": "future"}])
    assert response["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 0, "tooNewLogEventStartIndex": 3}
    assert messages(logs.get_log_events(logGroupName=group, logStreamName="s")) == ["kept 1", "kept 2"]


def test_put_to_a_missing_stream_or_group_is_not_found(logs, group):
    event = [{"timestamp": now_ms(), "message": "m"}]
    with pytest.raises(ClientError) as caught:
        logs.put_log_events(logGroupName=group, logStreamName="never", logEvents=event)
    assert error_of(caught) == ("ResourceNotFoundException", 400)
    assert caught.value.response["Error"]["Message"] == "The specified log stream does not exist."
    with pytest.raises(ClientError) as caught:
        logs.put_log_events(logGroupName="/test/no-group", logStreamName="never", logEvents=event)
    assert caught.value.response["Error"]["Message"] == "The specified log group does not exist."


# --- GetLogEvents ---------------------------------------------------------------------------------

@pytest.fixture
def nine_events(logs, group):
    """Three batches of three: messages b0-0 … b2-2, one millisecond apart."""
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    start = now_ms() - 10_000
    for b in range(3):
        put(logs, group, "s", [f"b{b}-{i}" for i in range(3)], start + 3 * b)
    return start, [f"b{b}-{i}" for b in range(3) for i in range(3)]


def test_forward_paging_reads_every_event_once_and_the_end_token_is_stable(logs, group, nine_events):
    _, expected = nine_events
    seen, token, pages = [], None, 0
    while True:
        kwargs = {"nextToken": token} if token else {}
        page = logs.get_log_events(logGroupName=group, logStreamName="s", startFromHead=True, limit=4, **kwargs)
        pages += 1
        if page["nextForwardToken"] == token:
            assert page["events"] == []
            break
        seen += messages(page)
        token = page["nextForwardToken"]
    assert seen == expected and pages == 4
    again = logs.get_log_events(logGroupName=group, logStreamName="s", startFromHead=True, nextToken=token)
    assert again["nextForwardToken"] == token and again["events"] == []
    put(logs, group, "s", ["late"], now_ms())  # a stable end token still sees what comes next
    assert messages(logs.get_log_events(logGroupName=group, logStreamName="s", nextToken=token)) == ["late"]


def test_default_read_is_the_tail_and_backward_paging_reaches_the_head(logs, group, nine_events):
    _, expected = nine_events
    tail = logs.get_log_events(logGroupName=group, logStreamName="s", limit=4)
    assert messages(tail) == expected[-4:]  # oldest first within the page
    collected, token = messages(tail), tail["nextBackwardToken"]
    while True:
        page = logs.get_log_events(logGroupName=group, logStreamName="s", limit=4, nextToken=token)
        if page["nextBackwardToken"] == token:
            break
        collected = messages(page) + collected
        token = page["nextBackwardToken"]
    assert collected == expected
    forward = logs.get_log_events(logGroupName=group, logStreamName="s", nextToken=tail["nextForwardToken"])
    assert forward["events"] == [] and forward["nextForwardToken"] == tail["nextForwardToken"]


def test_time_window_includes_start_and_excludes_end(logs, group, nine_events):
    start, expected = nine_events
    window = logs.get_log_events(logGroupName=group, logStreamName="s", startFromHead=True,
                                 startTime=start + 2, endTime=start + 5)
    assert messages(window) == expected[2:5]
    with pytest.raises(ClientError) as caught:
        logs.get_log_events(logGroupName=group, logStreamName="s", startTime=start + 5, endTime=start)
    assert error_of(caught) == ("InvalidParameterException", 400)


def test_group_may_be_named_by_arn_but_not_by_both_name_and_arn(logs, group, nine_events):
    arn = f"arn:aws:logs:{REGION}:000000000000:log-group:{group}"
    assert len(logs.get_log_events(logGroupIdentifier=arn, logStreamName="s")["events"]) == 9
    with pytest.raises(ClientError) as caught:
        logs.get_log_events(logGroupName=group, logGroupIdentifier=arn, logStreamName="s")
    assert error_of(caught) == ("InvalidParameterException", 400)
    with pytest.raises(ClientError) as caught:
        logs.get_log_events(logStreamName="s")
    assert error_of(caught) == ("InvalidParameterException", 400)
    with pytest.raises(ClientError) as caught:
        logs.get_log_events(logGroupIdentifier=arn.replace("000000000000", "111111111111"), logStreamName="s")
    assert error_of(caught) == ("ResourceNotFoundException", 400)


def test_forged_or_foreign_tokens_are_invalid_parameter(logs, group, nine_events):
    logs.create_log_stream(logGroupName=group, logStreamName="other")
    other = logs.get_log_events(logGroupName=group, logStreamName="other")["nextForwardToken"]
    for token in ("f/123", "x/" + "0" * 56, other):
        with pytest.raises(ClientError) as caught:
            logs.get_log_events(logGroupName=group, logStreamName="s", nextToken=token)
        assert error_of(caught) == ("InvalidParameterException", 400), token


def test_reading_a_missing_stream_is_not_found(logs, group):
    with pytest.raises(ClientError) as caught:
        logs.get_log_events(logGroupName=group, logStreamName="never")
    assert error_of(caught) == ("ResourceNotFoundException", 400)


# --- FilterLogEvents ------------------------------------------------------------------------------

@pytest.fixture
def two_streams(logs, group):
    """Interleaved in time: s-a gets even milliseconds, s-b odd ones."""
    start = now_ms() - 10_000
    for name, parity in (("s-a", 0), ("s-b", 1)):
        logs.create_log_stream(logGroupName=group, logStreamName=name)
        logs.put_log_events(logGroupName=group, logStreamName=name, logEvents=[
            {"timestamp": start + 2 * i + parity, "message": f"{'ERROR' if i % 2 else 'INFO'} {name} {i}"}
            for i in range(4)])
    logs.create_log_stream(logGroupName=group, logStreamName="other")
    put(logs, group, "other", ["ERROR elsewhere"], start + 100)
    return start


def test_filter_interleaves_streams_in_time_order_with_a_pattern(logs, group, two_streams):
    found = logs.filter_log_events(logGroupName=group, logStreamNames=["s-a", "s-b"], filterPattern="ERROR")
    assert messages(found) == ["ERROR s-a 1", "ERROR s-b 1", "ERROR s-a 3", "ERROR s-b 3"]
    assert [e["logStreamName"] for e in found["events"]] == ["s-a", "s-b", "s-a", "s-b"]
    assert len({e["eventId"] for e in found["events"]}) == 4 and found["searchedLogStreams"] == []
    assert "nextToken" not in found


def test_filter_by_prefix_time_range_and_term_syntax(logs, group, two_streams):
    start = two_streams
    by_prefix = logs.filter_log_events(logGroupName=group, logStreamNamePrefix="s-", startTime=start + 2,
                                       endTime=start + 4)
    assert messages(by_prefix) == ["ERROR s-a 1", "ERROR s-b 1", "INFO s-a 2"]  # both ends inclusive
    assert messages(logs.filter_log_events(logGroupName=group, filterPattern='"ERROR s-b"')) == \
        ["ERROR s-b 1", "ERROR s-b 3"]
    assert messages(logs.filter_log_events(logGroupName=group, filterPattern="ERROR -s-")) == ["ERROR elsewhere"]
    assert len(logs.filter_log_events(logGroupName=group, filterPattern="?elsewhere ?INFO")["events"]) == 5
    assert logs.filter_log_events(logGroupName=group, filterPattern="error")["events"] == []  # case-sensitive
    assert logs.filter_log_events(logGroupName=group, logStreamNames=["never"])["events"] == []


@pytest.mark.parametrize("kwargs", [
    {"logStreamNames": ["s-a"], "logStreamNamePrefix": "s-"},
    {"filterPattern": '{ $.level = "ERROR" }'},
    {"startTime": 10, "endTime": 5},
    {"startFromHead": False, "startTime": 1_000},
])
def test_filter_refuses_what_it_cannot_answer_with_invalid_parameter(logs, group, two_streams, kwargs):
    with pytest.raises(ClientError) as caught:
        logs.filter_log_events(logGroupName=group, **kwargs)
    assert error_of(caught) == ("InvalidParameterException", 400)


def test_filter_descending_and_paginator_cover_every_match_once(logs, group, two_streams):
    newest_first = logs.filter_log_events(logGroupName=group, startFromHead=False, filterPattern="s-a")
    assert messages(newest_first) == [f"{'ERROR' if i % 2 else 'INFO'} s-a {i}" for i in (3, 2, 1, 0)]
    pages = list(logs.get_paginator("filter_log_events").paginate(
        logGroupName=group, logStreamNamePrefix="s-", PaginationConfig={"PageSize": 3}))
    assert [len(p["events"]) for p in pages] == [3, 3, 2]
    times = [e["timestamp"] for p in pages for e in p["events"]]
    assert times == sorted(times) and len(set(times)) == 8
    backward = list(logs.get_paginator("filter_log_events").paginate(
        logGroupName=group, startFromHead=False, PaginationConfig={"PageSize": 4}))
    assert [e["message"] for p in backward for e in p["events"]][0] == "ERROR elsewhere"
    assert sum(len(p["events"]) for p in backward) == 9


# --- deletion -------------------------------------------------------------------------------------

def test_delete_stream_takes_its_events_and_a_missing_one_is_not_found(logs, group):
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    put(logs, group, "s", ["gone"], now_ms())
    logs.delete_log_stream(logGroupName=group, logStreamName="s")
    logs.create_log_stream(logGroupName=group, logStreamName="s")  # the name is free again, and empty
    assert logs.get_log_events(logGroupName=group, logStreamName="s")["events"] == []
    logs.delete_log_stream(logGroupName=group, logStreamName="s")
    with pytest.raises(ClientError) as caught:
        logs.delete_log_stream(logGroupName=group, logStreamName="s")
    assert error_of(caught) == ("ResourceNotFoundException", 400)


def test_delete_group_takes_streams_along_and_a_missing_one_is_not_found(logs, group):
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    logs.delete_log_group(logGroupName=group)
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"] == []
    with pytest.raises(ClientError) as caught:
        logs.describe_log_streams(logGroupName=group)
    assert error_of(caught) == ("ResourceNotFoundException", 400)
    with pytest.raises(ClientError) as caught:
        logs.delete_log_group(logGroupName=group)
    assert error_of(caught) == ("ResourceNotFoundException", 400)


def test_deletion_protection_blocks_deletes_until_turned_off(logs):
    name = f"/test/protected-{next(_names)}"
    logs.create_log_group(logGroupName=name, deletionProtectionEnabled=True)
    logs.create_log_stream(logGroupName=name, logStreamName="s")
    for call in (lambda: logs.delete_log_group(logGroupName=name),
                 lambda: logs.delete_log_stream(logGroupName=name, logStreamName="s")):
        with pytest.raises(ClientError) as caught:
            call()
        assert error_of(caught) == ("ValidationException", 400)
    assert logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"][0]["deletionProtectionEnabled"] is True
    logs.put_log_group_deletion_protection(logGroupIdentifier=name, deletionProtectionEnabled=False)
    logs.delete_log_group(logGroupName=name)

"""Who may read and write which log group: Deadline memberships on the group's queue (docs/logs.md).

Users are made with the real `farmstead users/keys create` CLI and sign `logs` requests with their own keys.
"""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from botocore.exceptions import ClientError

from support.tampering import altered

STORE = "d-0123456789"


@pytest.fixture(scope="module")
def logs(server):
    return server.client("logs")


@pytest.fixture(scope="module")
def users(server):
    made = {}
    for name in ("viewer", "contributor"):  # each user costs two CLI runs (~5 s): keep them few
        principal_id, key_id, secret = server.new_user(f"logs-{name}-{time.time_ns()}")
        made[name] = SimpleNamespace(id=principal_id, logs=server.client("logs", key_id=key_id, secret=secret))
    return SimpleNamespace(**made)


def session_log_group(deadline, logs, farm_id, members=()):
    """A queue's session log group with one stream and one event; `members` are (user, level) on the queue."""
    queue_id = deadline.create_queue(farmId=farm_id, displayName="logs q")["queueId"]
    for who, level in members:
        deadline.associate_member_to_queue(farmId=farm_id, queueId=queue_id, principalId=who.id,
                                           principalType="USER", identityStoreId=STORE, membershipLevel=level)
    name = f"/aws/deadline/{farm_id}/{queue_id}"
    logs.create_log_group(logGroupName=name)
    logs.create_log_stream(logGroupName=name, logStreamName="session-1")
    logs.put_log_events(logGroupName=name, logStreamName="session-1",
                        logEvents=[{"timestamp": int(time.time() * 1000), "message": "hello"}])
    return SimpleNamespace(name=name, farm_id=farm_id, queue_id=queue_id)


@pytest.fixture
def queue_group(deadline, logs, farm_id, users):
    return session_log_group(deadline, logs, farm_id, [(users.viewer, "VIEWER"), (users.contributor, "CONTRIBUTOR")])


@pytest.fixture
def foreign_group(deadline, logs):
    """A session log group in a farm where neither user is a member."""
    return session_log_group(deadline, logs, deadline.create_farm(displayName="foreign")["farmId"])


def denied(call) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    assert (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]) == ("AccessDeniedException", 400)
    return response["Error"]["Message"]


def test_viewer_reads_the_queue_log_but_may_not_write_it(users, logs, queue_group):
    viewer = users.viewer.logs
    g = queue_group.name
    events = viewer.get_log_events(logGroupName=g, logStreamName="session-1")["events"]
    assert [e["message"] for e in events] == ["hello"]
    assert len(viewer.filter_log_events(logGroupName=g)["events"]) == 1
    assert [s["logStreamName"] for s in viewer.describe_log_streams(logGroupName=g)["logStreams"]] == ["session-1"]
    message = denied(lambda: viewer.put_log_events(logGroupName=g, logStreamName="session-1",
                                                   logEvents=[{"timestamp": int(time.time() * 1000), "message": "x"}]))
    assert "logs:PutLogEvents" in message and g in message
    denied(lambda: viewer.create_log_stream(logGroupName=g, logStreamName="session-2"))
    assert len(logs.get_log_events(logGroupName=g, logStreamName="session-1")["events"]) == 1
    assert len(logs.describe_log_streams(logGroupName=g)["logStreams"]) == 1


def test_contributor_writes_session_logs_but_only_the_administrator_deletes(users, logs, queue_group):
    contributor = users.contributor.logs
    g = queue_group.name
    contributor.create_log_stream(logGroupName=g, logStreamName="session-2")
    contributor.put_log_events(logGroupName=g, logStreamName="session-2",
                               logEvents=[{"timestamp": int(time.time() * 1000), "message": "rendering"}])
    denied(lambda: contributor.delete_log_stream(logGroupName=g, logStreamName="session-2"))
    denied(lambda: contributor.delete_log_group(logGroupName=g))
    assert [e["message"] for e in logs.get_log_events(logGroupName=g, logStreamName="session-2")["events"]] == \
        ["rendering"]


def test_a_non_member_cannot_tell_an_existing_group_from_a_missing_one(users, foreign_group):
    outsider = users.viewer.logs
    existing = denied(lambda: outsider.get_log_events(logGroupName=foreign_group.name, logStreamName="session-1"))
    missing_name = altered(foreign_group.name, -1)
    missing = denied(lambda: outsider.get_log_events(logGroupName=missing_name, logStreamName="session-1"))
    assert existing.replace(foreign_group.name, "") == missing.replace(missing_name, "")


def test_describe_log_groups_lists_only_groups_the_caller_may_read(users, logs, deadline, queue_group, foreign_group):
    other_queue = deadline.create_queue(farmId=queue_group.farm_id, displayName="other")["queueId"]
    logs.create_log_group(logGroupName=f"/aws/deadline/{queue_group.farm_id}/{other_queue}")
    logs.create_log_group(logGroupName=f"/test/not-deadline-{time.time_ns()}")
    listed = [g["logGroupName"] for page in users.viewer.logs.get_paginator("describe_log_groups").paginate()
              for g in page["logGroups"]]
    assert queue_group.name in listed
    assert all(name.startswith("/aws/deadline/") for name in listed)
    assert f"/aws/deadline/{queue_group.farm_id}/{other_queue}" not in listed
    assert foreign_group.name not in listed
    assert users.viewer.logs.describe_log_groups(logGroupNamePrefix=foreign_group.name)["logGroups"] == []


def test_groups_outside_the_deadline_convention_are_the_administrators(users, logs):
    name = f"/test/admin-only-{time.time_ns()}"
    logs.create_log_group(logGroupName=name)
    denied(lambda: users.contributor.logs.describe_log_streams(logGroupName=name))
    denied(lambda: users.contributor.logs.create_log_group(logGroupName=f"{name}-2"))


def test_a_queue_membership_does_not_reach_the_same_queue_id_under_another_farm(users, logs, deadline, queue_group):
    other_farm = deadline.create_farm(displayName="elsewhere")["farmId"]
    borrowed = f"/aws/deadline/{other_farm}/{queue_group.queue_id}"
    logs.create_log_group(logGroupName=borrowed)
    denied(lambda: users.viewer.logs.describe_log_streams(logGroupName=borrowed))


def test_farm_membership_covers_every_queue_log_of_the_farm(users, deadline, foreign_group):
    deadline.associate_member_to_farm(farmId=foreign_group.farm_id, principalId=users.contributor.id,
                                      principalType="USER", identityStoreId=STORE, membershipLevel="VIEWER")
    reader = users.contributor.logs
    assert len(reader.get_log_events(logGroupName=foreign_group.name, logStreamName="session-1")["events"]) == 1
    denied(lambda: reader.create_log_stream(logGroupName=foreign_group.name, logStreamName="nope"))

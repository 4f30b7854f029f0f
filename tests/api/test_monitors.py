"""Monitors and their settings, through a real boto3 client."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from farmstead.testing.live_server import REGION

INSTANCE = "arn:aws:sso:::instance/ssoins-0123456789abcdef"
ROLE = "arn:aws:iam::000000000000:role/monitor"


def subdomain() -> str:
    return f"studio-{uuid.uuid4().hex[:12]}"


def create(deadline, **overrides) -> tuple[str, dict]:
    params = {"displayName": "Studio monitor", "identityCenterInstanceArn": INSTANCE, "subdomain": subdomain(),
              "roleArn": ROLE, **overrides}
    response = deadline.create_monitor(**params)
    return response["monitorId"], {**params, **response}


def error_of(caught) -> dict:
    return caught.value.response


def test_create_then_get_returns_every_field(deadline, server):
    monitor_id, given = create(deadline, identityCenterRegion="eu-west-1")
    monitor = deadline.get_monitor(monitorId=monitor_id)
    del monitor["ResponseMetadata"]
    created_at = monitor.pop("createdAt")
    assert created_at.tzinfo is not None
    assert monitor == {
        "monitorId": monitor_id, "displayName": "Studio monitor", "subdomain": given["subdomain"],
        "url": f"{server.endpoint}/monitors/{given['subdomain']}/", "roleArn": ROLE,
        "identityCenterInstanceArn": INSTANCE, "identityCenterRegion": "eu-west-1",
        "identityCenterApplicationArn": given["identityCenterApplicationArn"],
        "createdBy": monitor["createdBy"]}
    assert monitor["createdBy"].endswith("user/admin")


def test_application_arn_names_the_identity_center_instance(deadline):
    _, given = create(deadline)
    arn = given["identityCenterApplicationArn"]
    assert arn.startswith("arn:aws:sso::000000000000:application/ssoins-0123456789abcdef/apl-")


def test_update_changes_fields_and_stamps_updated(deadline):
    monitor_id, _ = create(deadline)
    new_subdomain = subdomain()
    deadline.update_monitor(monitorId=monitor_id, displayName="Renamed", subdomain=new_subdomain,
                            roleArn="arn:aws:iam::000000000000:role/other")
    monitor = deadline.get_monitor(monitorId=monitor_id)
    assert (monitor["displayName"], monitor["subdomain"], monitor["roleArn"]) == (
        "Renamed", new_subdomain, "arn:aws:iam::000000000000:role/other")
    assert monitor["url"].endswith(f"/monitors/{new_subdomain}/")
    assert monitor["updatedBy"].endswith("user/admin") and "updatedAt" in monitor


def test_subdomain_in_use_is_refused_on_create_and_update(deadline):
    taken, other = subdomain(), subdomain()
    holder, _ = create(deadline, subdomain=taken)
    with pytest.raises(ClientError) as caught:
        create(deadline, subdomain=taken)
    error = error_of(caught)
    assert error["Error"]["Code"] == "ValidationException"
    assert [f["name"] for f in error["fieldList"]] == ["subdomain"]
    monitor_id, _ = create(deadline, subdomain=other)
    with pytest.raises(deadline.exceptions.ValidationException):
        deadline.update_monitor(monitorId=monitor_id, subdomain=taken)
    assert deadline.get_monitor(monitorId=monitor_id)["subdomain"] == other
    deadline.update_monitor(monitorId=holder, subdomain=taken)  # keeping one's own subdomain is fine


def test_deleted_monitor_is_gone_and_frees_its_subdomain(deadline):
    taken = subdomain()
    monitor_id, _ = create(deadline, subdomain=taken)
    deadline.delete_monitor(monitorId=monitor_id)
    with pytest.raises(ClientError) as caught:
        deadline.get_monitor(monitorId=monitor_id)
    assert (error_of(caught)["resourceType"], error_of(caught)["resourceId"]) == ("monitor", monitor_id)
    create(deadline, subdomain=taken)


def test_unknown_monitor_is_resource_not_found(deadline):
    missing = "monitor-" + "0" * 32
    for call in (deadline.get_monitor, deadline.delete_monitor, deadline.get_monitor_settings):
        with pytest.raises(ClientError) as caught:
            call(monitorId=missing)
        assert (error_of(caught)["Error"]["Code"], error_of(caught)["resourceId"]) == (
            "ResourceNotFoundException", missing)


def test_list_monitors_pages_and_carries_summaries(deadline):
    made = [create(deadline)[0] for _ in range(3)]
    seen = []
    for page in deadline.get_paginator("list_monitors").paginate(PaginationConfig={"PageSize": 2}):
        assert len(page["monitors"]) <= 2
        seen += page["monitors"]
    by_id = {m["monitorId"]: m for m in seen}
    assert set(made) <= set(by_id)
    assert len(seen) == len(by_id)
    assert by_id[made[0]]["url"].endswith("/")


def test_monitor_tags_from_creation_are_listed(deadline):
    monitor_id, _ = create(deadline, tags={"site": "berlin"})
    arn = f"arn:aws:deadline:{REGION}:000000000000:monitor/{monitor_id}"
    assert deadline.list_tags_for_resource(resourceArn=arn)["tags"] == {"site": "berlin"}


def test_settings_start_empty_are_upserted_and_deleted_by_empty_value(deadline):
    monitor_id, _ = create(deadline)
    assert deadline.get_monitor_settings(monitorId=monitor_id)["settings"] == {}
    deadline.update_monitor_settings(monitorId=monitor_id, settings={"theme": "dark", "columns": "a,b"})
    deadline.update_monitor_settings(monitorId=monitor_id, settings={"theme": "light", "columns": ""})
    assert deadline.get_monitor_settings(monitorId=monitor_id)["settings"] == {"theme": "light"}


def test_more_than_64_settings_are_refused_and_nothing_changes(deadline):
    monitor_id, _ = create(deadline)
    deadline.update_monitor_settings(monitorId=monitor_id, settings={f"k{i}": "v" for i in range(60)})
    with pytest.raises(ClientError) as caught:
        deadline.update_monitor_settings(monitorId=monitor_id, settings={f"x{i}": "v" for i in range(5)})
    assert error_of(caught)["Error"]["Code"] == "ValidationException"
    assert len(deadline.get_monitor_settings(monitorId=monitor_id)["settings"]) == 60


def test_malformed_setting_key_is_validation_exception(deadline):
    monitor_id, _ = create(deadline)
    with pytest.raises(ClientError) as caught:
        deadline.update_monitor_settings(monitorId=monitor_id, settings={"9starts-with-digit": "v"})
    assert error_of(caught)["Error"]["Code"] == "ValidationException"


def test_monitors_are_for_administrators_only_but_any_signed_user_reads_one(server, deadline):
    monitor_id, _ = create(deadline)
    _, key_id, secret = server.new_user("monitors-user")
    user = server.client(key_id=key_id, secret=secret)
    # An artist's monitor profile names the monitor; the CLI reads it to print a link to the job.
    assert user.get_monitor(monitorId=monitor_id)["monitorId"] == monitor_id
    for call, params in ((user.list_monitors, {}), (user.update_monitor, {"monitorId": monitor_id, "displayName": "y"}),
                         (user.create_monitor, {"displayName": "x", "identityCenterInstanceArn": INSTANCE,
                                                "subdomain": subdomain(), "roleArn": ROLE})):
        with pytest.raises(ClientError) as caught:
            call(**params)
        assert error_of(caught)["Error"]["Code"] == "AccessDeniedException"

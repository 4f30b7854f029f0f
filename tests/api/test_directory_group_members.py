"""A directory user holds the memberships of the group bound to their directory group's DN: signed in to
the monitor against a real slapd (tests/support/ldap_directory.py), then calling boto3 with a key from
`farmstead keys create`."""

from __future__ import annotations

import json

import pytest
from api.test_jobs import RENDER
from botocore.exceptions import ClientError
from web.test_monitor_http import Browser

from farmstead.testing.live_server import LiveServer
from support.ldap_directory import GROUPS, USERS

STORE = "d-0123456789"


@pytest.fixture(scope="module")
def server(directory, tmp_path_factory):
    live = LiveServer(tmp_path_factory.mktemp("directory-groups"), extra_env=directory.server_env()).start()
    yield live
    live.stop()


def _signed_in(live: LiveServer, name: str):
    """(their monitor session, a boto3 client with a key `farmstead keys create` made them)."""
    browser = Browser(live.endpoint)
    status, _, body = browser.sign_in(username=name, password=USERS[name][0])
    assert status == 303, body
    lines = dict(line.split(" = ") for line in live.cli("keys", "create", name).splitlines() if " = " in line)
    return browser, live.client(key_id=lines["aws_access_key_id"], secret=lines["aws_secret_access_key"])


def _submit_error(client, farm_id, queue_id) -> str | None:
    try:
        client.create_job(farmId=farm_id, queueId=queue_id, priority=50, templateType="JSON",
                          template=json.dumps(RENDER))
    except ClientError as error:
        return error.response["Error"]["Code"]
    return None


def test_a_directory_user_holds_the_level_of_the_group_bound_to_their_directory_group(server):
    deadline = server.client()
    farm_id = deadline.create_farm(displayName="Directory groups")["farmId"]
    queue_id = deadline.create_queue(farmId=farm_id, displayName="shots")["queueId"]
    group_id = server.cli("groups", "create", "artists", "--directory-dn", f"cn=artists,{GROUPS}").split()[1]
    deadline.associate_member_to_queue(farmId=farm_id, queueId=queue_id, principalId=group_id,
                                       principalType="GROUP", identityStoreId=STORE, membershipLevel="CONTRIBUTOR")
    (bob_page, bob), (dave_page, dave) = _signed_in(server, "bob"), _signed_in(server, "dave")
    # bob is in cn=artists, dave in no group.
    assert _submit_error(bob, farm_id, queue_id) is None
    assert _submit_error(dave, farm_id, queue_id) == "AccessDeniedException"
    # The monitor acts by the same groups: bob sees the farm, dave does not.
    assert "Directory groups" in bob_page.request("/")[2]
    assert "Directory groups" not in dave_page.request("/")[2]


def test_a_group_bound_to_a_dn_written_in_another_case_still_holds_the_directory_group(server):
    deadline = server.client()
    farm_id = deadline.create_farm(displayName="Directory DN case")["farmId"]
    queue_id = deadline.create_queue(farmId=farm_id, displayName="shots")["queueId"]
    # As an Active Directory admin might type it; slapd says cn=artists,ou=groups,dc=farmstead,dc=test.
    group_id = server.cli("groups", "create", "artists-upper", "--directory-dn",
                          f"CN=Artists,{GROUPS.upper()}").split()[1]
    deadline.associate_member_to_queue(farmId=farm_id, queueId=queue_id, principalId=group_id,
                                       principalType="GROUP", identityStoreId=STORE, membershipLevel="CONTRIBUTOR")
    _, bob = _signed_in(server, "bob")
    assert _submit_error(bob, farm_id, queue_id) is None

"""Who may call what: membership levels through users' own boto3 clients, and refused signatures.

Every user here is made with the real `farmstead users/keys create` CLI and signs with its own key.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from farmstead.testing.live_server import ADMIN_KEY_ID, REGION

STORE = "d-0123456789"


@pytest.fixture(scope="module")
def users(server):
    made = {}
    for name in ("member", "stranger"):
        principal_id, key_id, secret = server.new_user(f"authz-{name}")
        made[name] = SimpleNamespace(id=principal_id, key_id=key_id, secret=secret,
                                     client=server.client(key_id=key_id, secret=secret))
    return SimpleNamespace(**made)


def associate(deadline, farm_id, principal_id, level, **scope):
    kind = "queue" if "queueId" in scope else "farm"
    getattr(deadline, f"associate_member_to_{kind}")(
        farmId=farm_id, principalId=principal_id, principalType="USER", identityStoreId=STORE,
        membershipLevel=level, **scope)


def code_and_status(caught) -> tuple[str, int]:
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def new_queue(deadline, farm_id, name="q") -> str:
    try:
        return deadline.create_queue(farmId=farm_id, displayName=name)["queueId"]
    except ClientError as error:
        if error.response["Error"]["Code"] == "NotImplemented":
            pytest.skip("CreateQueue is not implemented yet (api/queues.py, another engineer's)")
        raise


# --- membership levels ----------------------------------------------------------------------------

def test_viewer_may_get_the_farm_but_not_update_it(deadline, farm_id, users):
    associate(deadline, farm_id, users.member.id, "VIEWER")
    assert users.member.client.get_farm(farmId=farm_id)["farmId"] == farm_id
    with pytest.raises(ClientError) as caught:
        users.member.client.update_farm(farmId=farm_id, displayName="hijacked")
    assert code_and_status(caught) == ("AccessDeniedException", 403)
    assert deadline.get_farm(farmId=farm_id)["displayName"] != "hijacked"


def test_without_membership_get_farm_is_denied_and_list_farms_hides_the_farm(farm_id, users):
    with pytest.raises(ClientError) as caught:
        users.stranger.client.get_farm(farmId=farm_id)
    assert code_and_status(caught) == ("AccessDeniedException", 403)
    listed = [f["farmId"] for f in users.stranger.client.list_farms()["farms"]]
    assert farm_id not in listed


def test_farm_member_sees_the_farm_in_list_farms(deadline, farm_id, users):
    associate(deadline, farm_id, users.member.id, "VIEWER")
    listed = [f["farmId"] for f in users.member.client.list_farms()["farms"]]
    assert farm_id in listed


def test_removed_member_loses_access(deadline, farm_id, users):
    associate(deadline, farm_id, users.member.id, "VIEWER")
    deadline.disassociate_member_from_farm(farmId=farm_id, principalId=users.member.id)
    with pytest.raises(users.member.client.exceptions.AccessDeniedException):
        users.member.client.get_farm(farmId=farm_id)


def test_queue_membership_does_not_grant_the_farms_other_queues(deadline, farm_id, users):
    granted, other = new_queue(deadline, farm_id, "granted"), new_queue(deadline, farm_id, "other")
    associate(deadline, farm_id, users.member.id, "VIEWER", queueId=granted)
    assert users.member.client.get_queue(farmId=farm_id, queueId=granted)["queueId"] == granted
    with pytest.raises(ClientError) as caught:
        users.member.client.get_queue(farmId=farm_id, queueId=other)
    assert code_and_status(caught) == ("AccessDeniedException", 403)


def test_farm_membership_applies_to_every_queue_of_the_farm(deadline, farm_id, users):
    queue_id = new_queue(deadline, farm_id)
    associate(deadline, farm_id, users.member.id, "VIEWER")
    assert users.member.client.get_queue(farmId=farm_id, queueId=queue_id)["queueId"] == queue_id


def test_queue_membership_is_no_key_to_another_farm(deadline, farm_id, users):
    queue_id = new_queue(deadline, farm_id)
    associate(deadline, farm_id, users.member.id, "MANAGER", queueId=queue_id)
    other_farm = deadline.create_farm(displayName="elsewhere")["farmId"]
    with pytest.raises(ClientError) as caught:
        users.member.client.list_queue_members(farmId=other_farm, queueId=queue_id)
    assert code_and_status(caught) == ("AccessDeniedException", 403)


def test_highest_of_several_levels_counts(deadline, farm_id, users):
    queue_id = new_queue(deadline, farm_id)
    associate(deadline, farm_id, users.member.id, "VIEWER")
    associate(deadline, farm_id, users.member.id, "MANAGER", queueId=queue_id)
    members = users.member.client.list_queue_members(farmId=farm_id, queueId=queue_id)["members"]
    assert [m["principalId"] for m in members] == [users.member.id]
    with pytest.raises(users.member.client.exceptions.AccessDeniedException):
        users.member.client.list_farm_members(farmId=farm_id)


def test_administrator_operations_are_denied_to_members(deadline, farm_id, users):
    associate(deadline, farm_id, users.member.id, "OWNER")
    with pytest.raises(ClientError) as caught:
        users.member.client.delete_farm(farmId=farm_id)
    assert code_and_status(caught) == ("AccessDeniedException", 403)
    assert deadline.get_farm(farmId=farm_id)["farmId"] == farm_id


# --- refused signatures ---------------------------------------------------------------------------

def test_unknown_access_key_is_unrecognized_client(server):
    client = server.client(key_id="AKIANOBODYKNOWSTHIS0", secret="whatever-secret")
    with pytest.raises(ClientError) as caught:
        client.list_farms()
    assert code_and_status(caught) == ("UnrecognizedClientException", 403)


def test_wrong_secret_is_invalid_signature(server, users):
    client = server.client(key_id=users.member.key_id, secret=users.member.secret + "x")
    with pytest.raises(ClientError) as caught:
        client.list_farms()
    assert code_and_status(caught) == ("InvalidSignatureException", 403)


def test_unsigned_request_is_missing_authentication_token(server):
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{server.endpoint}/2023-10-12/farms", timeout=10)
    assert caught.value.code == 403
    assert caught.value.headers["x-amzn-ErrorType"].split(":")[0] == "MissingAuthenticationTokenException"


class _SignedAt(SigV4Auth):
    """SigV4 with a chosen timestamp: add_auth stamps context['timestamp'] with the current time and
    then calls this hook, which sets X-Amz-Date from it; replacing the stamp here dates the whole
    signature (header, credential scope and string to sign) at `moment`."""

    def __init__(self, credentials, service, region, moment: datetime):
        super().__init__(credentials, service, region)
        self.moment = moment

    def _modify_request_before_signing(self, request):
        request.context["timestamp"] = self.moment.strftime(SIGV4_TIMESTAMP)
        super()._modify_request_before_signing(request)


def test_request_signed_twenty_minutes_ago_is_signature_expired(server):
    from farmstead.testing.live_server import ADMIN_SECRET

    signed_at = datetime.now(UTC) - timedelta(minutes=20)
    request = AWSRequest(method="GET", url=f"{server.endpoint}/2023-10-12/farms")
    _SignedAt(Credentials(ADMIN_KEY_ID, ADMIN_SECRET), "deadline", REGION, signed_at).add_auth(request)
    assert request.headers["X-Amz-Date"] == signed_at.strftime(SIGV4_TIMESTAMP)
    prepared = request.prepare()
    raw = urllib.request.Request(prepared.url, method="GET", headers=dict(prepared.headers.items()))
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(raw, timeout=10)
    body = json.loads(caught.value.read())
    assert caught.value.code == 403
    assert caught.value.headers["x-amzn-ErrorType"].split(":")[0] == "InvalidSignatureException"
    assert body["message"].startswith("Signature expired")


def test_deleted_key_stops_working_within_seconds(server):
    _, key_id, secret = server.new_user("authz-leaving")
    client = server.client(key_id=key_id, secret=secret)
    client.list_farms()  # works, and is now in the server's key cache
    server.cli("keys", "delete", key_id)
    give_up = time.monotonic() + 5
    while True:
        try:
            client.list_farms()
        except ClientError as error:
            assert error.response["Error"]["Code"] == "UnrecognizedClientException"
            break
        assert time.monotonic() < give_up, "the deleted key still works after 5 s"
        time.sleep(0.2)

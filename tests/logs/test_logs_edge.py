"""The logs edge: unserved targets, undecodable bodies, and signatures scoped to the logs signing name."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from farmstead.testing.live_server import ADMIN_KEY_ID, ADMIN_SECRET, REGION


@pytest.fixture(scope="module")
def logs(server):
    return server.client("logs")


def error_of(caught) -> tuple[str, int]:
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def raw_logs_call(server, target: str, body: bytes, *, service: str = "logs", secret: str = ADMIN_SECRET):
    request = AWSRequest(method="POST", url=server.endpoint + "/", data=body, headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target})
    SigV4Auth(Credentials(ADMIN_KEY_ID, secret), service, REGION).add_auth(request)
    prepared = request.prepare()
    raw = urllib.request.Request(prepared.url, data=prepared.body, method="POST", headers=dict(prepared.headers))
    try:
        with urllib.request.urlopen(raw, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_unimplemented_and_unknown_targets_are_unknown_operation_exception(logs, server):
    with pytest.raises(ClientError) as caught:
        logs.put_retention_policy(logGroupName="/test/x", retentionInDays=1)
    assert error_of(caught) == ("UnknownOperationException", 400)
    status, body = raw_logs_call(server, "Logs_20140328.NoSuchThing", b"{}")
    assert (status, body["__type"]) == (400, "UnknownOperationException")


def test_malformed_json_is_serialization_exception(server):
    status, body = raw_logs_call(server, "Logs_20140328.DescribeLogGroups", b"{not json")
    assert (status, body["__type"]) == (400, "SerializationException")
    status, body = raw_logs_call(server, "Logs_20140328.DescribeLogGroups", b'{"limit": "ten"}')
    assert (status, body["__type"]) == (400, "SerializationException")


def test_bad_signatures_are_refused_with_the_logs_signing_name(server):
    status, body = raw_logs_call(server, "Logs_20140328.DescribeLogGroups", b"{}", secret="wrong-secret")
    assert (status, body["__type"]) == (400, "InvalidSignatureException")
    status, body = raw_logs_call(server, "Logs_20140328.DescribeLogGroups", b"{}", service="deadline")
    assert (status, body["__type"]) == (400, "InvalidSignatureException")
    assert "'logs'" in body["message"]
    stranger = server.client("logs", key_id="AKIAUNKNOWNKEY000000", secret="x" * 40)
    with pytest.raises(ClientError) as caught:
        stranger.describe_log_groups()
    assert error_of(caught) == ("UnrecognizedClientException", 400)


def test_deadline_requests_still_refuse_a_logs_scoped_signature(server):
    request = AWSRequest(method="GET", url=server.endpoint + "/2023-10-12/farms")
    SigV4Auth(Credentials(ADMIN_KEY_ID, ADMIN_SECRET), "logs", REGION).add_auth(request)
    prepared = request.prepare()
    raw = urllib.request.Request(prepared.url, method="GET", headers=dict(prepared.headers))
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(raw, timeout=30)
    assert caught.value.code == 403

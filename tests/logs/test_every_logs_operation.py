"""Every implemented `logs` operation, fed generated inputs through a real boto3 client: never a 500.

Valid inputs (from the model's shapes; half of them aimed at a group and stream that exist, so the
handlers' deeper paths run) and broken ones (a required member dropped, a member of the wrong type)
must each get a modelled answer: success, one of the errors the model lists for that operation, or
SerializationException for a body of the wrong JSON types. Operations Farmstead does not implement
must answer UnknownOperationException, as AWS does for targets it does not serve.
"""

from __future__ import annotations

import os
import time

import boto3
import pytest
from botocore import xform_name
from botocore.config import Config
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from protocol.model_strategies import input_strategy

from farmstead.logs.registry import handlers
from farmstead.protocol.json_rpc import load_service
from farmstead.testing.live_server import ADMIN_KEY_ID, ADMIN_SECRET, REGION

FUZZ = settings(max_examples=int(os.environ.get("FARMSTEAD_FUZZ_EXAMPLES", "6")), deadline=None,
                derandomize=bool(os.environ.get("CI")), suppress_health_check=list(HealthCheck))
MODEL = load_service("logs").model
IMPLEMENTED = sorted(handlers())
KNOWN_GROUP, KNOWN_STREAM = "/fuzz/known", "known-stream"
# Aiming these at the known group would only delete it or protect it for every later example.
_DESTRUCTIVE = {"DeleteLogGroup", "DeleteLogStream", "PutLogGroupDeletionProtection"}


@pytest.fixture(scope="module")
def unvalidating_logs(server):
    """A client that sends whatever it is given, so the server's own validation is what answers."""
    session = boto3.session.Session(aws_access_key_id=ADMIN_KEY_ID, aws_secret_access_key=ADMIN_SECRET,
                                    region_name=REGION)
    client = session.client("logs", endpoint_url=server.endpoint, config=Config(
        parameter_validation=False, retries={"max_attempts": 1}))
    try:
        client.create_log_group(logGroupName=KNOWN_GROUP)
        client.create_log_stream(logGroupName=KNOWN_GROUP, logStreamName=KNOWN_STREAM)
        now = int(time.time() * 1000)
        client.put_log_events(logGroupName=KNOWN_GROUP, logStreamName=KNOWN_STREAM,
                              logEvents=[{"timestamp": now + i, "message": f"ERROR {i}"} for i in range(5)])
    except ClientError as error:
        assert error.response["Error"]["Code"] == "ResourceAlreadyExistsException"
    return client


def _call(client, name: str, params: dict):
    try:
        return None, getattr(client, xform_name(name))(**params)
    except ClientError as error:
        return error.response, None


def _assert_modelled(name: str, error: dict | None, server) -> None:
    if error is None:
        return
    code = error["Error"]["Code"]
    status = error["ResponseMetadata"]["HTTPStatusCode"]
    allowed = {shape.name for shape in MODEL.operation_model(name).error_shapes} | {"SerializationException"}
    assert status != 500 and code in allowed, f"{name} answered {status} {code}: {error}\n{server.log_text()[-3000:]}"


def _aimed(params: dict) -> dict:
    aimed = dict(params)
    for member, value in (("logGroupName", KNOWN_GROUP), ("logGroupIdentifier", KNOWN_GROUP),
                          ("logStreamName", KNOWN_STREAM)):
        if member in aimed:
            aimed[member] = value
    return aimed


def _broken(draw, name: str, params: dict) -> dict:
    shape = MODEL.operation_model(name).input_shape
    required = [m for m in shape.required_members if m in params]
    assume(required or params)
    how = draw(st.sampled_from(["drop", "wrong_type"] if required else ["wrong_type"]))
    broken = dict(params)
    if how == "drop":
        del broken[draw(st.sampled_from(required))]
    else:
        member = draw(st.sampled_from(list(params)))
        kind = shape.members[member].type_name
        broken[member] = {"unexpected": True} if kind in ("string", "integer", "long", "list") else "text"
    return broken


@pytest.mark.parametrize("name", IMPLEMENTED)
def test_generated_inputs_get_modelled_answers(name, unvalidating_logs, server):
    @FUZZ
    @given(data=st.data())
    def run(data):
        params = data.draw(input_strategy(MODEL.operation_model(name)))
        if name not in _DESTRUCTIVE and data.draw(st.booleans()):
            params = _aimed(params)
        error, _ = _call(unvalidating_logs, name, params)
        _assert_modelled(name, error, server)
        if params:
            broken = _broken(data.draw, name, params)
            try:
                error, _ = _call(unvalidating_logs, name, broken)
            except (TypeError, ValueError, AttributeError, KeyError):
                return  # botocore itself could not serialize it: nothing reached the server
            _assert_modelled(name, error, server)

    run()


@pytest.mark.parametrize("name", sorted(set(MODEL.operation_names) - set(IMPLEMENTED))[:12])
def test_unimplemented_operations_answer_unknown_operation(name, unvalidating_logs):
    error, _ = _call(unvalidating_logs, name, {})
    assert error is not None
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == ("UnknownOperationException", 400)

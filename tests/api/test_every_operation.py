"""Every one of the model's operations, fed generated inputs through a real boto3 client.

Valid inputs (from the model's shapes) and broken ones (a required member dropped, a member of the
wrong type) must each get a modelled answer: success, or one of the errors the model lists for that
operation (NotImplemented while an operation waits for its issue). Never a 500, never an unmodelled
error code.
"""

from __future__ import annotations

import os

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from protocol.model_strategies import input_strategy

from farmstead.protocol.model import operations
from farmstead.testing.live_server import ADMIN_KEY_ID, ADMIN_SECRET, REGION

FUZZ = settings(max_examples=int(os.environ.get("FARMSTEAD_FUZZ_EXAMPLES", "6")), deadline=None,
                derandomize=bool(os.environ.get("CI")),
                suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def unvalidating_client(server):
    """A client that sends whatever it is given, so the server's own validation is what answers."""
    import boto3

    session = boto3.session.Session(aws_access_key_id=ADMIN_KEY_ID, aws_secret_access_key=ADMIN_SECRET,
                                    region_name=REGION)
    return session.client("deadline", endpoint_url=server.endpoint, config=Config(
        inject_host_prefix=False, parameter_validation=False, retries={"max_attempts": 1}))


def _call(client, name: str, params: dict):
    method = getattr(client, _snake(name))
    try:
        return None, method(**params)
    except ClientError as error:
        return error.response, None


def _snake(name: str) -> str:
    from botocore import xform_name

    return xform_name(name)


def _assert_modelled(name: str, error: dict | None, server) -> None:
    if error is None:
        return
    code = error["Error"]["Code"]
    status = error["ResponseMetadata"]["HTTPStatusCode"]
    # Any operation may refuse input that breaks its shape (not every operation lists ValidationException).
    allowed = {shape.name for shape in operations()[name].model.error_shapes} | {"NotImplemented",
                                                                                 "ValidationException"}
    assert status != 500 and code in allowed, f"{name} answered {status} {code}: {error}\n{server.log_text()[-3000:]}"


def _broken(draw, name: str, params: dict) -> dict:
    shape = operations()[name].model.input_shape
    required = [m for m in shape.required_members if m in params] if shape is not None else []
    members = list(params)
    assume(required or members)
    how = draw(st.sampled_from(["drop", "wrong_type"] if required else ["wrong_type"]))
    broken = dict(params)
    if how == "drop":
        del broken[draw(st.sampled_from(required))]
    else:
        member = draw(st.sampled_from(members))
        kind = shape.members[member].type_name
        broken[member] = {"unexpected": True} if kind in ("string", "integer", "float", "double", "list") else "text"
    return broken


@pytest.mark.parametrize("name", sorted(operations()))
def test_generated_inputs_get_modelled_answers(name, unvalidating_client, server):
    @FUZZ
    @given(data=st.data())
    def run(data):
        params = data.draw(input_strategy(operations()[name].model))
        error, _ = _call(unvalidating_client, name, params)
        _assert_modelled(name, error, server)
        broken = _broken(data.draw, name, params) if params else None
        if broken is not None:
            try:
                error, _ = _call(unvalidating_client, name, broken)
            except (TypeError, ValueError, AttributeError, KeyError):
                return  # botocore itself could not serialize it: nothing reached the server
            _assert_modelled(name, error, server)

    run()

"""Deeply nested input is refused with the modelled 400 wherever it is sent: in any member of any
operation's body, as the whole body, in a JSON or YAML job or environment template, and in the logs
API. Nothing may reach a RecursionError (the server log is checked) or answer a 500."""

from __future__ import annotations

import json

import pytest
from botocore.serialize import create_serializer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from protocol.model_strategies import input_strategy

from farmstead.protocol.model import operations
from support.raw_http import signed_request

#: Below, at and past orjson's limit of 1,024 levels, and far past Python's recursion limit.
DEPTHS = (200, 1023, 1025, 3000)
_serializer = create_serializer("rest-json")


def nested(depth: int, kind: str) -> str:
    """A JSON value `depth` levels deep, written as text (json.dumps would itself recurse)."""
    if kind == "array":
        return "[" * depth + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


def _request(name: str, params: dict) -> tuple[str, str, dict, dict]:
    """(method, path with query, body dict, headers) of a call of the operation with `params`."""
    model = operations()[name].model
    request = _serializer.serialize_to_request(params, model)
    query = "&".join(f"{k}={v}" for k, v in request["query_string"].items()) if request["query_string"] else ""
    path = request["url_path"] + (("?" + query) if query else "")
    body = json.loads(request["body"]) if request["body"] else {}
    headers = {k: v for k, v in request["headers"].items() if k.lower() != "content-type"}
    return request["method"], path, body, headers


def _body_with(body: dict, member: str, value_text: str) -> str:
    rest = {k: v for k, v in body.items() if k != member}
    prefix = json.dumps(rest)[:-1]
    return prefix + (", " if rest else "") + json.dumps(member) + ": " + value_text + "}"


def _assert_refused(server, status: int, headers: dict, body: dict, what: str) -> None:
    assert status < 500, f"{what}: {status} {body}"
    assert "RecursionError" not in server.log_text(), f"{what} reached a RecursionError"


def _body_operations() -> list[str]:
    names = []
    for name, info in sorted(operations().items()):
        shape = info.model.input_shape
        if shape is not None and any("location" not in m.serialization for m in shape.members.values()):
            names.append(name)
    return names


@pytest.mark.parametrize("name", _body_operations())
@settings(max_examples=1, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_deep_value_in_any_body_member_is_a_validation_error(server, name, data):
    shape = operations()[name].model.input_shape
    method, path, body, headers = _request(name, data.draw(input_strategy(operations()[name].model)))
    members = [m for m, s in shape.members.items() if "location" not in s.serialization]
    for member in members:
        for depth in DEPTHS:
            for kind in ("array", "object"):
                text = _body_with(body, shape.members[member].serialization.get("name", member), nested(depth, kind))
                status, _, answer = signed_request(server.endpoint, method, path, text, headers=headers)
                _assert_refused(server, status, headers, answer, f"{name}.{member} {kind} x{depth}")
                assert status == 400 and answer.get("message"), f"{name}.{member} {kind} x{depth}: {answer}"


@pytest.mark.parametrize("depth", DEPTHS)
def test_deeply_nested_whole_body_is_a_validation_error(server, depth):
    for kind in ("array", "object"):
        status, headers, answer = signed_request(server.endpoint, "POST", "/2023-10-12/farms", nested(depth, kind))
        _assert_refused(server, status, headers, answer, f"body {kind} x{depth}")
        assert (status, headers["x-amzn-errortype"]) == (400, "ValidationException")


def _templates(depth: int) -> dict[str, str]:
    """A template whose one step's script nests `depth` levels, in each notation."""
    deep_array = "[" * depth + "]" * depth
    block = min(depth, 1200)  # indentation grows with depth: deeper would pass the 8 MiB body limit
    deep_object = '{"a":' * depth + "1" + "}" * depth
    step = '{"name": "s", "script": {"actions": {"onRun": {"command": "true", "args": %s}}}}'
    job = '{"specificationVersion": "jobtemplate-2023-09", "name": "deep", "steps": [%s]}'
    return {
        "JSON bare array": deep_array,
        "JSON in a step": job % (step % deep_array),
        "JSON object in a step": job % (step % deep_object),
        "YAML flow": deep_array,
        "YAML in a step": "specificationVersion: jobtemplate-2023-09\nname: deep\nsteps:\n- name: s\n  script:\n"
                          "    actions:\n      onRun:\n        command: 'true'\n        args: " + deep_array + "\n",
        "YAML block": "specificationVersion: jobtemplate-2023-09\nname: deep\nx:\n"
                      + "".join(" " * (i + 1) + "a:\n" for i in range(block)) + " " * (block + 1) + "b: 1\n",
    }


@pytest.mark.parametrize("depth", (100, 900, 1000, 5000))
def test_deep_job_template_is_a_validation_error_naming_the_template(server, deadline, farm_id, depth):
    queue_id = deadline.create_queue(farmId=farm_id, displayName="q")["queueId"]
    for what, text in _templates(depth).items():
        body = {"priority": 50, "templateType": what.split()[0], "template": text}
        status, headers, answer = signed_request(server.endpoint, "POST",
                                                 f"/2023-10-12/farms/{farm_id}/queues/{queue_id}/jobs", body)
        _assert_refused(server, status, headers, answer, f"template {what} x{depth}")
        assert (status, answer.get("fieldList", [{}])[0].get("name")) == (400, "template"), f"{what}: {answer}"


@pytest.mark.parametrize("depth", (900, 5000))
def test_deep_queue_environment_template_is_a_validation_error(server, deadline, farm_id, depth):
    queue_id = deadline.create_queue(farmId=farm_id, displayName="q")["queueId"]
    for what, text in _templates(depth).items():
        body = {"priority": 1, "templateType": what.split()[0], "template": text}
        status, headers, answer = signed_request(
            server.endpoint, "POST", f"/2023-10-12/farms/{farm_id}/queues/{queue_id}/environments", body)
        _assert_refused(server, status, headers, answer, f"environment {what} x{depth}")
        assert status == 400, f"{what}: {answer}"


@pytest.mark.parametrize("depth", DEPTHS)
def test_deep_logs_request_is_refused_in_the_logs_protocol(server, depth):
    for target in ("PutLogEvents", "GetLogEvents", "CreateLogGroup", "FilterLogEvents"):
        for kind in ("array", "object"):
            text = '{"logGroupName": "g", "logStreamName": "s", "logEvents": ' + nested(depth, kind) + "}"
            status, headers, answer = signed_request(
                server.endpoint, "POST", "/", text, service="logs",
                headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"Logs_20140328.{target}"})
            _assert_refused(server, status, headers, answer, f"logs {target} {kind} x{depth}")
            # The others ignore logEvents as an unknown member, as CloudWatch Logs does, unless too deep to parse.
            assert status == 400 or (target != "PutLogEvents" and depth <= 1024)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(depth=st.integers(min_value=1, max_value=6000),
       opener=st.lists(st.sampled_from(['[', '{"a":', '{"b":[', '[{"c":']), min_size=1, max_size=4),
       where=st.sampled_from(["body", "template JSON", "template YAML", "parameters", "tags"]))
def test_fuzzed_nesting_never_reaches_a_500(server, deadline, depth, opener, where):
    closers = {"[": "]", '{"a":': "}", '{"b":[': "]}", '[{"c":': "}]"}
    layers = [opener[i % len(opener)] for i in range(depth)]
    value = "".join(layers) + ("1" if layers[-1].endswith(":") else "") + "".join(closers[o] for o in reversed(layers))
    farm_id = _fuzz_farm(deadline)
    path = f"/2023-10-12/farms/{farm_id}/queues/{_fuzz_queue(deadline, farm_id)}/jobs"
    if where == "body":
        text = value
    elif where.startswith("template"):
        text = json.dumps({"priority": 50, "templateType": where.split()[1], "template": value})
    else:
        text = f'{{"priority": 50, "templateType": "JSON", "template": "{{}}", "{where}": {{"x": {value}}}}}'
    status, headers, answer = signed_request(server.endpoint, "POST", path, text)
    _assert_refused(server, status, headers, answer, f"{where} x{depth} {opener}")


_fuzz_ids: dict[str, str] = {}


def _fuzz_farm(deadline) -> str:
    if "farm" not in _fuzz_ids:
        _fuzz_ids["farm"] = deadline.create_farm(displayName="nesting fuzz")["farmId"]
    return _fuzz_ids["farm"]


def _fuzz_queue(deadline, farm_id: str) -> str:
    if "queue" not in _fuzz_ids:
        _fuzz_ids["queue"] = deadline.create_queue(farmId=farm_id, displayName="nesting fuzz")["queueId"]
    return _fuzz_ids["queue"]

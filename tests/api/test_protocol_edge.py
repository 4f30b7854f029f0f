"""The protocol edge seen from the wire: errors for bad requests are the modelled ones, never a 500."""

from __future__ import annotations

from support.raw_http import signed_request


def test_unsigned_request_is_missing_authentication_token(server):
    status, headers, body = signed_request(server.endpoint, "GET", "/2023-10-12/farms", sign=False)
    assert status == 403
    assert headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"


def test_unknown_access_key_is_unrecognized_client(server):
    status, headers, _ = signed_request(server.endpoint, "GET", "/2023-10-12/farms", key_id="AKIANOBODY0000000000")
    assert (status, headers["x-amzn-errortype"]) == (403, "UnrecognizedClientException")


def test_wrong_secret_is_invalid_signature(server):
    status, headers, _ = signed_request(server.endpoint, "GET", "/2023-10-12/farms", secret="not-the-secret")
    assert (status, headers["x-amzn-errortype"]) == (403, "InvalidSignatureException")


def test_unknown_path_is_unknown_operation(server):
    status, headers, _ = signed_request(server.endpoint, "GET", "/2023-10-12/no-such-thing")
    assert (status, headers["x-amzn-errortype"]) == (404, "UnknownOperationException")


def test_body_that_is_not_json_is_cannot_parse(server):
    status, headers, body = signed_request(server.endpoint, "POST", "/2023-10-12/farms", body="{not json")
    assert (status, headers["x-amzn-errortype"]) == (400, "ValidationException")
    assert body["reason"] == "CANNOT_PARSE"


def test_unknown_body_member_is_named_in_field_list(server):
    status, _, body = signed_request(server.endpoint, "POST", "/2023-10-12/farms",
                                     body={"displayName": "x", "colour": "red"})
    assert status == 400
    assert body["reason"] == "FIELD_VALIDATION_FAILED"
    assert [f["name"] for f in body["fieldList"]] == ["colour"]


def test_wrongly_typed_member_is_a_validation_error_and_nothing_is_written(server, deadline):
    before = {f["farmId"] for f in deadline.list_farms()["farms"]}
    status, _, body = signed_request(server.endpoint, "POST", "/2023-10-12/farms",
                                     body={"displayName": "typed", "costScaleFactor": "lots"})
    assert status == 400 and [f["name"] for f in body["fieldList"]] == ["costScaleFactor"]
    after = {f["farmId"] for f in deadline.list_farms()["farms"]}
    assert after == before


def test_query_member_that_is_not_a_number_is_a_validation_error(server):
    status, _, body = signed_request(server.endpoint, "GET", "/2023-10-12/farms?maxResults=many")
    assert status == 400 and [f["name"] for f in body["fieldList"]] == ["maxResults"]


def test_max_results_outside_model_range_is_a_validation_error(deadline):
    import pytest
    from botocore.exceptions import ClientError, ParamValidationError

    # boto3 checks the minimum itself, so send 101 (above the model's maximum of 100).
    with pytest.raises((ClientError, ParamValidationError)) as caught:
        deadline.list_farms(maxResults=101)
    if isinstance(caught.value, ClientError):
        assert caught.value.response["Error"]["Code"] == "ValidationException"


def test_error_response_carries_request_id_header(server):
    status, headers, _ = signed_request(server.endpoint, "GET", "/2023-10-12/no-such-thing")
    assert headers["x-amzn-requestid"]


def test_client_telemetry_post_is_accepted_unsigned(server):
    status, _, body = signed_request(server.endpoint, "POST", "/2023-10-12/telemetry", body={"events": []},
                                     sign=False)
    assert status == 200 and body == {}

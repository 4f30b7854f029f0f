"""What an audit entry keeps of a request's parameters (domain/audit_entries.py)."""

from __future__ import annotations

from farmstead.domain.audit_entries import MAX_TEXT, REDACTED, resource_ids, safe_params


def test_secret_members_are_redacted_at_any_depth_and_tokens_that_are_not_secrets_are_kept():
    params = {"clientToken": "t-1", "credentials": {"accessKeyId": "AK", "secretAccessKey": "s3cr3t"},
              "settings": [{"sessionToken": "tok", "password": "pw", "name": "n"}], "smtpPassword": "pw2"}
    kept = safe_params(params)
    assert kept["clientToken"] == "t-1"
    assert kept["credentials"] == REDACTED
    assert kept["settings"] == [{"sessionToken": REDACTED, "password": REDACTED, "name": "n"}]
    assert kept["smtpPassword"] == REDACTED


def test_templates_and_long_strings_are_kept_as_size_and_hash():
    kept = safe_params({"template": "{}", "description": "x" * (MAX_TEXT + 1), "displayName": "short"})
    assert kept["template"] == {"sha256": "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
                                "bytes": 2}
    assert kept["description"]["bytes"] == MAX_TEXT + 1 and kept["displayName"] == "short"


def test_resource_ids_come_from_the_request_and_the_answer_each_once():
    assert resource_ids({"farmId": "farm-1", "workerIds": ["w-1", "w-2"], "clientToken": "t"},
                        {"farmId": "farm-1", "jobId": "job-1"}) == ["farm-1", "w-1", "w-2", "job-1"]

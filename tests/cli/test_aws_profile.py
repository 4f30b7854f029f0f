"""The AWS profile `farmstead`: written beside the user's own profiles, read back by real botocore."""

from __future__ import annotations

import boto3
import pytest
from botocore.configloader import raw_config_parse

from farmstead.cli import aws_profile
from farmstead.testing.live_server import ADMIN_KEY_ID, ADMIN_SECRET, REGION

USER_CONFIG = """\
# my AWS setup — keep this comment
[default]
region = eu-west-1
output = json

[profile studio]
# the studio account
region = us-east-1
role_arn = arn:aws:iam::123456789012:role/artist
source_profile = default
"""
USER_CREDENTIALS = """\
[default]
aws_access_key_id = AKIAUSERDEFAULT00000
aws_secret_access_key = user-secret
"""


@pytest.fixture
def aws_files(tmp_path, monkeypatch):
    config, credentials = tmp_path / "aws" / "config", tmp_path / "aws" / "credentials"
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                 "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DEADLINE", "AWS_ENDPOINT_URL_LOGS",
                 "AWS_DISABLE_HOST_PREFIX_INJECTION", "AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    return config, credentials


def _write_user_files(config, credentials):
    config.parent.mkdir(parents=True)
    config.write_text(USER_CONFIG)
    credentials.write_text(USER_CREDENTIALS)


def test_profile_is_added_without_touching_other_profiles_or_comments(aws_files):
    config, credentials = aws_files
    _write_user_files(config, credentials)
    aws_profile.write_profile("http://127.0.0.1:8245", "us-west-2", "AKIAFARM", "farm-secret")
    assert config.read_text().startswith(USER_CONFIG)
    assert credentials.read_text().startswith(USER_CREDENTIALS)
    parsed = raw_config_parse(str(config))
    assert parsed["default"] == {"region": "eu-west-1", "output": "json"}
    assert parsed["profile studio"]["role_arn"] == "arn:aws:iam::123456789012:role/artist"
    assert parsed["profile farmstead"] == {"region": "us-west-2", "endpoint_url": "http://127.0.0.1:8245",
                                           "services": "farmstead", "disable_host_prefix_injection": "true"}
    # botocore's nested syntax: `deadline =` followed by indented keys.
    assert parsed["services farmstead"] == {"deadline": {"endpoint_url": "http://127.0.0.1:8245"},
                                            "logs": {"endpoint_url": "http://127.0.0.1:8245"}}
    assert raw_config_parse(str(credentials))["farmstead"] == {"aws_access_key_id": "AKIAFARM",
                                                               "aws_secret_access_key": "farm-secret"}


def test_rewrite_changes_only_farmstead_keys_and_backs_up_the_original_once(aws_files):
    config, credentials = aws_files
    _write_user_files(config, credentials)
    config.write_text(USER_CONFIG + "\n[profile farmstead]\noutput = table\nendpoint_url = http://old:1\n")
    original = config.read_text()
    first = aws_profile.write_profile("http://127.0.0.1:9000", "us-west-2", "AKIAONE", "one")
    backup = config.with_name("config" + aws_profile.BACKUP_SUFFIX)
    assert backup in first.backups and backup.read_text() == original
    parsed = raw_config_parse(str(config))["profile farmstead"]
    assert parsed["output"] == "table"  # the user's own key in our profile stays
    assert parsed["endpoint_url"] == "http://127.0.0.1:9000"
    assert config.read_text().count("[profile farmstead]") == 1
    second = aws_profile.write_profile("http://127.0.0.1:9001", "us-west-2", "AKIATWO", "two")
    assert second.backups == () and backup.read_text() == original
    assert raw_config_parse(str(config))["services farmstead"]["deadline"]["endpoint_url"] == "http://127.0.0.1:9001"
    assert raw_config_parse(str(credentials))["farmstead"]["aws_access_key_id"] == "AKIATWO"


def test_writing_the_same_profile_again_changes_nothing(aws_files):
    config, credentials = aws_files
    aws_profile.write_profile("http://127.0.0.1:8245", "us-west-2", "AKIAFARM", "farm-secret")
    again = aws_profile.write_profile("http://127.0.0.1:8245", "us-west-2", "AKIAFARM", "farm-secret")
    assert again.changed == () and again.backups == ()


def test_files_holding_only_farmstead_sections_are_updated_without_backups(aws_files):
    config, credentials = aws_files
    aws_profile.write_profile("http://127.0.0.1:8245", "us-west-2", "AKIAFARM", "farm-secret")
    moved = aws_profile.write_profile("http://127.0.0.1:9999", "us-west-2", "AKIANEW", "new-secret")
    assert moved.changed == (config, credentials) and moved.backups == ()
    assert raw_config_parse(str(config))["profile farmstead"]["endpoint_url"] == "http://127.0.0.1:9999"


def test_new_files_are_created_private_with_their_directory(aws_files):
    config, credentials = aws_files
    aws_profile.write_profile("http://127.0.0.1:8245", "us-west-2", "AKIAFARM", "farm-secret")
    assert credentials.stat().st_mode & 0o777 == 0o600
    assert config.parent.stat().st_mode & 0o777 == 0o700
    assert not list(config.parent.glob("*" + aws_profile.BACKUP_SUFFIX))


def test_boto3_session_with_the_profile_reaches_the_server_without_host_prefix(aws_files, server, deadline):
    config, credentials = aws_files
    _write_user_files(config, credentials)
    farm_id = deadline.create_farm(displayName="profile farm")["farmId"]
    aws_profile.write_profile(server.endpoint, REGION, ADMIN_KEY_ID, ADMIN_SECRET)
    session = boto3.session.Session(profile_name="farmstead")
    client = session.client("deadline")
    assert client.meta.endpoint_url == server.endpoint
    assert client.meta.config.inject_host_prefix is False
    sent = []
    client.meta.events.register("before-send.deadline.GetFarm", lambda request, **_: sent.append(request.url))
    assert client.get_farm(farmId=farm_id)["displayName"] == "profile farm"
    # GetFarm's model asks for the `management.` host prefix; the profile turns it off.
    assert sent == [f"{server.endpoint}/2023-10-12/farms/{farm_id}"]
    assert session.client("logs").meta.endpoint_url == server.endpoint
    # The top-level endpoint_url covers services without their own block.
    assert session.client("sts").meta.endpoint_url == server.endpoint
    # The user's other profiles still load.
    assert boto3.session.Session(profile_name="studio").region_name == "us-east-1"


def test_update_ini_text_appends_a_missing_key_before_the_blank_line_that_ends_its_section():
    text = "[profile farmstead]\nregion = x\n\n[profile other]\nregion = y\n"
    updated = aws_profile.update_ini_text(text, {"profile farmstead": {"services": "farmstead"}})
    assert updated == "[profile farmstead]\nregion = x\nservices = farmstead\n\n[profile other]\nregion = y\n"

"""What `farmstead up` writes into the `deadline` CLI's settings file: the `farmstead` profile's farm and
queue always, the CLI's default profile only where the user has not chosen one, a backup of a file of the
user's, and the list of what changed."""

from __future__ import annotations

import configparser

import pytest

from farmstead.cli import deadline_config

FARM, QUEUE = "farm-" + "1" * 32, "queue-" + "2" * 32


@pytest.fixture
def settings_file(tmp_path, monkeypatch):
    path = tmp_path / ".deadline" / "config"
    monkeypatch.setenv("DEADLINE_CONFIG_FILE_PATH", str(path))
    return path


def _read(path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser()
    parser.read(path)
    return parser


def test_on_a_machine_without_deadline_settings_farmstead_becomes_the_default_profile(settings_file):
    written = deadline_config.point_at("farmstead", FARM, QUEUE, "us-west-2")
    parsed = _read(settings_file)
    assert parsed["defaults"]["aws_profile_name"] == "farmstead"
    assert parsed["profile-farmstead defaults"]["farm_id"] == FARM
    assert parsed[f"profile-farmstead {FARM} defaults"]["queue_id"] == QUEUE
    assert parsed["settings"]["deadline_regions"] == "us-west-2"
    assert written.backup is None and written.kept_profile is None
    assert written.changes == ["defaults.aws_profile_name = farmstead",
                               f"defaults.farm_id of profile farmstead = {FARM}",
                               f"defaults.queue_id of profile farmstead = {QUEUE}",
                               "settings.deadline_regions = us-west-2"]
    assert deadline_config.defaults_of("farmstead") == deadline_config.defaults_of(None) == (FARM, QUEUE)
    again = deadline_config.point_at("farmstead", FARM, QUEUE, "us-west-2")
    assert again.changes == [] and again.backup is None


def test_a_users_own_default_profile_and_regions_are_kept_and_the_file_backed_up(settings_file):
    settings_file.parent.mkdir()
    original = ("[defaults]\naws_profile_name = studio\n\n[profile-studio defaults]\nfarm_id = farm-aws\n\n"
                "[settings]\ndeadline_regions = us-east-1,eu-west-1\n")
    settings_file.write_text(original)
    written = deadline_config.point_at("farmstead", FARM, QUEUE, "us-west-2")
    parsed = _read(settings_file)
    assert parsed["defaults"]["aws_profile_name"] == "studio"
    assert parsed["profile-studio defaults"]["farm_id"] == "farm-aws"
    assert parsed["settings"]["deadline_regions"] == "us-east-1,eu-west-1"
    assert parsed[f"profile-farmstead {FARM} defaults"]["queue_id"] == QUEUE
    assert written.kept_profile == "studio"
    assert written.changes == [f"defaults.farm_id of profile farmstead = {FARM}",
                               f"defaults.queue_id of profile farmstead = {QUEUE}"]
    assert written.backup == settings_file.with_name("config.farmstead-backup")
    assert written.backup.read_text() == original
    assert settings_file.read_text().startswith(original.rstrip("\n"))  # the user's lines, byte for byte
    assert deadline_config.defaults_of("farmstead") == (FARM, QUEUE)
    assert deadline_config.defaults_of(None) == ("farm-aws", None)
    # A later farm changes only Farmstead's profile, and the first backup is never overwritten.
    deadline_config.point_at("farmstead", "farm-" + "3" * 32, QUEUE, "us-west-2")
    assert written.backup.read_text() == original

"""Path mapping rules from the job's and the worker fleet's storage profiles."""

from __future__ import annotations

from farmstead.domain.path_mapping import path_format, rules

WINDOWS = [{"name": "Assets", "path": "Z:\\assets", "type": "SHARED"},
           {"name": "Scratch", "path": "C:\\scratch", "type": "LOCAL"},
           {"name": "Only on windows", "path": "Y:\\x", "type": "SHARED"}]
LINUX = [{"name": "Assets", "path": "/mnt/assets", "type": "SHARED"},
         {"name": "Scratch", "path": "/scratch", "type": "LOCAL"}]


def test_locations_named_in_both_profiles_map_the_submitters_path_to_the_workers():
    assert rules("WINDOWS", WINDOWS, "LINUX", LINUX) == [
        {"sourcePathFormat": "windows", "sourcePath": "Z:\\assets", "destinationPath": "/mnt/assets"},
        {"sourcePathFormat": "windows", "sourcePath": "C:\\scratch", "destinationPath": "/scratch"}]


def test_a_location_named_in_one_profile_only_has_no_rule():
    assert all(rule["sourcePath"] != "Y:\\x" for rule in rules("WINDOWS", WINDOWS, "LINUX", LINUX))


def test_identical_paths_on_the_same_kind_of_host_need_no_rule():
    assert rules("LINUX", LINUX, "MACOS", LINUX) == []
    moved = [{"name": "Assets", "path": "/Volumes/assets", "type": "SHARED"}]
    assert rules("LINUX", LINUX, "MACOS", moved) == [
        {"sourcePathFormat": "posix", "sourcePath": "/mnt/assets", "destinationPath": "/Volumes/assets"}]


def test_path_format_is_windows_only_for_windows_profiles():
    assert [path_format(os) for os in ("WINDOWS", "LINUX", "MACOS")] == ["windows", "posix", "posix"]

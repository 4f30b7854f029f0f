"""How `farmstead submit` groups a submission's files into job attachment roots with a storage profile:
one root per LOCAL location (named by it), nothing for SHARED locations, one root for the rest."""

from __future__ import annotations

from pathlib import Path

import pytest

from farmstead.attachments.submission import AssetReferences, plan, plan_with_locations


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for relative in ("project/in/a.txt", "project/in/deeper/b.txt", "shared/ref.txt", "elsewhere/c.txt",
                     "project/cache/d.txt"):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(relative)
    return tmp_path


def references(tree: Path) -> AssetReferences:
    return AssetReferences(input_files={tree / "shared/ref.txt", tree / "elsewhere/c.txt",
                                        tree / "project/cache/d.txt"},
                           input_directories={tree / "project/in"},
                           output_directories={tree / "project/out", tree / "shared/renders"})


def test_local_locations_are_roots_of_their_own_and_shared_ones_are_left_in_place(tree):
    locations = [{"name": "Project", "path": str(tree / "project"), "type": "LOCAL"},
                 {"name": "Cache", "path": str(tree / "project/cache"), "type": "LOCAL"},
                 {"name": "Shared", "path": str(tree / "shared"), "type": "SHARED"}]
    planned = plan_with_locations(references(tree), locations)
    roots = {root.file_system_location_name: root for root in planned.roots}
    assert set(roots) == {None, "Project", "Cache"}
    assert roots["Project"].path == tree / "project"
    assert roots["Project"].files == [tree / "project/in/a.txt", tree / "project/in/deeper/b.txt"]
    assert roots["Project"].output_relative_directories == ["out"]
    # The deepest location holding a file wins.
    assert roots["Cache"].files == [tree / "project/cache/d.txt"]
    assert roots[None].path == tree / "elsewhere" and roots[None].files == [tree / "elsewhere/c.txt"]
    assert planned.shared == [tree / "shared/ref.txt", tree / "shared/renders"]


def test_without_locations_everything_makes_the_one_root_plan_gives(tree):
    planned = plan_with_locations(references(tree), ())
    assert planned.shared == []
    assert planned.roots == [plan(references(tree))]
    assert planned.roots[0].path == tree and planned.roots[0].file_system_location_name is None


def test_a_missing_input_is_an_error_with_locations_too(tree):
    missing = AssetReferences(input_files={tree / "project/nowhere.txt"})
    with pytest.raises(FileNotFoundError, match="nowhere.txt"):
        plan_with_locations(missing, [{"name": "Project", "path": str(tree / "project"), "type": "LOCAL"}])

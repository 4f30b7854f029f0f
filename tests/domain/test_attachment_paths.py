"""The attachment paths CreateJob accepts: relative, and never above their root, in either OS's notation."""

from __future__ import annotations

import pytest

from farmstead.domain.attachment_paths import attachment_path_problems, escape_reason


@pytest.mark.parametrize("path", ["renders", "renders/beauty", "renders\\beauty", ".", "./out", "a..b", "..hidden",
                                  "out/..x/y", "dir with spaces/x"])
def test_paths_below_the_root_are_accepted(path):
    assert escape_reason(path) is None


@pytest.mark.parametrize("path, reason", [
    ("..", "'..'"), ("../outside", "'..'"), ("a/../../b", "'..'"), ("a\\..\\..\\b", "'..'"), ("out/..", "'..'"),
    ("/etc", "absolute"), ("\\Windows", "absolute"), ("\\\\server\\share", "absolute"), ("C:\\renders", "absolute"),
    ("c:renders", "absolute"), ("/" + "../" * 12 + "home", "absolute"),
])
def test_paths_that_leave_the_root_are_refused(path, reason):
    assert reason in escape_reason(path)


def test_problems_name_each_offending_field():
    attachments = {"manifests": [
        {"rootPath": "/proj", "rootPathFormat": "posix", "outputRelativeDirectories": ["ok", "../../x"]},
        {"rootPath": "C:\\proj", "rootPathFormat": "windows", "outputRelativeDirectories": ["D:\\x"],
         "inputManifestPath": "../other/manifest"},
    ]}
    assert [name for name, _ in attachment_path_problems(attachments)] == [
        "attachments.manifests[0].outputRelativeDirectories[1]",
        "attachments.manifests[1].outputRelativeDirectories[0]",
        "attachments.manifests[1].inputManifestPath",
    ]
    assert attachment_path_problems(None) == []

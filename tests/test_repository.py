"""The checkout stays clean: what Farmstead's commands write by default, run from the repository, is
git-ignored (a `git status` after `make up` or a bare `farmstead worker` shows nothing new)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("git") is None or not (REPO / ".git").exists(), reason="needs a git checkout")
@pytest.mark.parametrize("path", ["farmstead-data/farmstead.db", "farmstead-worker/worker.json",
                                  "farmstead-worker/sessions/s1/out.exr", ".e2e-venvs/deadline-cli/bin/deadline"])
def test_what_the_commands_write_by_default_is_ignored_by_git(path):
    checked = subprocess.run(["git", "check-ignore", "-q", path], cwd=REPO, capture_output=True)
    assert checked.returncode == 0, f"{path} is not git-ignored"

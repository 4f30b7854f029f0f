"""Fixtures of the render tests: a user's environment with no AWS or Farmstead settings of the caller's."""

from __future__ import annotations

import os

import pytest


@pytest.fixture
def isolated_env(tmp_path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FARMSTEAD_", "DEADLINE_"))}
    env.update({"HOME": str(home), "AWS_CONFIG_FILE": str(home / ".aws" / "config"),
                "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials"),
                "DEADLINE_CONFIG_FILE_PATH": str(home / ".deadline" / "config"), "COLUMNS": "250"})
    return env

"""Running pytest as a studio does: in a fresh process, on test files in a directory of their own (no
conftest, no ini file of this repository), with the plugins of the installed packages loaded by their
entry points."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

#: What the outer pytest (and xdist) set that would change how the inner run behaves.
_OUTER = ("PYTEST_", "AWS_", "DEADLINE_")

StudioPytest = Callable[..., subprocess.CompletedProcess]


@pytest.fixture
def studio_pytest(tmp_path: Path) -> StudioPytest:
    """studio_pytest({"test_x.py": source}, *args, env={...}): `python -m pytest -ra args` in a new
    directory holding those files; returns the finished process (text output)."""
    def run(files: dict[str, str], *args: str, env: dict[str, str] | None = None,
            timeout: float = 240) -> subprocess.CompletedProcess:
        project = tmp_path / "studio"
        project.mkdir(exist_ok=True)
        for name, text in files.items():
            (project / name).write_text(text)
        clean = {key: value for key, value in os.environ.items() if not key.startswith(_OUTER)}
        return subprocess.run([sys.executable, "-m", "pytest", "-ra", "-p", "no:cacheprovider", *args],
                              cwd=project, env={**clean, **(env or {})}, capture_output=True, text=True,
                              timeout=timeout)
    return run

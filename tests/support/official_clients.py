"""The official AWS clients, installed from PyPI into virtual environments of their own.

Their pins never fight ours: each gets a venv under `.e2e-venvs/` (kept between runs, rebuilt when
the pinned version changes). When PyPI can't be reached the tests that need them skip, saying why.
"""

from __future__ import annotations

import fcntl
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / ".e2e-venvs"
WORKER_AGENT = "deadline-cloud-worker-agent==0.33.6"
DEADLINE_CLI = "deadline==0.60.10"


def client_venv(name: str, requirement: str) -> tuple[Path | None, str | None]:
    """(bin directory, None) once `requirement` is installed in its own venv; (None, reason) if it can't be."""
    ROOT.mkdir(exist_ok=True)
    # Test processes run side by side (pytest -n): on a clean clone two of them would build the same
    # venv at once, one removing the other's half-made one. The first builds it; the rest wait.
    with open(ROOT / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _install(ROOT / name, requirement)


def _install(home: Path, requirement: str) -> tuple[Path | None, str | None]:
    stamp = home / "installed.txt"
    if stamp.exists() and stamp.read_text() == requirement:
        return home / "bin", None
    if home.exists():
        subprocess.run(["rm", "-rf", str(home)], check=True)
    venv.EnvBuilder(with_pip=True).create(home)
    done = subprocess.run([str(home / "bin" / "python"), "-m", "pip", "install", "--quiet", requirement],
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        return None, f"could not install {requirement} from PyPI: {done.stderr.strip()[-500:]}"
    stamp.write_text(requirement)
    return home / "bin", None


def installed(name: str, requirement: str, executable: str) -> Path:
    """`executable` from the venv `name` with `requirement` installed; the calling test skips, saying
    why, when it can't be installed."""
    bin_dir, reason = client_venv(name, requirement)
    if bin_dir is None:
        import pytest

        pytest.skip(reason)
    return bin_dir / executable


def deadline_cli() -> Path:
    """The official `deadline` command (its venv's python beside it)."""
    return installed("deadline-cli", DEADLINE_CLI, "deadline")


def worker_agent() -> Path:
    """The official `deadline-worker-agent` command (its venv's python beside it)."""
    return installed("worker-agent", WORKER_AGENT, "deadline-worker-agent")


if __name__ == "__main__":
    print(client_venv(sys.argv[1], sys.argv[2]))

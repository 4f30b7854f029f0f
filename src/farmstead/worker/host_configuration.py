"""A fleet's host configuration script on this worker, run before the worker takes any work.

Owns: writing the script into the work dir (`host_configuration.sh`, or `.ps1` on Windows; owner-only,
executable), running it there as the official agent does: with DEADLINE_FARM_ID, DEADLINE_FLEET_ID,
DEADLINE_WORKER_ID, HOST_CONFIG_TIMEOUT_SECONDS and the fleet role's keys in its environment; each
line of its output into the worker log (so into the worker's log stream too); stopping it, with
everything it started, once scriptTimeoutSeconds have passed or the worker is asked to stop.
The script is meant to run as an administrator. The official agent runs it as root through sudo;
this worker runs it as itself: as root when it is root, else with a note in the log (as a queue's
run-as user is handled, session_inputs.run_as).
Must not: call the server (agent.py reports the outcome and remembers a success).
"""

from __future__ import annotations

import getpass
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("farmstead.worker")

#: After the timeout (or a stop), how long the script's processes get after SIGTERM before SIGKILL.
KILL_GRACE_SECONDS = 5.0


@dataclass(frozen=True)
class Outcome:
    exit_code: int | None
    """The script's exit code; None when it did not finish (timed out, stopped, or could not start)."""
    message: str
    """What happened, for the worker log: shown on failure."""

    @property
    def succeeded(self) -> bool:
        return self.exit_code == 0


def environment(ids: dict[str, str], timeout_seconds: int, fleet_keys: dict[str, str]) -> dict[str, str]:
    """The variables the official agent gives the script, over the worker's own environment."""
    env = dict(os.environ)
    env.update({"DEADLINE_FARM_ID": ids["farmId"], "DEADLINE_FLEET_ID": ids["fleetId"],
                "DEADLINE_WORKER_ID": ids["workerId"], "HOST_CONFIG_TIMEOUT_SECONDS": str(timeout_seconds),
                "AWS_ACCESS_KEY_ID": fleet_keys["access_key"], "AWS_SECRET_ACCESS_KEY": fleet_keys["secret_key"]})
    if fleet_keys.get("token"):
        env["AWS_SESSION_TOKEN"] = fleet_keys["token"]
    return env


def run(body: str, timeout_seconds: float, env: dict[str, str], directory: Path,
        stop: threading.Event | None = None) -> Outcome:
    """Run the script to its end, its timeout, or `stop`; its output goes to the worker log."""
    windows = sys.platform == "win32"
    script = directory / ("host_configuration.ps1" if windows else "host_configuration.sh")
    directory.mkdir(parents=True, exist_ok=True)
    script.write_text(body, encoding="utf-8")
    script.chmod(0o700)
    command = ["powershell.exe", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-File",
               str(script)] if windows else [str(script)]
    if not windows and os.geteuid() != 0:
        log.info("This worker is not root: the host configuration script runs as %r, not as an administrator.",
                 _user())
    log.info("Running the fleet's host configuration script (timeout %d s).", timeout_seconds)
    try:
        process = subprocess.Popen(command, cwd=directory, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, start_new_session=not windows)
    except OSError as error:  # e.g. no interpreter for the script's #! line
        return Outcome(None, f"the host configuration script could not start: {error}")
    try:
        reader = threading.Thread(target=_forward, args=(process,), name="host-configuration-output", daemon=True)
        reader.start()
        ended = _wait(process, timeout_seconds, stop)
        if ended is None:
            _kill(process)
            reason = "the worker is stopping" if stop is not None and stop.is_set() else \
                f"it timed out after {timeout_seconds:g} s"
            reader.join(KILL_GRACE_SECONDS)
            return Outcome(None, f"the host configuration script was stopped: {reason}")
        reader.join(KILL_GRACE_SECONDS)
        return Outcome(ended, f"the host configuration script ended with exit code {ended}")
    finally:
        script.unlink(missing_ok=True)  # it may hold secrets; the agent removes its copy too


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


def _forward(process: subprocess.Popen) -> None:
    assert process.stdout is not None
    for raw in process.stdout:
        log.info("host configuration: %s", raw.decode("utf-8", errors="replace").rstrip("\r\n"))


def _wait(process: subprocess.Popen, timeout_seconds: float, stop: threading.Event | None) -> int | None:
    give_up = time.monotonic() + timeout_seconds
    while True:
        try:
            return process.wait(timeout=max(0.0, min(1.0, give_up - time.monotonic())))
        except subprocess.TimeoutExpired:
            if time.monotonic() >= give_up or (stop is not None and stop.is_set()):
                return None


def _kill(process: subprocess.Popen) -> None:
    """SIGTERM to the script's whole process group; SIGKILL to what is left of it once the script
    has exited or the grace period is over (a child ignoring SIGTERM must not outlive it)."""
    if sys.platform == "win32":
        process.kill()
        process.wait()
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=KILL_GRACE_SECONDS)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()

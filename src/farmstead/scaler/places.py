"""Where the scaler runs workers: this host, or another one over the system's `ssh` client.

Owns: the command line that starts worker N at a place (its own work dir, so a restarted worker N
resumes the same worker identity instead of leaving a new STOPPED worker behind each time), and the
command that asks it to stop (SIGTERM: the worker drains, agent.py). Over SSH the remote shell writes
the worker's pid next to its work dir and `exec`s it, so a second `ssh HOST kill -TERM` reaches it.
Must not: decide how many workers run (scaler/loop.py), or talk to the server.
"""

from __future__ import annotations

import shlex
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

#: The name a place on this host goes by in flags and files.
LOCAL = "local"


@dataclass(frozen=True)
class Place:
    """A host and how many workers the scaler may run on it."""

    host: str
    capacity: int

    @property
    def local(self) -> bool:
        return self.host == LOCAL

    def start_command(self, worker_args: list[str], work_dir: str, ssh_args: list[str] | None = None) -> list[str]:
        """`ssh_args`: options before the host (`-F FILE`: the scaler's --ssh-config)."""
        if self.local:
            return [sys.executable, "-m", "farmstead", "worker", *worker_args, "--work-dir", work_dir]
        remote = shlex.join(["farmstead", "worker", *worker_args, "--work-dir", work_dir])
        pid_file = shlex.quote(f"{work_dir}.pid")
        return ["ssh", "-o", "BatchMode=yes", *(ssh_args or []), self.host,
                f"mkdir -p {shlex.quote(work_dir)} && echo $$ > {pid_file} && exec {remote}"]

    def stop_command(self, work_dir: str, ssh_args: list[str] | None = None) -> list[str]:
        """Over SSH only (a local worker is signalled directly)."""
        return ["ssh", "-o", "BatchMode=yes", *(ssh_args or []), self.host,
                f"kill -TERM \"$(cat {shlex.quote(work_dir + '.pid')})\""]


def parse_place(text: str) -> Place:
    """`HOST` or `HOST:N` (N workers at most; 1 by default); `local` is this host."""
    host, _, count = text.partition(":")
    if not host:
        raise ValueError(f"no host in {text!r}")
    try:
        capacity = int(count) if count else 1
    except ValueError:
        raise ValueError(f"{text!r}: the count after ':' must be a whole number") from None
    if capacity < 1:
        raise ValueError(f"{text!r}: a host takes at least one worker")
    return Place(host, capacity)


def places_from_toml(path: Path) -> list[Place]:
    """A hosts file: `[[hosts]]` tables with `host` and optional `workers` (default 1)."""
    document = tomllib.loads(path.read_text())
    places = []
    for entry in document.get("hosts", []):
        if not isinstance(entry, dict) or not isinstance(entry.get("host"), str):
            raise ValueError(f"{path}: each [[hosts]] entry needs a host = \"NAME\"")
        places.append(parse_place(f"{entry['host']}:{int(entry.get('workers', 1))}"))
    return places

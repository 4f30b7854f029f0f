"""A "remote host" reached over real SSH, on this machine: a Linux network namespace on the private
test subnet 10.231.0.0/30 (this side 10.231.0.1, the host 10.231.0.2; nothing else is ever
addressed), with Debian's OpenSSH server running in it on a configuration, host key and authorized
key of the test's own, and an ssh client configuration (`ssh -F`) naming the host. Key auth only.

The host shares this machine's file system (the work dirs, the installed Python); what runs there
sees only its own network, so a worker started over SSH reaches the server at 10.231.0.1. The
server's PATH gives `farmstead` (a script running this Python on the tree under test), and it takes
the AWS_* variables the client sends (the scaler's credentials), as a studio's hosts would have a
profile. Everything is removed when the context exits, and a run killed outright is cleaned up by the
next (the names are fixed). Needs root and /usr/sbin/sshd (`make ssh-tools`): otherwise the tests
skip and say why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import farmstead

NAMESPACE, THIS_SIDE, HOST_SIDE = "fsssh", "fssshh", "fssshn"
THIS_ADDRESS, HOST_ADDRESS = "10.231.0.1", "10.231.0.2"
SSHD = Path("/usr/sbin/sshd")


def ssh_host_problem() -> str | None:
    """Why the SSH host can't be set up here (None: it can)."""
    if os.geteuid() != 0:
        return "needs root to create the SSH host's network namespace (ip netns, veth)"
    if not SSHD.exists() or shutil.which("ssh") is None or shutil.which("ssh-keygen") is None:
        return "no OpenSSH server here: `make ssh-tools` (root) installs Debian's openssh-server and -client"
    if shutil.which("ip") is None:
        return "`ip` (iproute2) is not installed"
    return None


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check, timeout=30)


def _remove() -> None:
    pids = _ip("netns", "pids", NAMESPACE, check=False).stdout.split()
    for pid in pids:  # what still runs there: this run's sshd and anything it started
        try:
            os.kill(int(pid), 9)
        except ProcessLookupError:
            pass
    _ip("netns", "del", NAMESPACE, check=False)
    _ip("link", "del", THIS_SIDE, check=False)  # goes with the namespace, but asynchronously


class SshHost:
    """`with SshHost(tmp) as host:` then `host.config` for `ssh -F` and `host.name` for the host."""

    name = "render-ssh"

    def __init__(self, tmp: Path) -> None:
        self.dir = tmp
        self.config = tmp / "ssh_config"
        self.sshd: subprocess.Popen | None = None

    def __enter__(self) -> SshHost:
        _remove()
        try:
            self._network()
            self._keys_and_configs()
            self._start_sshd()
        except Exception:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        if self.sshd is not None and self.sshd.poll() is None:
            self.sshd.kill()
            self.sshd.wait(10)
        _remove()

    def _network(self) -> None:
        _ip("netns", "add", NAMESPACE)
        _ip("link", "add", THIS_SIDE, "type", "veth", "peer", "name", HOST_SIDE, "netns", NAMESPACE)
        _ip("addr", "add", f"{THIS_ADDRESS}/30", "dev", THIS_SIDE)
        _ip("link", "set", THIS_SIDE, "up")
        _ip("-n", NAMESPACE, "addr", "add", f"{HOST_ADDRESS}/30", "dev", HOST_SIDE)
        _ip("-n", NAMESPACE, "link", "set", HOST_SIDE, "up")
        _ip("-n", NAMESPACE, "link", "set", "lo", "up")

    def _keys_and_configs(self) -> None:
        d = self.dir
        for key in ("host_key", "client_key"):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / key)], check=True)
        shutil.copy(d / "client_key.pub", d / "authorized_keys")
        (d / "known_hosts").write_text(f"{HOST_ADDRESS} {(d / 'host_key.pub').read_text()}")
        bin_dir = d / "bin"
        bin_dir.mkdir()
        (bin_dir / "farmstead").write_text(f"#!/bin/sh\nexec {sys.executable} -m farmstead \"$@\"\n")
        (bin_dir / "farmstead").chmod(0o755)
        source = Path(farmstead.__file__).resolve().parents[1]  # the tree under test, not an installed copy
        (d / "sshd_config").write_text(
            f"ListenAddress {HOST_ADDRESS}\nPort 22\nHostKey {d / 'host_key'}\nPidFile {d / 'sshd.pid'}\n"
            f"AuthorizedKeysFile {d / 'authorized_keys'}\nPasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nStrictModes no\nUsePAM no\n"
            "AcceptEnv AWS_*\n"
            f"SetEnv PATH={bin_dir}:/usr/bin:/bin PYTHONPATH={source}\n")
        self.config.write_text(
            f"Host {self.name}\n  HostName {HOST_ADDRESS}\n  User root\n"
            f"  IdentityFile {d / 'client_key'}\n  IdentitiesOnly yes\n  UserKnownHostsFile {d / 'known_hosts'}\n"
            "  StrictHostKeyChecking yes\n"
            "  SendEnv AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_EC2_METADATA_DISABLED\n")

    def _start_sshd(self) -> None:
        Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege separation directory
        self.sshd = subprocess.Popen(["ip", "netns", "exec", NAMESPACE, str(SSHD), "-D", "-e",
                                      "-f", str(self.dir / "sshd_config")],
                                     stdout=open(self.dir / "sshd.txt", "ab"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while self.run("true").returncode != 0:
            if time.monotonic() > deadline:
                raise RuntimeError(f"sshd did not answer: {(self.dir / 'sshd.txt').read_text()[-2000:]}")
            time.sleep(0.2)

    def run(self, command: str) -> subprocess.CompletedProcess:
        """`command` on the host, over SSH."""
        return subprocess.run(["ssh", "-o", "BatchMode=yes", "-F", str(self.config), self.name, command],
                              capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)


@pytest.fixture
def ssh_host(tmp_path):
    if (problem := ssh_host_problem()) is not None:
        pytest.skip(problem)
    (tmp_path / "ssh").mkdir()
    with SshHost(tmp_path / "ssh") as host:
        yield host

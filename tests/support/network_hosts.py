"""Render nodes on other hosts, on this machine: one Linux network namespace per host, on a private test
subnet this module creates and removes.

Each host has its own loopback, a veth pair to a bridge in the test's own namespace (the "studio"
network, whose address the server and the S3 store listen on), an address in 10.200.N.0/24, its own
host name (a UTS namespace) and its own filesystem view (a mount namespace) in which the directories
the test names are covered by an empty tmpfs: the host's scratch directory lives in a tmpfs of its
own, and the studio's files (the submitter's project, the server's and the store's data) are not
there. Only the installed programs (/usr, the virtualenvs) are shared, as on nodes built from one
image.

Everything is removed when the context exits, failed test or not; and a later run removes what a
run that was killed outright left behind (each subnet records its owner's pid under /run).
Needs root (`ip netns`, bridges, mounts): without it, the tests skip and say why.
"""

from __future__ import annotations

import fcntl
import os
import shlex
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

RECORDS = Path("/run/farmstead-test-hosts")
#: The private range the test subnets come from; nothing else is ever addressed.
FIRST_SUBNET, LAST_SUBNET = 17, 250


def require_root_networking() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to create network namespaces for the test hosts (ip netns, veth, bridge)")
    for tool in ("ip", "unshare", "mount"):
        if shutil.which(tool) is None:
            pytest.skip(f"`{tool}` is not installed: the test hosts need iproute2 and util-linux")


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check, timeout=30)


@dataclass
class Host:
    name: str
    namespace: str
    address: str
    scratch: Path
    processes: list[subprocess.Popen] = field(default_factory=list)

    def popen(self, argv: list[str], env: dict[str, str], log: Path, hidden: list[Path],
              directories: list[Path] = ()) -> subprocess.Popen:
        """`argv` on this host, with its host name, `hidden` covered, its scratch directory private and
        `directories` (inside the scratch directory) made first."""
        mounts = [f"mount -t tmpfs -o size=512m farmstead-hidden {shlex.quote(str(path))}"
                  for path in [*hidden, self.scratch]]
        script = "; ".join([
            "set -e", f"hostname {shlex.quote(self.name)}", "ip link set lo up", *mounts,
            *(f"mkdir -p {shlex.quote(str(path))}" for path in directories), f"exec {shlex.join(argv)}"])
        process = subprocess.Popen(
            ["ip", "netns", "exec", self.namespace, "unshare", "--uts", "--mount", "--propagation", "private",
             "sh", "-c", script], env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL)
        self.processes.append(process)
        return process

    def run(self, argv: list[str], timeout: float = 30) -> subprocess.CompletedProcess:
        return subprocess.run(["ip", "netns", "exec", self.namespace, *argv], capture_output=True, text=True,
                              timeout=timeout)


class TestHosts:
    """A bridge with the studio's address (`gateway`) and `count` hosts behind it."""

    __test__ = False  # not a pytest test class

    def __init__(self, count: int, scratch_root: Path, prefix: str = "render") -> None:
        self.count, self.scratch_root, self.prefix = count, scratch_root, prefix
        self.subnet: int | None = None
        self.hosts: list[Host] = []

    # ----- names -----

    def _bridge(self) -> str:
        return f"fs{self.subnet}br"

    def _namespace(self, number: int) -> str:
        return f"fs{self.subnet}h{number}"

    @property
    def gateway(self) -> str:
        return f"10.200.{self.subnet}.1"

    # ----- up and down -----

    def __enter__(self) -> TestHosts:
        RECORDS.mkdir(parents=True, exist_ok=True)
        with open(RECORDS / "lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            _remove_abandoned()
            self.subnet = _free_subnet()
            (RECORDS / f"{self.subnet}.pid").write_text(str(os.getpid()))
            try:
                self._create()
            except Exception:
                self._remove()
                raise
        return self

    def _create(self) -> None:
        bridge = self._bridge()
        _ip("link", "add", bridge, "type", "bridge")
        _ip("addr", "add", f"{self.gateway}/24", "dev", bridge)
        # Nothing a host sends leaves the studio network, whatever this machine's ip_forward says: packets
        # that arrive on the bridge are never forwarded.
        Path(f"/proc/sys/net/ipv4/conf/{bridge}/forwarding").write_text("0\n")
        _ip("link", "set", bridge, "up")
        for number in range(1, self.count + 1):
            namespace, veth = self._namespace(number), f"fs{self.subnet}v{number}"
            _ip("netns", "add", namespace)
            _ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", namespace)
            _ip("link", "set", veth, "master", bridge, "up")
            address = f"10.200.{self.subnet}.{10 + number}"
            _ip("-n", namespace, "addr", "add", f"{address}/24", "dev", "eth0")
            _ip("-n", namespace, "link", "set", "eth0", "up")
            _ip("-n", namespace, "link", "set", "lo", "up")
            # As on a real node: a default route (through the studio side, which forwards nothing: this
            # machine's ip_forward is left as it is). The workers read their address from it.
            _ip("-n", namespace, "route", "add", "default", "via", self.gateway)
            # Instance metadata (the official agent looks for it) fails at once instead of timing out.
            _ip("-n", namespace, "route", "add", "unreachable", "169.254.0.0/16")
            scratch = self.scratch_root / f"{self.prefix}-{number:02d}"
            scratch.mkdir(parents=True, exist_ok=True)
            self.hosts.append(Host(f"{self.prefix}-{number:02d}", namespace, address, scratch))

    def __exit__(self, *exc) -> None:
        with open(RECORDS / "lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self._remove()

    def _remove(self) -> None:
        for host in self.hosts:
            for process in host.processes:
                if process.poll() is None:
                    process.kill()
                    process.wait(10)
        _remove_subnet(self.subnet)


def _free_subnet() -> int:
    taken = _ip("-4", "addr").stdout + _ip("-4", "route").stdout
    for subnet in range(FIRST_SUBNET, LAST_SUBNET + 1):
        if f"10.200.{subnet}." not in taken and not (RECORDS / f"{subnet}.pid").exists():
            return subnet
    raise RuntimeError("no free 10.200.N.0/24 test subnet")


def _remove_subnet(subnet: int | None) -> None:
    """Kill what still runs in the subnet's namespaces (processes this run started there), delete them,
    their veth pairs and the bridge."""
    if subnet is None:
        return
    namespaces = [line.split()[0] for line in _ip("netns", "list").stdout.splitlines()
                  if line.startswith(f"fs{subnet}h")]
    for namespace in namespaces:
        for _ in range(3):
            pids = [int(p) for p in _ip("netns", "pids", namespace, check=False).stdout.split()]
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.2)
        _ip("netns", "del", namespace, check=False)
    # A namespace goes away asynchronously, and its veth pair with it: delete the studio ends now.
    for line in _ip("-br", "link").stdout.splitlines():
        name = line.split()[0].split("@")[0] if line.strip() else ""
        if name.startswith(f"fs{subnet}v"):
            _ip("link", "del", name, check=False)
    _ip("link", "del", f"fs{subnet}br", check=False)
    (RECORDS / f"{subnet}.pid").unlink(missing_ok=True)


def _remove_abandoned() -> None:
    for record in RECORDS.glob("*.pid"):
        try:
            owner = int(record.read_text())
            os.kill(owner, 0)
        except (ValueError, ProcessLookupError):
            _remove_subnet(int(record.stem))
        except PermissionError:
            pass

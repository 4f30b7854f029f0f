"""The test hosts the multi-host render test runs its nodes on (support/network_hosts.py): what a node
sees, and that nothing of the test network outlives a test, a failing one included."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from support.network_hosts import TestHosts, require_root_networking

ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}


@pytest.fixture(autouse=True)
def root_networking():
    require_root_networking()


def _links_and_namespaces(subnet: int) -> list[str]:
    links = subprocess.run(["ip", "-br", "link"], capture_output=True, text=True).stdout.split("\n")
    namespaces = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split("\n")
    return [line for line in links + namespaces if line.startswith(f"fs{subnet}")]


def test_a_node_has_its_own_name_and_address_and_does_not_see_the_studios_files(tmp_path):
    studio = tmp_path / "studio"
    studio.mkdir()
    (studio / "secret.txt").write_text("only on the studio machine")
    with TestHosts(2, tmp_path / "hosts") as network:
        node = network.hosts[0]
        (node.scratch / "before.txt").write_text("the node's scratch starts empty")
        probe = ("import os, socket; print(socket.gethostname()); "
                 f"print(os.path.exists({str(studio / 'secret.txt')!r})); "
                 f"print(sorted(os.listdir({str(node.scratch)!r})))")
        process = node.popen([sys.executable, "-c", probe], ENV, tmp_path / "probe.log", [studio])
        assert process.wait(30) == 0, (tmp_path / "probe.log").read_text()
        assert (tmp_path / "probe.log").read_text().split("\n")[:3] == [node.name, "False", "[]"]
        # Its address is on the test subnet; the studio's loopback is not its loopback.
        addresses = node.run(["ip", "-4", "-br", "addr", "show", "eth0"]).stdout
        assert node.address in addresses and node.address.startswith(f"10.200.{network.subnet}.")
        subnet = network.subnet
        assert _links_and_namespaces(subnet)
    assert _links_and_namespaces(subnet) == []


def test_the_test_network_is_removed_even_when_the_test_fails(tmp_path):
    with pytest.raises(RuntimeError, match="the test failed"):
        with TestHosts(1, tmp_path / "hosts") as network:
            subnet = network.subnet
            sleeper = network.hosts[0].popen(["sleep", "600"], ENV, tmp_path / "sleep.log", [])
            time.sleep(0.2)
            raise RuntimeError("the test failed")
    assert _links_and_namespaces(subnet) == []
    assert sleeper.poll() is not None  # what the test left running on the node was ended

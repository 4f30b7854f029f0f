"""Where `farmstead scaler` runs workers: `--host HOST[:N]`, the hosts file, and the commands per place."""

import shlex
import sys

import pytest

from farmstead.scaler.places import Place, parse_place, places_from_toml


def test_a_host_takes_one_worker_unless_a_count_follows_it():
    assert parse_place("render01") == Place("render01", 1)
    assert parse_place("render01:4") == Place("render01", 4)


@pytest.mark.parametrize("text", ["", ":2", "render01:0", "render01:many"])
def test_a_place_without_a_host_or_with_a_bad_count_is_refused(text):
    with pytest.raises(ValueError):
        parse_place(text)


def test_a_hosts_file_lists_hosts_and_their_worker_counts(tmp_path):
    hosts = tmp_path / "hosts.toml"
    hosts.write_text('[[hosts]]\nhost = "render01"\nworkers = 2\n\n[[hosts]]\nhost = "render02"\n')
    assert places_from_toml(hosts) == [Place("render01", 2), Place("render02", 1)]


def test_a_local_worker_runs_this_python_and_a_remote_one_runs_farmstead_through_ssh():
    assert Place("local", 1).start_command(["--farm-id", "farm-1"], "/w/1") == [
        sys.executable, "-m", "farmstead", "worker", "--farm-id", "farm-1", "--work-dir", "/w/1"]
    remote = Place("render01", 1).start_command(["--farm-id", "farm-1"], "/w/render01 1")
    assert remote[:4] == ["ssh", "-o", "BatchMode=yes", "render01"]
    # The remote shell records its pid (the worker's, after exec) where the stop command reads it.
    assert remote[4] == ("mkdir -p '/w/render01 1' && echo $$ > '/w/render01 1.pid' && exec "
                         + shlex.join(["farmstead", "worker", "--farm-id", "farm-1", "--work-dir", "/w/render01 1"]))
    assert Place("render01", 1).stop_command("/w/render01 1")[4] == "kill -TERM \"$(cat '/w/render01 1.pid')\""


def test_ssh_options_go_before_the_host():
    config = ["-F", "/etc/farmstead/ssh_config"]
    assert Place("render01", 1).start_command([], "/w/1", config)[:6] == [
        "ssh", "-o", "BatchMode=yes", "-F", "/etc/farmstead/ssh_config", "render01"]
    assert Place("render01", 1).stop_command("/w/1", config)[3:6] == ["-F", "/etc/farmstead/ssh_config", "render01"]

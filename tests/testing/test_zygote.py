"""The test zygote (farmstead/testing/zygote.py): servers and workers forked from a process that has
imported them behave as `python -m ...` starts do: their own pid, environment, working directory,
log and arguments, and exit statuses reported as subprocess.Popen reports them."""

from __future__ import annotations

import os
import signal
import subprocess

from farmstead.testing import zygote
from farmstead.testing.live_server import LiveServer


def test_a_forked_process_runs_its_module_with_its_arguments_and_reports_its_exit_code(tmp_path):
    log = tmp_path / "version.log"
    process = zygote.spawn("farmstead", ["--version"], os.environ, log)
    assert isinstance(process, zygote.ForkedProcess)
    assert process.wait(30) == 0
    assert "farmstead, version" in log.read_text()

    refused = zygote.spawn("farmstead", ["no-such-command"], os.environ, tmp_path / "usage.log")
    assert refused.wait(30) == 2  # click's usage error, as `python -m farmstead no-such-command` exits
    assert "No such command" in (tmp_path / "usage.log").read_text()


def test_a_forked_process_runs_in_the_directory_it_was_started_from(tmp_path, monkeypatch):
    (tmp_path / "relative.json").write_text('{"answer": 42}')
    monkeypatch.chdir(tmp_path)
    process = zygote.spawn("json.tool", ["relative.json"], os.environ, tmp_path / "tool.log")
    assert process.wait(30) == 0
    assert '"answer": 42' in (tmp_path / "tool.log").read_text()


def test_a_forked_server_answers_with_the_key_its_environment_gave_and_dies_of_sigkill_as_reported(tmp_path):
    server = LiveServer(tmp_path).start()
    try:
        assert isinstance(server.process, zygote.ForkedProcess)
        assert server.client().list_farms()["farms"] == []  # signed with FARMSTEAD_ADMIN_* from its env
        server.process.kill()
        assert server.process.wait(30) == -signal.SIGKILL
        assert server.process.poll() == -signal.SIGKILL
        server.process.terminate()  # a pid that ended is never signalled again
    finally:
        server.stop()


def test_a_server_stopped_with_sigterm_ends_and_can_start_again_on_its_data(tmp_path):
    server = LiveServer(tmp_path).start()
    farm_id = server.client().create_farm(displayName="kept")["farmId"]
    server.stop()
    assert server.process is not None and server.process.poll() is not None
    again = LiveServer(tmp_path).start()
    try:
        assert again.client().get_farm(farmId=farm_id)["displayName"] == "kept"
    finally:
        again.stop()


def test_a_process_with_a_pythonpath_of_its_own_is_started_afresh_and_finds_its_modules(tmp_path):
    (tmp_path / "probe_module.py").write_text("print('probe module ran')\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    process = zygote.spawn("probe_module", [], env, tmp_path / "probe.log")
    assert isinstance(process, subprocess.Popen)
    assert process.wait(30) == 0
    assert "probe module ran" in (tmp_path / "probe.log").read_text()


def test_with_the_zygote_turned_off_every_process_is_started_afresh(tmp_path, monkeypatch):
    monkeypatch.setenv("FARMSTEAD_TEST_ZYGOTE", "0")
    process = zygote.spawn("farmstead", ["--version"], os.environ, tmp_path / "version.log")
    assert isinstance(process, subprocess.Popen)
    assert process.wait(30) == 0

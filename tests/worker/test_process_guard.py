"""What dies with a worker instance: processes carrying its mark, and the sessions they lead."""

import os
import subprocess
import time

import pytest

from farmstead.worker import process_guard
from farmstead.worker.process_guard import ENV_NAME, ProcessGuard, end_marked

pytestmark = pytest.mark.skipif(not process_guard.supported(), reason="needs Linux /proc")


def gone(process: subprocess.Popen, timeout: float = 10) -> bool:
    try:
        process.wait(timeout)
        return True
    except subprocess.TimeoutExpired:
        return False


def alive(pid: int) -> bool:
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def action(token: str | None, script: str) -> subprocess.Popen:
    """What openjd starts for an action: a session of its own, with the session's variables."""
    env = dict(os.environ)
    if token:
        env[ENV_NAME] = token
    return subprocess.Popen(["bash", "-c", script], env=env, start_new_session=True, stdout=subprocess.PIPE, text=True)


def test_a_marked_action_and_a_child_that_dropped_the_mark_both_end(tmp_path):
    started = action("t1", "env -i sleep 60 & echo $!; exec sleep 60")
    scrubbed = int(started.stdout.readline())  # `env -i`: a child with no mark, in the action's session
    other = action("t2", "exec sleep 60")  # another instance's: not ours
    unmarked = action(None, "exec sleep 60")
    try:
        time.sleep(0.2)
        signalled = end_marked("t1")
        assert started.pid in signalled and scrubbed in signalled
        assert gone(started)
        deadline = time.monotonic() + 5
        while alive(scrubbed) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(scrubbed)
        assert other.poll() is None and unmarked.poll() is None
    finally:
        for process in (other, unmarked):
            process.kill()
            process.wait()


def test_a_process_ignoring_sigterm_is_killed_after_the_grace(monkeypatch):
    monkeypatch.setattr(process_guard, "TERM_GRACE", 0.5)
    stubborn = action("t3", "trap '' TERM; while true; do sleep 0.1; done")
    time.sleep(0.3)
    end_marked("t3")
    assert gone(stubborn, 5)


def test_the_guard_ends_its_instances_processes_when_the_worker_lets_go(tmp_path):
    guard = ProcessGuard.start(tmp_path)
    running = action(guard.token, "exec sleep 60")
    time.sleep(0.2)
    assert running.poll() is None
    guard.close()  # what a worker's exit (or death) does to the pipe
    assert gone(running)
    assert not guard.record.exists()
    assert "ended 1 process(es)" in (tmp_path / "worker.log").read_text()


def test_a_worker_starting_ends_what_an_instance_whose_guard_died_left(tmp_path):
    first = ProcessGuard.start(tmp_path)
    left = action(first.token, "exec sleep 60")
    os.kill(first._guard.pid, 9)  # the guard dies with the worker, before it could clean up
    first._guard.wait()
    time.sleep(0.2)
    assert left.poll() is None and first.record.exists()
    second = ProcessGuard.start(tmp_path)
    try:
        assert gone(left)
        assert not first.record.exists() and second.record.exists()
    finally:
        second.close()


def test_the_guard_runs_in_a_session_of_its_own(tmp_path):
    guard = ProcessGuard.start(tmp_path)
    try:
        assert os.getsid(guard._guard.pid) == guard._guard.pid != os.getsid(0)
    finally:
        guard.close()

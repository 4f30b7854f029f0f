"""The `--slots` process (farmstead.worker.slot_processes): slot processes started together, a stop signal
passed on to each, and the exit when a slot ends by itself."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

# A stand-in slot: records its start, exits 0 on SIGTERM (as a worker does after draining), else sleeps.
SLOT = ("import signal, sys, time, pathlib; pathlib.Path(sys.argv[1]).write_text('up'); "
        "signal.signal(signal.SIGTERM, lambda *_: (pathlib.Path(sys.argv[1]).write_text('stopped'), sys.exit(0))); "
        "time.sleep(float(sys.argv[2])); sys.exit(int(sys.argv[3]))")


def supervisor(tmp_path: Path, slots: list[tuple[float, int]]) -> subprocess.Popen:
    """`SlotProcesses.run()` in a process of its own (it owns its signal handlers), over stand-in slots
    that sleep `seconds` then exit with `status`."""
    commands = [[sys.executable, "-c", SLOT, str(tmp_path / f"slot-{n}"), str(seconds), str(status)]
                for n, (seconds, status) in enumerate(slots, 1)]
    code = ("import sys; from farmstead.worker.slot_processes import SlotProcesses; "
            f"sys.exit(SlotProcesses({commands!r}).run())")
    return subprocess.Popen([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})


def states(tmp_path: Path, count: int) -> list[str]:
    return [(tmp_path / f"slot-{n}").read_text() if (tmp_path / f"slot-{n}").exists() else "" for n in
            range(1, count + 1)]


def wait_for(check, seconds: float = 20) -> None:
    give_up = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < give_up, "timed out"
        time.sleep(0.05)


def test_sigterm_reaches_every_slot_and_the_command_exits_0_once_they_have(tmp_path):
    process = supervisor(tmp_path, [(60, 0), (60, 0), (60, 0)])
    wait_for(lambda: states(tmp_path, 3) == ["up"] * 3)
    process.send_signal(signal.SIGTERM)
    assert process.wait(20) == 0
    assert states(tmp_path, 3) == ["stopped"] * 3


def test_a_slot_that_fails_stops_the_others_and_its_status_is_the_commands(tmp_path):
    process = supervisor(tmp_path, [(60, 0), (1, 3)])
    assert process.wait(30) == 3
    assert states(tmp_path, 2)[0] == "stopped"


def test_a_slot_that_the_service_stopped_leaves_the_others_running(tmp_path):
    process = supervisor(tmp_path, [(0.5, 0), (60, 0)])
    wait_for(lambda: states(tmp_path, 2) == ["up", "up"])
    time.sleep(2)  # slot 1 has exited 0 by now
    assert process.poll() is None and states(tmp_path, 2)[1] == "up"
    process.send_signal(signal.SIGTERM)
    assert process.wait(20) == 0


def test_the_slots_end_when_the_command_is_killed(tmp_path):
    process = supervisor(tmp_path, [(60, 0)])
    wait_for(lambda: states(tmp_path, 1) == ["up"])
    process.kill()
    process.wait()
    wait_for(lambda: states(tmp_path, 1) == ["stopped"], 10)

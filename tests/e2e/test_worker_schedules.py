"""`farmstead worker --schedule` and `--idle-minutes` on a real server: at the end of its work hours (or when a
workstation's user comes back) the worker finishes the task it runs, takes nothing new (STOPPING, then
STOPPED), and starts again when its hours begin."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

import pytest

from farmstead.testing.live_server import LiveServer
from farmstead.testing.waiting import wait_until
from support.worker_farms import Farm

#: Seconds from the worker's start to the end of its hours, and how long they stay ended.
OPEN_FOR = 25
CLOSED_FOR = 15


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    server = LiveServer(tmp_path_factory.mktemp("schedule-server")).start()
    yield server
    server.stop()


def noon_time_zone() -> tuple[str, timedelta]:
    """A POSIX TZ under which it is about noon now, and its offset from UTC: the schedule's windows
    then never cross midnight, whenever the test runs."""
    now = datetime.now(UTC)
    offset = timedelta(hours=12) - timedelta(hours=now.hour, minutes=now.minute)
    if offset > timedelta(hours=12):
        offset -= timedelta(days=1)
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes >= 0 else "+"  # POSIX TZ offsets are west of Greenwich: UTC+3 is "XXX-3"
    return f"NOON{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}", offset


def clock(moment: datetime) -> str:
    return moment.strftime("%H:%M:%S")


def task(out, name: str, until_epoch: int | None = None) -> dict:
    """A one-task job that records when it started and ended (epoch seconds); it runs until `until_epoch`."""
    wait = f"while [ $(date +%s) -lt {until_epoch} ]; do sleep 0.2; done; " if until_epoch else ""
    return {"specificationVersion": "jobtemplate-2023-09", "name": name, "steps": [{"name": "Work", "script": {
        "actions": {"onRun": {"command": "bash", "args": ["-c", f"date +%s.%N > {out}/{name}-start; {wait}"
                                                                f"date +%s.%N > {out}/{name}-end"]}}}}]}


def status(farm: Farm) -> str:
    (worker,) = farm.workers()
    return worker["status"]


def test_a_worker_finishes_its_task_at_the_end_of_its_hours_takes_nothing_until_they_begin_again(live, tmp_path):
    farm = Farm(live, tmp_path)
    zone, offset = noon_time_zone()
    started = datetime.now(UTC)
    closes, opens = started + timedelta(seconds=OPEN_FOR), started + timedelta(seconds=OPEN_FOR + CLOSED_FOR)
    local = lambda moment: moment + offset  # noqa: E731 - the worker's local time of a UTC moment
    schedule = f"daily 00:00-{clock(local(closes))}, daily {clock(local(opens))}-24:00"
    try:
        farm.start_worker("w", "--schedule", schedule, TZ=zone)
        wait_until(lambda: farm.workers() and status(farm) == "IDLE", 20, "the worker to start")
        assert datetime.now(UTC) < closes - timedelta(seconds=5), "the worker took too long to start"
        # A task that runs across the end of the hours: it is finished, not interrupted.
        across = farm.submit(task(farm.out, "across", until_epoch=int(closes.timestamp()) + 4))
        wait_until(lambda: (farm.out / "across-start").exists(), 10, "the task to start before the hours end")

        wait_until(lambda: status(farm) == "STOPPING", OPEN_FOR + 5, "the worker to say STOPPING")
        assert datetime.now(UTC) >= closes - timedelta(seconds=1)  # the clock's second, not before
        assert not (farm.out / "across-end").exists()
        later = farm.submit(task(farm.out, "later"))

        assert farm.wait_for_job(across, timeout=20)["taskRunStatus"] == "SUCCEEDED", farm.worker_output("w")
        wait_until(lambda: status(farm) == "STOPPED", 15, "the worker to be STOPPED once it finished")
        assert farm.job(later)["taskRunStatus"] == "READY"
        time.sleep(max(0.0, (opens - datetime.now(UTC)).total_seconds() - 1))
        assert farm.job(later)["taskRunStatus"] == "READY"  # nothing taken while the hours are over

        assert farm.wait_for_job(later, timeout=30)["taskRunStatus"] == "SUCCEEDED", farm.worker_output("w")
        # The schedule names whole seconds (clock() drops the fraction): the hours begin at opens' second.
        assert float((farm.out / "later-start").read_text()) >= opens.replace(microsecond=0).timestamp() - 0.5
        assert status(farm) in ("IDLE", "RUNNING")
    finally:
        farm.stop_all()


def test_a_workstation_joins_after_minutes_without_input_and_leaves_when_its_user_comes_back(live, tmp_path):
    """`--idle-minutes` with the X display's idle time: `xprintidle` here is a script printing what the test
    writes (milliseconds since the last input), so the test plays the user."""
    farm = Farm(live, tmp_path)
    idle_ms, tools = tmp_path / "idle-ms", tmp_path / "bin"
    tools.mkdir()
    (tools / "xprintidle").write_text(f"#!/bin/sh\ncat {idle_ms}\n")
    (tools / "xprintidle").chmod(0o755)
    idle_ms.write_text("1000\n")  # someone typed a second ago
    try:
        farm.start_worker("desk", "--idle-minutes", "0.5", DISPLAY=":99",
                          PATH=f"{tools}{os.pathsep}{os.environ['PATH']}")
        job_id = farm.submit(task(farm.out, "first"))
        time.sleep(8)
        assert farm.workers() == [] and farm.job(job_id)["taskRunStatus"] == "READY", farm.worker_output("desk")

        idle_ms.write_text("29000\n")
        time.sleep(6)
        assert farm.workers() == []  # 29 s is not half a minute
        idle_ms.write_text("31000\n")
        assert farm.wait_for_job(job_id, timeout=20)["taskRunStatus"] == "SUCCEEDED", farm.worker_output("desk")

        long_job = farm.submit(task(farm.out, "long", until_epoch=int(time.time()) + 12))
        wait_until(lambda: (farm.out / "long-start").exists(), 10, "the long task to start")
        idle_ms.write_text("0\n")  # the user is back: the task finishes, nothing new is taken
        wait_until(lambda: status(farm) == "STOPPING", 10, "the worker to say STOPPING")
        assert not (farm.out / "long-end").exists()
        assert farm.wait_for_job(long_job, timeout=20)["taskRunStatus"] == "SUCCEEDED"
        wait_until(lambda: status(farm) == "STOPPED", 15, "the worker to be STOPPED")
    finally:
        farm.stop_all()

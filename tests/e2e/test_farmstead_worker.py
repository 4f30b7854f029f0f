"""Real `farmstead worker` processes run jobs on a real server: environments, dependencies, failures and
retries, cancels, a SIGKILLed worker, a SIGTERM drain, and a restart that keeps the worker's identity."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from farmstead.testing.live_server import LiveServer
from farmstead.testing.waiting import wait_until
from support.worker_farms import Farm


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie waiting for its reaper counts as gone.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    server = LiveServer(tmp_path_factory.mktemp("worker-server")).start()
    yield server
    server.stop()


@pytest.fixture
def farm(live, tmp_path):
    farm = Farm(live, tmp_path)
    yield farm
    farm.stop_all()


@pytest.fixture(scope="module")
def impatient_live(tmp_path_factory):
    """A server that declares a worker NOT_RESPONDING after 3 silent seconds."""
    server = LiveServer(tmp_path_factory.mktemp("impatient-server"),
                        extra_env={"FARMSTEAD_WORKER_TIMEOUT_SECONDS": "3"}).start()
    yield server
    server.stop()


@pytest.fixture
def impatient_farm(impatient_live, tmp_path):
    farm = Farm(impatient_live, tmp_path)
    yield farm
    farm.stop_all()


def bash(script: str) -> dict:
    return {"command": "bash", "args": ["-c", script]}


def test_multi_step_job_with_environments_and_a_dependency_writes_its_files(farm):
    out = farm.out
    template = {
        "specificationVersion": "jobtemplate-2023-09", "name": "multi-step",
        "parameterDefinitions": [{"name": "Greeting", "type": "STRING", "default": "hi"}],
        "jobEnvironments": [{"name": "JobEnv", "script": {"actions": {
            "onEnter": bash(f"echo job-enter >> {out}/envs.log; echo 'openjd_env: JOBVAR=jobvalue'"),
            "onExit": bash(f"echo job-exit >> {out}/envs.log")}}}],
        "steps": [
            {"name": "Make",
             "parameterSpace": {"taskParameterDefinitions": [{"name": "Frame", "type": "INT", "range": "1-3"}]},
             "stepEnvironments": [{"name": "StepEnv", "script": {"actions": {
                 "onEnter": bash(f"echo step-enter >> {out}/envs.log; echo 'openjd_env: STEPVAR=stepvalue'"),
                 "onExit": bash(f"echo step-exit >> {out}/envs.log")}}}],
             "script": {"actions": {"onRun": {"command": "bash", "args": ["{{Task.File.make}}"]}},
                        "embeddedFiles": [{"name": "make", "type": "TEXT", "data":
                                           f"echo $JOBVAR $STEPVAR {{{{Param.Greeting}}}} > "
                                           f"{out}/make-{{{{Task.Param.Frame}}}}.txt\n"
                                           "echo 'openjd_progress: 100'\n"
                                           "echo 'openjd_status: made {{Task.Param.Frame}}'\n"}]}},
            {"name": "Gather", "dependencies": [{"dependsOn": "Make"}],
             "script": {"actions": {"onRun": bash(f"cat {out}/make-1.txt {out}/make-2.txt {out}/make-3.txt "
                                                  f"> {out}/gather.txt")}}},
        ],
    }
    job_id = farm.submit(template, parameters={"Greeting": {"string": "hello"}})
    farm.start_worker("w1")
    job = farm.wait_for_job(job_id)
    assert job["taskRunStatus"] == "SUCCEEDED", farm.worker_output("w1")
    assert job["taskRunStatusCounts"]["SUCCEEDED"] == 4
    # Once STARTED, before its first session: out of the collector's full passes (farmstead.startup_heap).
    assert "start-up heap frozen:" in (farm.tmp / "w1" / "worker.log").read_text()
    for frame in (1, 2, 3):
        assert (out / f"make-{frame}.txt").read_text() == "jobvalue stepvalue hello\n"
    assert (out / "gather.txt").read_text() == "jobvalue stepvalue hello\n" * 3
    # One session per step: environments entered outermost first, exited innermost first. The job is
    # SUCCEEDED when its last task is; its session still exits the job environment after that.
    wait_until(lambda: all(s["lifecycleStatus"] == "ENDED" for s in farm.deadline.list_sessions(
        farmId=farm.farm_id, queueId=farm.queue_id, jobId=job_id)["sessions"]), 10, "the sessions to end")
    assert (out / "envs.log").read_text().split() == [
        "job-enter", "step-enter", "step-exit", "job-exit", "job-enter", "job-exit"]
    make_runs = [a for a in farm.actions(job_id) if "taskRun" in a["definition"]][:3]
    details = [farm.session_action(job_id, a["sessionActionId"]) for a in make_runs]
    assert all(d["status"] == "SUCCEEDED" and d["processExitCode"] == 0 for d in details)
    assert all(d["progressPercent"] == 100.0 for d in details)
    assert sorted(d["progressMessage"] for d in details) == ["made 1", "made 2", "made 3"]


def test_failing_task_is_retried_then_fails_with_its_exit_code_and_log(farm):
    template = {"specificationVersion": "jobtemplate-2023-09", "name": "fails",
                "steps": [{"name": "Broken", "script": {"actions": {"onRun": bash(
                    "echo about to fail on purpose; exit 7")}}}]}
    job_id = farm.submit(template, maxRetriesPerTask=1)
    farm.start_worker("w1")
    job = farm.wait_for_job(job_id)
    assert job["taskRunStatus"] == "FAILED", farm.worker_output("w1")
    assert job["taskFailureRetryCount"] == 1
    runs = [a for a in farm.actions(job_id) if "taskRun" in a["definition"]]
    assert len(runs) == 2  # the first run and its one retry
    for run in runs:
        detail = farm.session_action(job_id, run["sessionActionId"])
        assert detail["status"] == "FAILED"
        assert detail["processExitCode"] == 7
        assert "7" in detail["progressMessage"]
    printed = wait_until(lambda: (text := farm_logs(farm, job_id)).count("about to fail on purpose") == 2 and text,
                         15, "both runs' lines in `farmstead logs`", interval=1)
    assert "exited with code: 7" in printed
    assert printed.count("==> session-") == 2


def farm_logs(farm: Farm, job_id: str, *extra: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "farmstead", "logs", "--endpoint-url", farm.live.endpoint, "--farm-id", farm.farm_id,
         "--queue-id", farm.queue_id, "--job-id", job_id, *extra],
        env=farm.env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def sleeper(out: Path, seconds: int = 120) -> dict:
    """A task that records its pid (so the test can tell it is gone) and sleeps."""
    return {"specificationVersion": "jobtemplate-2023-09", "name": "sleeper",
            "steps": [{"name": "Sleep", "script": {"actions": {"onRun": bash(
                f"echo $$ > {out}/pid-$DEADLINE_SESSIONACTION_ID; exec sleep {seconds}")}}}]}


def test_canceling_a_job_stops_its_running_two_minute_task_within_seconds(farm):
    job_id = farm.submit(sleeper(farm.out))
    farm.start_worker("w1")
    action = wait_until(lambda: farm.running_task_action(job_id), 20, "the task to run")
    pid_file = farm.out / f"pid-{action['sessionActionId']}"
    pid = int(wait_until(lambda: pid_file.exists() and pid_file.read_text().strip(), 10, "the task's pid"))
    session_id = farm.session_action(job_id, action["sessionActionId"])["sessionId"]
    follower = subprocess.Popen(
        [sys.executable, "-m", "farmstead", "logs", "--endpoint-url", farm.live.endpoint, "--farm-id", farm.farm_id,
         "--queue-id", farm.queue_id, "--job-id", job_id, "--session-id", session_id, "--follow"],
        env=farm.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    canceled_at = time.monotonic()
    farm.deadline.update_job(farmId=farm.farm_id, queueId=farm.queue_id, jobId=job_id, targetTaskRunStatus="CANCELED")
    farm.wait_for_job(job_id, timeout=15, statuses=("CANCELED",))
    wait_until(lambda: farm.session_action(job_id, action["sessionActionId"])["status"] == "CANCELED", 10,
               "the action to be reported CANCELED")
    assert time.monotonic() - canceled_at < 10
    wait_until(lambda: not alive(pid), 5, "the sleep process to end")
    assert farm.processes[0].poll() is None  # the worker carries on
    # `farmstead logs --follow` printed the session as it ran and stopped by itself when it ended.
    followed, _ = follower.communicate(timeout=30)
    assert follower.returncode == 0, followed
    assert "Command started as pid" in followed and f"{action['sessionActionId']} CANCELED" in followed


def test_task_of_a_sigkilled_worker_dies_with_it_and_completes_once_on_another_worker(impatient_farm):
    farm, out = impatient_farm, impatient_farm.out
    template = {"specificationVersion": "jobtemplate-2023-09", "name": "survivor",
                "steps": [{"name": "Work", "script": {"actions": {"onRun": bash(
                    f"echo $$ > {out}/pid-$DEADLINE_SESSIONACTION_ID; sleep 8; "
                    f"echo $DEADLINE_WORKER_ID > {out}/done-$DEADLINE_SESSIONACTION_ID; "
                    f"echo $DEADLINE_SESSIONACTION_ID >> {out}/runs")}}}]}
    job_id = farm.submit(template)
    first = farm.start_worker("w1")
    (pid_file,) = wait_until(lambda: list(out.glob("pid-*")), 20, "the task to start on the first worker")
    pid = int(wait_until(lambda: pid_file.read_text().strip(), 5, "the task's pid"))
    first.send_signal(signal.SIGKILL)
    first.wait()
    killed_at = time.monotonic()
    wait_until(lambda: not alive(pid), 5, "the task process of the killed worker to die with it")
    assert time.monotonic() - killed_at < 5
    farm.start_worker("w2")
    job = farm.wait_for_job(job_id, timeout=40)
    assert job["taskRunStatus"] == "SUCCEEDED", farm.worker_output("w2")
    second = farm.worker_id("w2")
    assert second != farm.worker_id("w1")
    (winner,) = [a for a in farm.actions(job_id) if "taskRun" in a["definition"] and a["status"] == "SUCCEEDED"]
    assert (out / f"done-{winner['sessionActionId']}").read_text().strip() == second
    time.sleep(9)  # past the end the orphan would have reached
    assert not (out / f"done-{pid_file.name[len('pid-'):]}").exists()
    assert (out / "runs").read_text().split() == [winner["sessionActionId"]]  # the frame ran once
    statuses = {w["workerId"]: w["status"] for w in farm.workers()}
    assert statuses[farm.worker_id("w1")] == "NOT_RESPONDING"


def test_a_restarted_worker_kills_what_a_killed_instance_and_its_guard_left(farm):
    job_id = farm.submit(sleeper(farm.out))
    worker = farm.start_worker("w1")
    action = wait_until(lambda: farm.running_task_action(job_id), 20, "the task to run")
    pid_file = farm.out / f"pid-{action['sessionActionId']}"
    pid = int(wait_until(lambda: pid_file.exists() and pid_file.read_text().strip(), 10, "the task's pid"))
    # The worker and the process that would have cleaned up after it die together (an OOM kill, say).
    (record,) = (farm.tmp / "w1" / "instances").glob("*.json")
    os.kill(json.loads(record.read_text())["guardPid"], signal.SIGKILL)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    time.sleep(1)
    assert alive(pid)  # nothing has cleaned up yet
    farm.start_worker("w1")
    wait_until(lambda: not alive(pid), 15, "the restarted worker to kill the task its killed instance left")
    wait_until(lambda: "left by an earlier instance" in (farm.tmp / "w1" / "worker.log").read_text(), 5,
               "the worker's log to say so")


def test_a_worker_declared_not_responding_starts_again_and_finishes_the_job(impatient_farm):
    farm = impatient_farm
    template = {"specificationVersion": "jobtemplate-2023-09", "name": "frozen",
                "steps": [{"name": "Work", "script": {"actions": {"onRun": bash(
                    f"echo $$ > {farm.out}/pid-$DEADLINE_SESSIONACTION_ID; sleep 2; "
                    f"echo $DEADLINE_SESSIONACTION_ID >> {farm.out}/runs")}}}]}
    job_id = farm.submit(template)
    worker = farm.start_worker("w1")
    wait_until(lambda: list(farm.out.glob("pid-*")), 20, "the task to start")
    worker.send_signal(signal.SIGSTOP)  # a frozen host: no heartbeat
    try:
        wait_until(lambda: [w for w in farm.workers() if w["status"] == "NOT_RESPONDING"], 15,
                   "the server to give up on the worker")
    finally:
        worker.send_signal(signal.SIGCONT)
    job = farm.wait_for_job(job_id, timeout=30)
    assert job["taskRunStatus"] == "SUCCEEDED", farm.worker_output("w1")
    assert worker.poll() is None
    (listed,) = farm.workers()
    assert listed["workerId"] == farm.worker_id("w1") and listed["status"] in ("IDLE", "RUNNING")
    # The run the server had written off ran to its end; the task then ran again, reported this time.
    assert len((farm.out / "runs").read_text().split()) == 2


def test_sigterm_interrupts_the_running_task_reports_it_and_stops_cleanly(farm):
    job_id = farm.submit(sleeper(farm.out))
    worker = farm.start_worker("w1")
    action = wait_until(lambda: farm.running_task_action(job_id), 20, "the task to run")
    pid_file = farm.out / f"pid-{action['sessionActionId']}"
    pid = int(wait_until(lambda: pid_file.exists() and pid_file.read_text().strip(), 10, "the task's pid"))
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(30) == 0, farm.worker_output("w1")
    assert not alive(pid)
    (listed,) = farm.workers()
    assert listed["status"] == "STOPPED"
    detail = farm.session_action(job_id, action["sessionActionId"])
    assert detail["status"] == "INTERRUPTED"
    assert "SIGTERM" in detail["progressMessage"]
    assert farm.job(job_id)["taskRunStatus"] == "READY"  # the task waits for the next worker, no retry spent


def test_a_restarted_worker_with_the_same_work_dir_keeps_its_worker_id(farm):
    worker = farm.start_worker("w1")
    wait_until(lambda: [w for w in farm.workers() if w["status"] == "IDLE"], 20, "the worker to start")
    first_id = farm.worker_id("w1")
    # A second worker on the same work dir would share its identity: it is refused.
    assert farm.start_worker("w1").wait(30) == 1
    assert "another worker is running with work dir" in farm.worker_output("w1")
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(30) == 0
    assert [w["status"] for w in farm.workers()] == ["STOPPED"]
    farm.start_worker("w1")
    wait_until(lambda: [w for w in farm.workers() if w["status"] == "IDLE"], 20, "the worker to start again")
    assert farm.worker_id("w1") == first_id
    assert [w["workerId"] for w in farm.workers()] == [first_id]


def test_a_server_restart_mid_task_is_ridden_out_and_the_task_still_reports(tmp_path):
    server_dir = tmp_path / "server"
    server_dir.mkdir()
    live = LiveServer(server_dir).start()
    farm = Farm(live, tmp_path)
    try:
        template = {"specificationVersion": "jobtemplate-2023-09", "name": "outage",
                    "steps": [{"name": "Work", "script": {"actions": {"onRun": bash("sleep 4")}}}]}
        job_id = farm.submit(template)
        worker = farm.start_worker("w1")
        wait_until(lambda: farm.running_task_action(job_id), 20, "the task to run")
        live.stop()
        time.sleep(1)
        live.start()
        job = farm.wait_for_job(job_id, timeout=40)
        assert job["taskRunStatus"] == "SUCCEEDED", farm.worker_output("w1")
        assert worker.poll() is None
        assert [w["workerId"] for w in farm.workers()] == [farm.worker_id("w1")]
    finally:
        farm.stop_all()
        live.stop()


def test_session_logs_of_a_queue_associated_after_the_worker_started_still_arrive(farm):
    farm.start_worker("w1")
    wait_until(lambda: [w for w in farm.workers() if w["status"] == "IDLE"], 20, "the worker to start")
    # The worker's fleet keys were minted before this queue served the fleet.
    queue_id = farm.deadline.create_queue(farmId=farm.farm_id, displayName="late",
                                          jobRunAsUser={"runAs": "WORKER_AGENT_USER"})["queueId"]
    farm.deadline.create_queue_fleet_association(farmId=farm.farm_id, queueId=queue_id, fleetId=farm.fleet_id)
    farm.queue_id = queue_id
    job_id = farm.submit({"specificationVersion": "jobtemplate-2023-09", "name": "late",
                          "steps": [{"name": "Hello",
                                     "script": {"actions": {"onRun": bash("echo hello late queue")}}}]})
    assert farm.wait_for_job(job_id)["taskRunStatus"] == "SUCCEEDED"
    wait_until(lambda: "hello late queue" in farm_logs(farm, job_id), 20, "the session log", interval=1)

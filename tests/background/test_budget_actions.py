"""Budgets that count money (docs/fleets.md, "Budgets"), black box: a real server whose sweeper charges
a tracked queue's session time at the fleets' worker-hour rates, while a worker (boto3, the worker
protocol) runs a task; GetBudget and /metrics report it; a real webhook receiver gets Deadline Cloud's
Budget Threshold Reached events, each threshold once and in order; a stop action blocks the queue
(running work completes), a stop-and-cancel action cancels the running task too, and raising the
limit, removing the action or making the budget INACTIVE lifts the block; a stopped queue's READY
tasks ask an auto-scaling fleet for no workers."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from farmstead.domain import budget_usage
from farmstead.testing.live_server import LiveServer
from farmstead.testing.scripted_worker import LINUX_FLEET, ScriptedWorker
from farmstead.testing.waiting import wait_until
from support.scrapes import scrape
from support.webhook_receiver import WebhookReceiver
from support.worker_jobs import ROLE, served_queue, submit

SECRET = "budget secret"
THRESHOLD = "Budget Threshold Reached"
#: $1 a second: a second of session time is a dollar, so a few seconds pass every threshold of a $4 budget.
DOLLARS_PER_HOUR = 3600.0
STOP = "STOP_SCHEDULING_AND_COMPLETE_TASKS"
CANCEL = "STOP_SCHEDULING_AND_CANCEL_TASKS"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # An 8 s worker timeout: the sweeper (which counts usage) passes every 2 s.
    with LiveServer(tmp_path_factory.mktemp("budgets"), extra_env={
            "FARMSTEAD_WORKER_HOUR_COST": str(DOLLARS_PER_HOUR), "FARMSTEAD_WORKER_TIMEOUT_SECONDS": "8"}) as live:
        yield live


@pytest.fixture(scope="module")
def deadline(server):
    return server.client()


@pytest.fixture
def farm(deadline):
    return served_queue(deadline, deadline.create_farm(displayName="budgets")["farmId"])


def _budget(deadline, farm, limit: float, actions: list[dict], **schedule) -> str:
    now = datetime.now(UTC)
    window = {"startTime": schedule.get("start", now - timedelta(hours=1)),
              "endTime": schedule.get("end", now + timedelta(days=1))}
    return deadline.create_budget(farmId=farm["farmId"], displayName="spend", approximateDollarLimit=limit,
                                  usageTrackingResource={"queueId": farm["queueId"]}, actions=actions,
                                  schedule={"fixed": window})["budgetId"]


def _usage(deadline, farm, budget_id) -> float:
    return deadline.get_budget(farmId=farm["farmId"], budgetId=budget_id)["usages"]["approximateDollarUsage"]


def _queue(deadline, farm) -> dict:
    return deadline.get_queue(farmId=farm["farmId"], queueId=farm["queueId"])


def _ready(deadline, farm, job_id) -> None:
    wait_until(lambda: deadline.get_job(farmId=farm["farmId"], queueId=farm["queueId"], jobId=job_id)
               ["taskRunStatus"] == "READY", 30, "the job READY")


class RunningTask:
    """A worker that takes a task and keeps running it (heartbeating) until told to finish."""

    def __init__(self, deadline, farm) -> None:
        self.worker = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])
        self.session_id, self.action_id = wait_until(self._take, 30, "a taskRun for the worker")
        self.cancels: list[str] = []

    def _take(self):
        response = self.worker.poll()
        for session_id, action in self.worker.pending_actions(response):
            if "taskRun" in action["definition"]:
                self.worker.reports[action["sessionActionId"]] = {"startedAt": datetime.now(UTC)}
                return session_id, action["sessionActionId"]
            self.worker.reports[action["sessionActionId"]] = {  # an environment: done at once
                "startedAt": datetime.now(UTC), "endedAt": datetime.now(UTC), "completedStatus": "SUCCEEDED"}
        return None

    def heartbeat(self) -> dict:
        response = self.worker.poll()
        self.cancels += response.get("cancelSessionActions", {}).get(self.session_id, [])
        return response

    def until(self, check, timeout: float, what: str):
        def beat_then_check():
            self.heartbeat()
            return check()
        return wait_until(beat_then_check, timeout, what, interval=0.3)

    def finish(self, status: str = "SUCCEEDED") -> None:
        report = {"endedAt": datetime.now(UTC), "completedStatus": status}
        if status in ("SUCCEEDED", "FAILED"):
            report["processExitCode"] = 0
        self.worker.reports[self.action_id] = report
        self.worker.run()  # reports it, runs what else comes, and polls until no session is left


def _session(deadline, farm, job_id) -> dict:
    return deadline.list_sessions(farmId=farm["farmId"], queueId=farm["queueId"], jobId=job_id)["sessions"][0]


def test_usage_is_the_queues_session_time_at_the_fleets_rate(server, deadline, farm):
    server.cli("fleets", "cost", "--fleet-id", farm["fleetId"], "--dollars-per-hour", "7200")  # $2 a second
    assert f"{farm['fleetId']}\tf\t7200" in server.cli("fleets", "cost", "--farm-id", farm["farmId"])
    assert server.admin("fleets", "cost", "--fleet-id", farm["fleetId"], "--dollars-per-hour", "-1").exit_code != 0
    assert server.admin("fleets", "cost", "--fleet-id", "fleet-" + "0" * 32, "--dollars-per-hour", "1").exit_code != 0
    budget_id = _budget(deadline, farm, 1_000_000.0, [])
    other = _budget(deadline, {**farm, "queueId": deadline.create_queue(farmId=farm["farmId"],
                                                                         displayName="untouched")["queueId"]},
                    1_000_000.0, [])
    job_id = submit(deadline, farm, "1")
    _ready(deadline, farm, job_id)
    running = RunningTask(deadline, farm)
    # Counted while the session is still open (the sweeper's tick), and growing.
    first = running.until(lambda: _usage(deadline, farm, budget_id) or None, 20, "usage counted while running")
    running.until(lambda: _usage(deadline, farm, budget_id) > first, 20, "usage growing")
    running.finish()
    wait_until(lambda: "endedAt" in _session(deadline, farm, job_id), 30, "the session ended")
    session = _session(deadline, farm, job_id)
    expected = (session["endedAt"] - session["startedAt"]).total_seconds() * 2.0
    # The last stretch (up to the session's end) is charged by the next tick, exactly once.
    wait_until(lambda: abs(_usage(deadline, farm, budget_id) - expected) < 0.01 * expected + 0.01, 20,
               f"usage of {expected:.3f} dollars")
    time.sleep(4.5)  # two more ticks: an ended session is not charged again
    assert abs(_usage(deadline, farm, budget_id) - expected) < 0.01 * expected + 0.01
    assert _usage(deadline, farm, other) == 0.0
    server.cli("fleets", "cost", "--fleet-id", farm["fleetId"], "--default")
    assert f"{farm['fleetId']}\tf\tdefault" in server.cli("fleets", "cost", "--farm-id", farm["farmId"])
    gauge = scrape(server.endpoint).value("farmstead_budget_usage_dollars", farm_id=farm["farmId"],
                                          budget_id=budget_id, queue_id=farm["queueId"])
    assert gauge == _usage(deadline, farm, budget_id)


def test_thresholds_reach_a_webhook_and_a_stop_action_blocks_until_the_limit_is_raised(server, deadline, farm):
    receiver = WebhookReceiver(SECRET).start()
    try:
        server.cli("events", "subscribe", "--farm-id", farm["farmId"], "--url", receiver.url, "--secret", SECRET,
                   "--detail-type", THRESHOLD)
        budget_id = _budget(deadline, farm, 4.0, [{"type": STOP, "thresholdPercentage": 55.0}])
        first_job = submit(deadline, farm, "1")
        _ready(deadline, farm, first_job)
        running = RunningTask(deadline, farm)
        running.until(lambda: _queue(deadline, farm)["status"] == "SCHEDULING_BLOCKED", 30, "the queue stopped")
        assert _queue(deadline, farm)["blockedReason"] == "BUDGET_THRESHOLD_REACHED"
        assert "queueStoppedAt" in deadline.get_budget(farmId=farm["farmId"], budgetId=budget_id)
        second_job = submit(deadline, farm, "1")
        _ready(deadline, farm, second_job)
        running.finish()  # the running task completes: the stop only keeps new work from being handed out
        job = deadline.get_job(farmId=farm["farmId"], queueId=farm["queueId"], jobId=first_job)
        assert job["taskRunStatus"] == "SUCCEEDED"
        for _ in range(3):
            assert running.worker.poll()["assignedSessions"] == {}, "a stopped queue handed out work"
        spent = _usage(deadline, farm, budget_id)
        passed = budget_usage.crossed(0.0, budget_usage.percent(spent, 4.0),
                                      [{"type": STOP, "thresholdPercentage": 55.0}])
        wait_until(lambda: len(receiver.received(THRESHOLD)) >= len(passed), 30, f"{len(passed)} threshold events")

        deadline.update_budget(farmId=farm["farmId"], budgetId=budget_id, approximateDollarLimit=1000.0)
        assert _queue(deadline, farm)["status"] != "SCHEDULING_BLOCKED"
        assert "queueStoppedAt" not in deadline.get_budget(farmId=farm["farmId"], budgetId=budget_id)
        wait_until(lambda: running.worker.poll()["assignedSessions"], 30, "the second job's task handed out")
        time.sleep(2)  # a tick after the new limit: nothing more to announce
    finally:
        receiver.stop()
    events = receiver.received(THRESHOLD)
    unique = list({event["id"]: event for event in events}.values())
    thresholds = [event["detail"]["thresholdInPercent"] for event in unique]
    assert thresholds[:6] == [10, 20, 30, 40, 50, 55] and thresholds == sorted(set(thresholds))
    assert thresholds == passed
    first = unique[0]
    assert (first["detail-type"], first["source"], first["resources"]) == (THRESHOLD, "aws.deadline", [])
    assert first["detail"] == {"farmId": farm["farmId"], "budgetId": budget_id, "thresholdInPercent": 10}


def test_a_cancel_action_cancels_the_running_task_and_removing_it_lifts_the_block(deadline, farm):
    cancel = {"type": CANCEL, "thresholdPercentage": 40.0}
    budget_id = _budget(deadline, farm, 4.0, [cancel])
    first_job = submit(deadline, farm, "1")
    _ready(deadline, farm, first_job)
    running = RunningTask(deadline, farm)
    running.until(lambda: running.action_id in running.cancels, 30, "the worker told to cancel its run")
    assert _queue(deadline, farm)["blockedReason"] == "BUDGET_THRESHOLD_REACHED"
    running.finish("CANCELED")
    task = deadline.list_tasks(farmId=farm["farmId"], queueId=farm["queueId"], jobId=first_job,
                               stepId=deadline.list_steps(farmId=farm["farmId"], queueId=farm["queueId"],
                                                          jobId=first_job)["steps"][0]["stepId"])["tasks"][0]
    assert (task["runStatus"], task["updatedBy"]) == ("CANCELED", "farmstead:budget")
    second_job = submit(deadline, farm, "1")
    _ready(deadline, farm, second_job)
    assert running.worker.poll()["assignedSessions"] == {}

    deadline.update_budget(farmId=farm["farmId"], budgetId=budget_id, actionsToRemove=[cancel])
    assert _queue(deadline, farm)["status"] != "SCHEDULING_BLOCKED"
    wait_until(lambda: running.worker.poll()["assignedSessions"], 30, "the second job's task handed out")


def test_an_inactive_budget_or_an_ended_window_lifts_the_stop(deadline, farm):
    stop = [{"type": STOP, "thresholdPercentage": 10.0}]
    budget_id = _budget(deadline, farm, 1.0, stop)
    _ready(deadline, farm, submit(deadline, farm, "1"))
    running = RunningTask(deadline, farm)
    running.until(lambda: _queue(deadline, farm)["status"] == "SCHEDULING_BLOCKED", 30, "the queue stopped")
    running.finish()
    deadline.update_budget(farmId=farm["farmId"], budgetId=budget_id, status="INACTIVE")
    assert _queue(deadline, farm)["status"] != "SCHEDULING_BLOCKED"
    deadline.update_budget(farmId=farm["farmId"], budgetId=budget_id, status="ACTIVE")
    assert _queue(deadline, farm)["blockedReason"] == "BUDGET_THRESHOLD_REACHED"  # spent is still spent

    # The window ends a few seconds from now: the next tick after it lifts the stop for the scheduler too.
    now = datetime.now(UTC)
    deadline.update_budget(farmId=farm["farmId"], budgetId=budget_id, schedule={"fixed": {
        "startTime": now - timedelta(hours=1), "endTime": now + timedelta(seconds=3)}})
    job_id = submit(deadline, farm, "1")
    _ready(deadline, farm, job_id)
    assert running.worker.poll()["assignedSessions"] == {}
    wait_until(lambda: running.worker.poll()["assignedSessions"], 30, "work handed out once the window ended")
    assert deadline.get_budget(farmId=farm["farmId"], budgetId=budget_id)["status"] == "INACTIVE"


def test_a_stopped_queues_ready_tasks_ask_an_auto_scaling_fleet_for_no_workers(deadline):
    farm_id = deadline.create_farm(displayName="scaling budget")["farmId"]
    auto = {"customerManaged": {**LINUX_FLEET["customerManaged"], "mode": "EVENT_BASED_AUTO_SCALING"}}
    queue_id = deadline.create_queue(farmId=farm_id, displayName="q")["queueId"]
    fleet_id = deadline.create_fleet(farmId=farm_id, displayName="auto", roleArn=ROLE, maxWorkerCount=10,
                                     configuration=auto)["fleetId"]
    deadline.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id)
    farm = {"farmId": farm_id, "queueId": queue_id, "fleetId": fleet_id}
    budget_id = _budget(deadline, farm, 1.0, [{"type": STOP, "thresholdPercentage": 10.0}])
    _ready(deadline, farm, submit(deadline, farm, "1-4"))
    running = RunningTask(deadline, farm)  # one task taken, three READY

    def recommended() -> int:
        return deadline.get_fleet(farmId=farm_id, fleetId=fleet_id)["targetWorkerCount"]
    unstopped = recommended()
    running.until(lambda: _queue(deadline, farm)["status"] == "SCHEDULING_BLOCKED", 30, "the queue stopped")
    stopped = recommended()
    assert stopped < unstopped and stopped == 1, (unstopped, stopped)  # the busy worker alone: READY ones not
    deadline.update_budget(farmId=farm_id, budgetId=budget_id, approximateDollarLimit=1000.0)
    assert recommended() > stopped

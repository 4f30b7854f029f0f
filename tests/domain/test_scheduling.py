"""Which candidate a worker gets, by each queue's scheduling configuration (docs/queues.md, Scheduling)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from farmstead.domain import scheduling, worker_holds
from farmstead.domain.scheduling import BadWorkerSettings, Candidate, choose, eligible, weight
from farmstead.domain.worker_holds import WorkerHold

T0 = datetime(2026, 1, 1, tzinfo=UTC)
WORKER = {"amounts": [{"name": "amount.worker.vcpu", "value": 8.0}],
          "attributes": [{"name": "attr.worker.os.family", "values": ["linux"]}]}


def candidate(job: str, priority: int = 50, minutes: int = 0, workers: int = 0, max_workers=None, queue="q",
              requirements=None, failed: int = 0, rendering: int = 0) -> Candidate:
    return Candidate(job_id=job, step_id=f"step-{job}", queue_id=queue, priority=priority,
                     submitted_at=T0 + timedelta(minutes=minutes), workers_on_job=workers,
                     max_worker_count=max_workers, host_requirements=requirements, failed_runs=failed,
                     rendering_tasks=rendering)


def order(candidates, configuration=None, **kwargs) -> list[str]:
    chosen = choose(candidates, worker_capabilities=WORKER, scheduling={"q": configuration},
                    now=T0 + timedelta(hours=1), **kwargs)
    return [c.job_id for c in chosen]


def test_priority_fifo_takes_higher_priority_then_older():
    jobs = [candidate("late-high", 90, minutes=5), candidate("early-low", 10), candidate("early-high", 90)]
    assert order(jobs) == ["early-high", "late-high", "early-low"]


def test_priority_fifo_is_the_default_for_an_empty_configuration():
    jobs = [candidate("b", 50, minutes=1), candidate("a", 50)]
    assert order(jobs, {"priorityFifo": {}}) == order(jobs, None) == ["a", "b"]


def test_priority_balanced_spreads_workers_over_the_top_priority():
    jobs = [candidate("busy", 80, workers=3), candidate("quiet", 80, minutes=10, workers=0),
            candidate("low", 10, workers=0)]
    assert order(jobs, {"priorityBalanced": {}}) == ["quiet", "busy", "low"]


def test_priority_balanced_keeps_a_worker_on_its_job_within_the_buffer():
    jobs = [candidate("mine", 80, workers=2), candidate("other", 80, minutes=1, workers=1)]
    assert order(jobs, {"priorityBalanced": {"renderingTaskBuffer": 1}}, current_job_id="mine")[0] == "mine"


def test_weighted_balanced_uses_the_documented_formula():
    settings = {"priorityWeight": 100.0, "errorWeight": -10.0, "submissionTimeWeight": 3.0,
                "renderingTaskWeight": -100.0, "renderingTaskBuffer": 1}
    job = candidate("j", 50, minutes=0, failed=2, rendering=3)
    now = T0 + timedelta(seconds=100)
    assert weight(job, settings, now) == 50 * 100.0 + 2 * -10.0 + 100 * 3.0 + 3 * -100.0


def test_weighted_balanced_overrides_put_priority_100_first_and_0_last():
    configuration = {"weightedBalanced": {"priorityWeight": 0.0, "submissionTimeWeight": 0.0,
                                          "maxPriorityOverride": {"alwaysScheduleFirst": {}},
                                          "minPriorityOverride": {"alwaysScheduleLast": {}}}}
    jobs = [candidate("zero", 0), candidate("mid", 50, minutes=1), candidate("top", 100, minutes=2)]
    assert order(jobs, configuration) == ["top", "mid", "zero"]


def test_max_worker_count_makes_a_full_job_ineligible():
    assert not eligible(candidate("full", workers=2, max_workers=2), WORKER)
    assert eligible(candidate("open", workers=2, max_workers=-1), WORKER)
    assert eligible(candidate("unset", workers=9), WORKER)


def test_host_requirements_are_matched_against_the_worker_itself():
    needs_16 = candidate("big", requirements={"amounts": [{"name": "amount.worker.vcpu", "min": 16}]})
    needs_4 = candidate("small", requirements={"amounts": [{"name": "amount.worker.vcpu", "min": 4}]})
    assert order([needs_16, needs_4]) == ["small"]


def test_limit_amounts_are_not_asked_of_the_worker():
    licensed = candidate("nuke", requirements={"amounts": [{"name": "amount.licence.nuke", "min": 1}]})
    assert order([licensed]) == []
    assert order([licensed], limit_amount_names={"q": ["amount.licence.nuke"]}) == ["nuke"]


def test_queue_depth_follows_the_mean_run_time_within_its_bounds():
    assert scheduling.queue_depth([]) == scheduling.QUEUE_DEPTH
    assert scheduling.queue_depth([0.5, 0.5]) == 4  # two seconds of work
    assert scheduling.queue_depth([30.0]) == scheduling.QUEUE_DEPTH
    assert scheduling.queue_depth([0.0, 0.0]) == scheduling.MAX_QUEUE_DEPTH


# --- bad workers (docs/self-managing.md) ---------------------------------------------------------



@pytest.mark.parametrize(("tags", "expected"), [
    ({}, BadWorkerSettings(3, True)),
    ({"farmstead:blocklistAfterFailures": "5"}, BadWorkerSettings(5, True)),
    ({"farmstead:blocklistAfterFailures": "0"}, BadWorkerSettings(0, True)),
    ({"farmstead:blocklistedUsableWhenIdle": "false"}, BadWorkerSettings(3, False)),
    ({"farmstead:blocklistedUsableWhenIdle": "TRUE", "other": "x"}, BadWorkerSettings(3, True)),
])
def test_bad_worker_settings_come_from_the_queue_tags_with_defaults(tags, expected):
    assert scheduling.bad_worker_settings(tags) == expected


@pytest.mark.parametrize(("key", "value", "refused"), [
    ("farmstead:blocklistAfterFailures", "3", False), ("farmstead:blocklistAfterFailures", "0", False),
    ("farmstead:blocklistAfterFailures", "-1", True), ("farmstead:blocklistAfterFailures", "x", True),
    ("farmstead:blocklistAfterFailures", "1001", True), ("farmstead:blocklistedUsableWhenIdle", "False", False),
    ("farmstead:blocklistedUsableWhenIdle", "no", True), ("project", "anything", False),
])
def test_a_setting_tag_is_refused_when_its_value_cannot_be_read(key, value, refused):
    assert (scheduling.setting_tag_problem(key, value) is not None) is refused


@pytest.mark.parametrize(("failures", "after", "blocked"), [
    (1, 3, False), (2, 3, False), (3, 3, True), (4, 3, True), (1, 1, True), (50, 0, False),
])
def test_a_worker_is_blocklisted_after_the_queues_number_of_failures(failures, after, blocked):
    assert scheduling.blocklists(failures, BadWorkerSettings(after, True)) is blocked


def test_candidates_of_blocked_jobs_are_left_out_in_order():
    jobs = [candidate("a"), candidate("b"), candidate("c")]
    assert [c.job_id for c in scheduling.not_blocked(jobs, {"b"})] == ["a", "c"]
    assert scheduling.not_blocked(jobs, set()) == jobs


@pytest.mark.parametrize(("blocked", "other_worker", "usable_when_idle", "falls_back"), [
    (False, True, True, False),   # fail a task once: another worker takes it
    (False, False, False, True),  # the only worker retries what it failed, whatever the setting
    (True, True, True, False),    # blocklisted, and another worker exists
    (True, False, True, True),    # blocklisted but the only one: bad but usable when idle
    (True, False, False, False),  # ... unless the queue says otherwise: the job waits (never FAILED)
])
def test_a_worker_falls_back_to_what_it_failed_only_when_no_other_worker_exists(
        blocked, other_worker, usable_when_idle, falls_back):
    assert scheduling.may_fall_back(blocked=blocked, other_eligible_worker=other_worker,
                                    settings=BadWorkerSettings(3, usable_when_idle)) is falls_back


# --- operator holds (domain/worker_holds; docs/self-managing.md) ---------------------------------



@pytest.mark.parametrize(("status", "hold", "takes"), [
    ("STARTED", None, True), ("STARTED", WorkerHold.DRAIN, False), ("STARTED", WorkerHold.DRAIN_AND_STOP, False),
    ("STARTED", WorkerHold.DISABLE, False), ("STOPPING", None, False),
])
def test_only_a_started_worker_without_a_hold_takes_new_work(status, hold, takes):
    assert worker_holds.takes_new_work(status, hold) is takes


@pytest.mark.parametrize(("status", "hold", "holds_sessions", "stop"), [
    ("STOPPING", None, False, True), ("STOPPING", None, True, False),
    ("STARTED", WorkerHold.DRAIN_AND_STOP, False, True), ("STARTED", WorkerHold.DRAIN_AND_STOP, True, False),
    ("STARTED", WorkerHold.DRAIN, False, False), ("STARTED", WorkerHold.DISABLE, False, False),
    ("STARTED", None, False, False),
])
def test_a_worker_is_told_stopped_only_once_its_drain_and_stop_or_its_own_stop_is_done(status, hold,
                                                                                      holds_sessions, stop):
    assert worker_holds.told_to_stop(status, hold, holds_sessions=holds_sessions) is stop


def test_a_restart_ends_a_drain_and_stop_but_keeps_a_drain_or_disable():
    assert worker_holds.after_start(WorkerHold.DRAIN_AND_STOP) is None
    assert worker_holds.after_start(WorkerHold.DRAIN) == WorkerHold.DRAIN
    assert worker_holds.after_start(WorkerHold.DISABLE) == WorkerHold.DISABLE
    assert worker_holds.requeues_running(WorkerHold.DISABLE) and not worker_holds.requeues_running(WorkerHold.DRAIN)


@pytest.mark.parametrize(("tags", "failures", "disabled"), [
    ({}, 100, False),  # off by default
    ({"farmstead:disableAfterFailures": "5"}, 4, False),
    ({"farmstead:disableAfterFailures": "5"}, 5, True),
    ({"farmstead:disableAfterFailures": "5", "farmstead:failureWindowSeconds": "600"}, 7, True),
])
def test_a_fleet_disables_a_worker_after_its_failures_across_jobs(tags, failures, disabled):
    rule = scheduling.fleet_failure_rule(tags)
    reason = scheduling.disable_reason(failures, rule)
    assert (reason is not None) is disabled
    if disabled:
        assert f"within {rule.window_seconds} s" in reason


@pytest.mark.parametrize(("key", "value", "refused"), [
    ("farmstead:disableAfterFailures", "10", False), ("farmstead:disableAfterFailures", "ten", True),
    ("farmstead:failureWindowSeconds", "0", True), ("farmstead:failureWindowSeconds", "3600", False),
])
def test_a_fleet_rule_tag_is_refused_when_its_value_cannot_be_read(key, value, refused):
    assert (scheduling.setting_tag_problem(key, value) is not None) is refused

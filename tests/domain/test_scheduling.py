"""Which candidate a worker gets, by each queue's scheduling configuration (docs/queues.md, Scheduling)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from farmstead.domain import scheduling
from farmstead.domain.scheduling import Candidate, choose, eligible, weight

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

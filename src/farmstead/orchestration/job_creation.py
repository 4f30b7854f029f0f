"""Turning a CreateJob request into stored job, steps and (for small jobs, at once) tasks.

Owns: the use case of job submission on top of the pure planner (domain.job_templates) and the
store: which fleets the job's steps fit (at submission, and again at every requeue), the initial
status of each step's tasks, the job row, and materializing tasks in batches. Large jobs are
materialized by background/materializer.py with the same `task_batches_for_step` and `complete_job`,
so both paths store exactly the same rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from farmstead.domain import job_dependencies, job_lifecycles, job_templates, rollup, task_states
from farmstead.domain.capabilities import fleet_capabilities
from farmstead.domain.host_requirements import step_fits_fleet
from farmstead.domain.statuses import JobLifecycleStatus, StepLifecycleStatus, TaskRunStatus
from farmstead.ids import new_id
from farmstead.orchestration import events, task_updates
from farmstead.orchestration.deferral import Deferral
from farmstead.store import job_dependencies as job_dependency_rows
from farmstead.store import jobs, limits, notifications, queue_environments, queue_fleet_associations, steps, tasks

#: Jobs with at most this many tasks are materialized inside CreateJob's own transaction.
INLINE_TASK_LIMIT = 2_000
#: Tasks inserted per transaction while materializing, so API writes interleave with a big job.
TASK_BATCH = 5_000

CREATED_MESSAGE = "Job creation completed successfully"


def queue_environment_templates(conn: Connection, queue_id: str) -> list[dict]:
    """The queue's environments in entering order (priority, then creation), as template dicts."""
    result = []
    for row in queue_environments.in_entering_order(conn, queue_id):
        result.append(job_templates.parse_template(row.template, row.template_type))
    return result


def incompatible_steps(conn: Connection, queue_id: str, steps_with_requirements) -> list[str]:
    """Names of the steps no ACTIVE fleet associated with the queue can run (docs/fleets.md,
    "Matching steps to fleets").

    Takes anything with `.name` and `.host_requirements`: planned steps at submission, stored step
    rows when a requeue checks again.
    """
    capabilities = [fleet_capabilities(declared)
                    for declared in queue_fleet_associations.active_fleet_capabilities(conn, queue_id)]
    limit_names = limits.amount_names_for_queue(conn, queue_id)
    return [step.name for step in steps_with_requirements
            if not any(step_fits_fleet(step.host_requirements, c, limit_amount_names=limit_names)
                       for c in capabilities)]


def check_requeued_job(conn: Connection, queue_id: str, job_id: str, now: datetime,
                       deferral: Deferral | None = None) -> None:
    """After a requeue at any level: the job runs only if every step of it fits a fleet associated
    with the queue now. If one still does not, it is NOT_COMPATIBLE again and the rest of the job
    CANCELED, as at submission; requeued tasks never wait READY for a worker no fleet will bring.
    AWS checks compatibility when a job is created and documents requeueing as the way to run a
    NOT_COMPATIBLE job again: associating a compatible fleet does not restart it by itself."""
    if deferral is not None and job_id in deferral.queued_jobs:
        # The requeue itself is queued (a large job): check once it has been applied, in its turn.
        deferral.queue(conn, job_id, {"kind": "compatibility"})
        return
    incompatible = incompatible_steps(conn, queue_id, steps.of_job(conn, job_id))
    if incompatible:
        task_updates.mark_incompatible(conn, job_id, incompatible, now, deferral)


def initial_task_status(step: job_templates.StepPlan, *, suspended: bool, incompatible: list[str],
                        waiting: bool = False) -> str:
    """`waiting`: the job waits on other jobs (docs/self-managing.md): every step starts PENDING."""
    return str(task_states.initial_status(TaskRunStatus.SUSPENDED if suspended else TaskRunStatus.READY,
                                          dependencies_met=not step.dependencies and not waiting,
                                          step_compatible=step.name not in incompatible,
                                          job_compatible=not incompatible))


def store_job(conn: Connection, *, job_values: dict[str, Any], plan: job_templates.JobPlan,
              incompatible: list[str], suspended: bool, now: datetime, who: str, waiting: bool = False) -> None:
    """Insert the job (CREATE_IN_PROGRESS) and its steps; tasks come from materialize_tasks.
    `waiting`: it waits on other jobs (its job_dependencies rows are the caller's)."""
    job_id = job_values["job_id"]
    step_ids = {step.name: new_id("step") for step in plan.steps}
    step_rows = []
    for step in plan.steps:
        status = initial_task_status(step, suspended=suspended, incompatible=incompatible, waiting=waiting)
        step_rows.append({
            "step_id": step_ids[step.name], "job_id": job_id, "step_index": step.index, "name": step.name,
            "description": step.description, "lifecycle_status": StepLifecycleStatus.CREATE_COMPLETE,
            "lifecycle_status_message": None, "task_run_status": status, "target_task_run_status": None,
            "template": step.template, "host_requirements": step.host_requirements,
            "parameter_space": step.parameter_space, "task_count": step.task_count,
            "task_failure_retry_count": 0, **jobs.count_values({}), "created_at": now, "created_by": who,
        })
    jobs.insert(conn, **job_values, lifecycle_status=job_lifecycles.CREATING,
                lifecycle_status_message="Job creation in progress", task_run_status=TaskRunStatus.PENDING,
                task_count=plan.task_count, task_failure_retry_count=0, **jobs.count_values({}),
                waiting_for_jobs=waiting, created_at=now, created_by=who)
    events.job_lifecycle_changed(conn, job_id, None, job_lifecycles.CREATING, now)
    steps.insert_many(conn, step_rows)
    steps.insert_dependencies(conn, [
        {"step_id": step_ids[step.name], "upstream_step_id": step_ids[upstream], "job_id": job_id}
        for step in plan.steps for upstream in step.dependencies])


def task_batches_for_step(row, plan: job_templates.JobPlan) -> Iterator[list[dict[str, Any]]]:
    """Task rows of one stored step, TASK_BATCH at a time, in OpenJD iteration order."""
    step = next(s for s in plan.steps if s.name == row.name)
    prefix = "task-" + row.step_id.split("-", 1)[1] + "-"
    batch: list[dict[str, Any]] = []
    for index, parameters in enumerate(job_templates.iter_task_parameters(step)):
        batch.append({"task_id": f"{prefix}{index}", "step_id": row.step_id, "job_id": row.job_id,
                      "task_index": index, "run_status": row.task_run_status, "failure_retry_count": 0,
                      "parameters": parameters or None})
        if len(batch) >= TASK_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def materialize_inline(conn: Connection, job_id: str, plan: job_templates.JobPlan, now: datetime) -> None:
    """A small job's tasks, inside the CreateJob transaction, then its counters and statuses."""
    for row in steps.of_job(conn, job_id):
        for batch in task_batches_for_step(row, plan):
            tasks.insert_many(conn, batch)
    complete_job(conn, job_id, now)


def complete_job(conn: Connection, job_id: str, now: datetime) -> None:
    """All tasks are in: set every counter and status from the tasks, and mark the job created."""
    job_counts = rollup.empty_counts()
    for row in steps.of_job(conn, job_id):
        counts = {**rollup.empty_counts(), row.task_run_status: row.task_count}
        created = rollup.at_creation(counts, now)
        steps.update(conn, row.step_id, **jobs.count_values(counts), task_run_status=created.task_run_status,
                     ended_at=created.ended_at)
        job_counts[row.task_run_status] += row.task_count
    created = rollup.at_creation(job_counts, now)
    if ready := job_counts.get(TaskRunStatus.READY):
        notifications.note_ready(conn, job_id, ready)  # that many idle workers take it now, not at a poll
    jobs.update(conn, job_id, **jobs.count_values(job_counts), task_run_status=created.task_run_status,
                lifecycle_status=JobLifecycleStatus.CREATE_COMPLETE,
                lifecycle_status_message=_created_message(conn, job_id),
                ended_at=created.ended_at)
    events.job_lifecycle_changed(conn, job_id, job_lifecycles.CREATING, JobLifecycleStatus.CREATE_COMPLETE, now)
    upstream = job_dependency_rows.upstream_of(conn, job_id)
    if upstream and upstream[0].condition == job_dependencies.Condition.FRAME:
        _wait_frame_by_frame(conn, job_id, upstream[0].upstream_job_id, now)


def _wait_frame_by_frame(conn: Connection, job_id: str, upstream_job_id: str, now: datetime) -> None:
    """farmstead:after frame:JOB (docs/self-managing.md): each READY task of the job's steps without
    upstream steps that has a task of the same parameters in the followed upstream step waits
    (PENDING, one task_dependencies row) unless that task SUCCEEDED already; one that ended otherwise
    is settled at once (canceled, or left waiting as the queue says). A task with no such upstream
    task runs at once. Steps with upstream steps wait on those, as ever."""
    upstream_names = job_dependency_rows.step_names(conn, upstream_job_id)
    links: list[dict[str, str]] = []
    settled_now: list[task_updates.FrameWaiter] = []
    waiting_by_step: dict[str, int] = {}
    for step_row in steps.of_job(conn, job_id):
        followed = job_dependencies.followed_step(step_row.name, upstream_names)
        if followed is None or steps.upstream_of(conn, step_row.step_id):
            continue  # CreateJob refused the first; the second waits on its own steps
        by_parameters = {job_dependencies.parameter_key(row.parameters): row
                         for row in job_dependency_rows.tasks_of_step(conn, upstream_job_id, followed)}
        waiting = []
        for task in job_dependency_rows.tasks_of_step(conn, job_id, step_row.name):
            match = by_parameters.get(job_dependencies.parameter_key(task.parameters))
            if task.run_status != TaskRunStatus.READY or match is None:
                continue
            found = job_dependencies.frame_verdict(match.run_status)
            if found is job_dependencies.Verdict.RELEASE:
                continue
            waiting.append(task.task_id)
            links.append({"task_id": task.task_id, "job_id": job_id, "upstream_task_id": match.task_id,
                          "upstream_job_id": upstream_job_id})
            if found is job_dependencies.Verdict.NEVER:
                settled_now.append(task_updates.FrameWaiter(task.task_id, job_id, step_row.step_id,
                                                            match.run_status))
        # At creation (its tasks' first status, so no Task Run Status Change: docs/events.md).
        moved = len(tasks.move_some(conn, waiting, TaskRunStatus.READY, TaskRunStatus.PENDING))
        if moved:
            waiting_by_step[step_row.step_id] = moved
    job_dependency_rows.insert_task_links(conn, links)
    for step_id, moved in waiting_by_step.items():
        delta = {str(TaskRunStatus.READY): -moved, str(TaskRunStatus.PENDING): moved}
        steps.add_counts(conn, step_id, delta)
        task_updates.refresh_step(conn, step_id, job_id, now)
        jobs.add_counts(conn, job_id, delta)
    task_updates.refresh_job(conn, job_id, now)
    task_updates.settle_frame_waiters(conn, settled_now, now)


def _created_message(conn: Connection, job_id: str) -> str:
    """A job waiting on other jobs says so in its lifecycleStatusMessage (GetJob)."""
    if not jobs.get_existing(conn, job_id).waiting_for_jobs:
        return CREATED_MESSAGE
    upstream = job_dependency_rows.upstream_of(conn, job_id)
    return job_dependencies.waiting_message(upstream[0].condition, [row.upstream_job_id for row in upstream])


def fail_job(conn: Connection, job_id: str, message: str, now: datetime) -> None:
    tasks.delete_for_job(conn, job_id)
    jobs.update(conn, job_id, lifecycle_status=JobLifecycleStatus.CREATE_FAILED,
                lifecycle_status_message=message[:2048])
    events.job_lifecycle_changed(conn, job_id, job_lifecycles.CREATING, JobLifecycleStatus.CREATE_FAILED, now)


def replan(row) -> job_templates.JobPlan:
    """The plan of a stored job, from what it was submitted with (its queue environments included)."""
    template = job_templates.parse_template(row.template, row.template_type)
    return job_templates.plan_job(template, row.parameters, queue_environment_templates=row.queue_environments,
                                  name_override=row.name, description_override=row.description,
                                  max_tasks=max(row.task_count, 1))

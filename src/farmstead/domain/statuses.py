"""The status vocabularies of the `deadline` model, as StrEnums.

Owns: one StrEnum per status enum shape the job, step, task, session and worker rules talk about.
Each class is named exactly like its model shape, and its members are listed in the model's order;
tests/domain/test_statuses.py checks both against botocore, so a model bump shows up as a test failure.
Must not: import botocore (domain is pure), or hold any rule; which transitions are allowed lives
in `task_states`, and what counts as active or terminal lives in `rollup`.

Members are `str`s, so they compare equal to the plain strings the protocol layer hands over
(`TaskRunStatus.READY == "READY"`) and serialize without conversion.
"""

from __future__ import annotations

from enum import StrEnum


class TaskRunStatus(StrEnum):
    """Run status of a task; also the aggregate `taskRunStatus` of a step or job (`rollup`)."""

    PENDING = "PENDING"
    """Pending and waiting for resources. Here: waiting for upstream steps to succeed."""
    READY = "READY"
    """Ready to be processed: the scheduler may hand it to a worker."""
    ASSIGNED = "ASSIGNED"
    """Assigned and will run next on a worker: a taskRun session action exists for it."""
    STARTING = "STARTING"
    """No model text. Here: the session's earlier actions (attachments sync, envEnter) are running."""
    SCHEDULED = "SCHEDULED"
    """Scheduled to be run on a worker: delivered, queued behind another action of the session."""
    INTERRUPTING = "INTERRUPTING"
    """Being interrupted: its action is being cancelled; the status to land on is remembered."""
    RUNNING = "RUNNING"
    """Running on a worker."""
    SUSPENDED = "SUSPENDED"
    """The task is suspended: never scheduled until requeued."""
    CANCELED = "CANCELED"
    """The task has been canceled."""
    FAILED = "FAILED"
    """The task has failed (retries exhausted, or marked FAILED by a user)."""
    SUCCEEDED = "SUCCEEDED"
    """The task has succeeded."""
    NOT_COMPATIBLE = "NOT_COMPATIBLE"
    """No model text. Here: no fleet associated with the queue can meet the step's host requirements."""


class CreateJobTargetTaskRunStatus(StrEnum):
    """CreateJob's `targetTaskRunStatus`: the status the job's tasks start in (default READY)."""

    READY = "READY"
    SUSPENDED = "SUSPENDED"
    """"Jobs that are created with a SUSPENDED status will not run until manually requeued"."""


class JobTargetTaskRunStatus(StrEnum):
    """UpdateJob/BatchUpdateJob `targetTaskRunStatus`; the effects are in `task_states`."""

    READY = "READY"
    """Requeue: every task back to READY (PENDING where dependencies are unmet)."""
    FAILED = "FAILED"
    """Every task not SUCCEEDED becomes FAILED."""
    SUCCEEDED = "SUCCEEDED"
    """Every task becomes SUCCEEDED."""
    CANCELED = "CANCELED"
    """Every task not SUCCEEDED or FAILED becomes CANCELED."""
    SUSPENDED = "SUSPENDED"
    """Tasks in SUCCEEDED, CANCELED or FAILED stay; all others become SUSPENDED."""
    PENDING = "PENDING"
    """Requeue, as READY (the docs' requeue example uses PENDING)."""


class StepTargetTaskRunStatus(StrEnum):
    """UpdateStep `targetTaskRunStatus`: the UpdateJob targets, restricted to one step."""

    READY = "READY"
    FAILED = "FAILED"
    SUCCEEDED = "SUCCEEDED"
    CANCELED = "CANCELED"
    SUSPENDED = "SUSPENDED"
    PENDING = "PENDING"


class TaskTargetRunStatus(StrEnum):
    """UpdateTask/BatchUpdateTask `targetRunStatus`: the UpdateJob targets, for one task."""

    READY = "READY"
    FAILED = "FAILED"
    SUCCEEDED = "SUCCEEDED"
    CANCELED = "CANCELED"
    SUSPENDED = "SUSPENDED"
    PENDING = "PENDING"


class JobLifecycleStatus(StrEnum):
    """Where a job is in its create/update/archive life, independent of its tasks."""

    CREATE_IN_PROGRESS = "CREATE_IN_PROGRESS"
    """Submitted; the template is being validated and the steps and tasks created."""
    CREATE_FAILED = "CREATE_FAILED"
    """Validation failed (quota, dependency cycle, internal error); the job never runs."""
    CREATE_COMPLETE = "CREATE_COMPLETE"
    """Created; its tasks follow their run statuses."""
    UPLOAD_IN_PROGRESS = "UPLOAD_IN_PROGRESS"
    """Part of the creation pipeline; undocumented, Farmstead never uses it."""
    UPLOAD_FAILED = "UPLOAD_FAILED"
    """Part of the creation pipeline; undocumented, Farmstead never uses it."""
    UPDATE_IN_PROGRESS = "UPDATE_IN_PROGRESS"
    """An UpdateJob is being applied."""
    UPDATE_FAILED = "UPDATE_FAILED"
    """The last UpdateJob could not be applied."""
    UPDATE_SUCCEEDED = "UPDATE_SUCCEEDED"
    """The last UpdateJob was applied."""
    ARCHIVED = "ARCHIVED"
    """Final: can't be scheduled or modified; only from a terminal run state."""


class UpdateJobLifecycleStatus(StrEnum):
    """The only lifecycle value UpdateJob accepts."""

    ARCHIVED = "ARCHIVED"


class StepLifecycleStatus(StrEnum):
    """Lifecycle of a step; steps exist only once their job's creation completed."""

    CREATE_COMPLETE = "CREATE_COMPLETE"
    UPDATE_IN_PROGRESS = "UPDATE_IN_PROGRESS"
    UPDATE_FAILED = "UPDATE_FAILED"
    UPDATE_SUCCEEDED = "UPDATE_SUCCEEDED"


class DependencyConsumerResolutionStatus(StrEnum):
    """Whether a step-dependency edge is satisfied (ListStepDependencies / ListStepConsumers)."""

    RESOLVED = "RESOLVED"
    """The upstream step's aggregate is SUCCEEDED."""
    UNRESOLVED = "UNRESOLVED"


class SessionActionStatus(StrEnum):
    """Status of one session action (envEnter, envExit, taskRun, syncInputJobAttachments)."""

    ASSIGNED = "ASSIGNED"
    """Created and put into the worker's session."""
    RUNNING = "RUNNING"
    """The worker reported it with `startedAt` and no `completedStatus`."""
    CANCELING = "CANCELING"
    """A cancel has been sent to the worker and is not yet confirmed."""
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    INTERRUPTED = "INTERRUPTED"
    """Cut short by the worker's own drain or shutdown."""
    CANCELED = "CANCELED"
    NEVER_ATTEMPTED = "NEVER_ATTEMPTED"
    """The worker dropped it from its queue without running it."""
    SCHEDULED = "SCHEDULED"
    """Created behind other work of the session (pipelining)."""
    RECLAIMING = "RECLAIMING"
    """Undocumented; probably the service taking back a pipelined, not yet started action."""
    RECLAIMED = "RECLAIMED"
    """Undocumented; the taken-back action, its task back to READY without a failure."""


class CompletedStatus(StrEnum):
    """`completedStatus` a worker reports for a session action in UpdateWorkerSchedule."""

    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    INTERRUPTED = "INTERRUPTED"
    CANCELED = "CANCELED"
    NEVER_ATTEMPTED = "NEVER_ATTEMPTED"


class SessionLifecycleStatus(StrEnum):
    """Lifecycle of a worker session."""

    STARTED = "STARTED"
    UPDATE_IN_PROGRESS = "UPDATE_IN_PROGRESS"
    """UpdateSession(ENDED) is being carried out: no new work, envExits queued."""
    UPDATE_SUCCEEDED = "UPDATE_SUCCEEDED"
    UPDATE_FAILED = "UPDATE_FAILED"
    ENDED = "ENDED"
    """Taken out of the worker's `assignedSessions`."""


class SessionLifecycleTargetStatus(StrEnum):
    """The only lifecycle value UpdateSession accepts."""

    ENDED = "ENDED"


class WorkerStatus(StrEnum):
    """Status of a worker."""

    CREATED = "CREATED"
    """CreateWorker succeeded; the agent has not said STARTED yet."""
    STARTED = "STARTED"
    """Online; the agent called UpdateWorker(STARTED)."""
    STOPPING = "STOPPING"
    """Draining at the worker's request: no new taskRun actions."""
    STOPPED = "STOPPED"
    """Offline; everything it held has been rescheduled."""
    NOT_RESPONDING = "NOT_RESPONDING"
    """No UpdateWorkerSchedule heartbeat for too long; its work was rescheduled."""
    NOT_COMPATIBLE = "NOT_COMPATIBLE"
    """Its reported capabilities don't fit its fleet; must go STOPPED before STARTED."""
    RUNNING = "RUNNING"
    """Online and holding at least one session."""
    IDLE = "IDLE"
    """Online and holding no session."""


class UpdatedWorkerStatus(StrEnum):
    """The statuses a worker may set for itself with UpdateWorker."""

    STARTED = "STARTED"
    STOPPING = "STOPPING"
    STOPPED = "STOPPED"


class DesiredWorkerStatus(StrEnum):
    """UpdateWorkerSchedule's `desiredWorkerStatus`; sent only with an empty `assignedSessions`."""

    STOPPED = "STOPPED"


class QueueFleetAssociationStatus(StrEnum):
    """Scheduling state of a queue-fleet association."""

    ACTIVE = "ACTIVE"
    STOP_SCHEDULING_AND_COMPLETE_TASKS = "STOP_SCHEDULING_AND_COMPLETE_TASKS"
    """No new tasks; the ones on workers run to completion."""
    STOP_SCHEDULING_AND_CANCEL_TASKS = "STOP_SCHEDULING_AND_CANCEL_TASKS"
    """No new tasks; the ones on workers are interrupted and go back to READY."""
    STOPPED = "STOPPED"


class QueueLimitAssociationStatus(StrEnum):
    """Usage state of a queue-limit association."""

    ACTIVE = "ACTIVE"
    STOP_LIMIT_USAGE_AND_COMPLETE_TASKS = "STOP_LIMIT_USAGE_AND_COMPLETE_TASKS"
    """No new tasks that need the limit; the ones on workers run to completion."""
    STOP_LIMIT_USAGE_AND_CANCEL_TASKS = "STOP_LIMIT_USAGE_AND_CANCEL_TASKS"
    """No new tasks that need the limit; the ones on workers go back to READY."""
    STOPPED = "STOPPED"

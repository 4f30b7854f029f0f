"""The status vocabularies of the `deadline` model, and what each status means in Farmstead.

Owns: the status enums the job, step, task, session and worker rules talk about, and, beside each,
what its statuses mean here (where the model says nothing, or says it differently). The classes are
the model's own StrEnums, generated into protocol/shapes.py from botocore (tools/gen_shapes.py; a
test regenerates it and diffs) and re-exported here: one class per vocabulary, named exactly like
its model shape, members in the model's order. Import them from here (one home: the generated classes
are the model's own spelling and change with a botocore upgrade; this module says what they mean).
Must not: import botocore (domain is pure; shapes.py is standard library only), or hold any rule;
which transitions are allowed lives in `task_states`, and what counts as active or terminal lives
in `rollup`.

Members are `str`s, so they compare equal to the plain strings the protocol layer hands over
(`TaskRunStatus.READY == "READY"`) and serialize without conversion.
"""

from __future__ import annotations

import farmstead.protocol.shapes as shapes

TaskRunStatus = shapes.TaskRunStatus
"""Run status of a task; also the aggregate `taskRunStatus` of a step or job (`rollup`).

* PENDING: Pending and waiting for resources. Here: waiting for upstream steps to succeed.
* READY: Ready to be processed: the scheduler may hand it to a worker.
* ASSIGNED: Assigned and will run next on a worker: a taskRun session action exists for it.
* STARTING: No model text. Here: the session's earlier actions (attachments sync, envEnter) are running.
* SCHEDULED: Scheduled to be run on a worker: delivered, queued behind another action of the session.
* INTERRUPTING: Being interrupted: its action is being cancelled; the status to land on is remembered.
* RUNNING: Running on a worker.
* SUSPENDED: The task is suspended: never scheduled until requeued.
* CANCELED: The task has been canceled.
* FAILED: The task has failed (retries exhausted, or marked FAILED by a user).
* SUCCEEDED: The task has succeeded.
* NOT_COMPATIBLE: No model text. Here: no fleet associated with the queue can meet the step's host requirements.
"""

CreateJobTargetTaskRunStatus = shapes.CreateJobTargetTaskRunStatus
"""CreateJob's `targetTaskRunStatus`: the status the job's tasks start in (default READY).

* SUSPENDED: "Jobs that are created with a SUSPENDED status will not run until manually requeued".
"""

JobTargetTaskRunStatus = shapes.JobTargetTaskRunStatus
"""UpdateJob/BatchUpdateJob `targetTaskRunStatus`; the effects are in `task_states`.

* READY: Requeue: every task back to READY (PENDING where dependencies are unmet).
* FAILED: Every task not SUCCEEDED becomes FAILED.
* SUCCEEDED: Every task becomes SUCCEEDED.
* CANCELED: Every task not SUCCEEDED or FAILED becomes CANCELED.
* SUSPENDED: Tasks in SUCCEEDED, CANCELED or FAILED stay; all others become SUSPENDED.
* PENDING: Requeue, as READY (the docs' requeue example uses PENDING).
"""

StepTargetTaskRunStatus = shapes.StepTargetTaskRunStatus
"""UpdateStep `targetTaskRunStatus`: the UpdateJob targets, restricted to one step."""

TaskTargetRunStatus = shapes.TaskTargetRunStatus
"""UpdateTask/BatchUpdateTask `targetRunStatus`: the UpdateJob targets, for one task."""

JobLifecycleStatus = shapes.JobLifecycleStatus
"""Where a job is in its create/update/archive life, independent of its tasks.

* CREATE_IN_PROGRESS: Submitted; the template is being validated and the steps and tasks created.
* CREATE_FAILED: Validation failed (quota, dependency cycle, internal error); the job never runs.
* CREATE_COMPLETE: Created; its tasks follow their run statuses.
* UPLOAD_IN_PROGRESS: Part of the creation pipeline; undocumented, Farmstead never uses it.
* UPLOAD_FAILED: Part of the creation pipeline; undocumented, Farmstead never uses it.
* UPDATE_IN_PROGRESS: An UpdateJob is being applied.
* UPDATE_FAILED: The last UpdateJob could not be applied.
* UPDATE_SUCCEEDED: The last UpdateJob was applied.
* ARCHIVED: Final: can't be scheduled or modified; only from a terminal run state.
"""

UpdateJobLifecycleStatus = shapes.UpdateJobLifecycleStatus
"""The only lifecycle value UpdateJob accepts."""

StepLifecycleStatus = shapes.StepLifecycleStatus
"""Lifecycle of a step; steps exist only once their job's creation completed."""

DependencyConsumerResolutionStatus = shapes.DependencyConsumerResolutionStatus
"""Whether a step-dependency edge is satisfied (ListStepDependencies / ListStepConsumers).

* RESOLVED: The upstream step's aggregate is SUCCEEDED.
"""

SessionActionStatus = shapes.SessionActionStatus
"""Status of one session action (envEnter, envExit, taskRun, syncInputJobAttachments).

* ASSIGNED: Created and put into the worker's session.
* RUNNING: The worker reported it with `startedAt` and no `completedStatus`.
* CANCELING: A cancel has been sent to the worker and is not yet confirmed.
* INTERRUPTED: Cut short by the worker's own drain or shutdown.
* NEVER_ATTEMPTED: The worker dropped it from its queue without running it.
* SCHEDULED: Created behind other work of the session (pipelining).
* RECLAIMING: Undocumented; probably the service taking back a pipelined, not yet started action.
* RECLAIMED: Undocumented; the taken-back action, its task back to READY without a failure.
"""

CompletedStatus = shapes.CompletedStatus
"""`completedStatus` a worker reports for a session action in UpdateWorkerSchedule."""

SessionLifecycleStatus = shapes.SessionLifecycleStatus
"""Lifecycle of a worker session.

* UPDATE_IN_PROGRESS: UpdateSession(ENDED) is being carried out: no new work, envExits queued.
* ENDED: Taken out of the worker's `assignedSessions`.
"""

SessionLifecycleTargetStatus = shapes.SessionLifecycleTargetStatus
"""The only lifecycle value UpdateSession accepts."""

WorkerStatus = shapes.WorkerStatus
"""Status of a worker.

* CREATED: CreateWorker succeeded; the agent has not said STARTED yet.
* STARTED: Online; the agent called UpdateWorker(STARTED).
* STOPPING: Draining at the worker's request: no new taskRun actions.
* STOPPED: Offline; everything it held has been rescheduled.
* NOT_RESPONDING: No UpdateWorkerSchedule heartbeat for too long; its work was rescheduled.
* NOT_COMPATIBLE: Its reported capabilities don't fit its fleet; must go STOPPED before STARTED.
* RUNNING: Online and holding at least one session.
* IDLE: Online and holding no session.
"""

UpdatedWorkerStatus = shapes.UpdatedWorkerStatus
"""The statuses a worker may set for itself with UpdateWorker."""

DesiredWorkerStatus = shapes.DesiredWorkerStatus
"""UpdateWorkerSchedule's `desiredWorkerStatus`; sent only with an empty `assignedSessions`."""

QueueFleetAssociationStatus = shapes.QueueFleetAssociationStatus
"""Scheduling state of a queue-fleet association.

* STOP_SCHEDULING_AND_COMPLETE_TASKS: No new tasks; the ones on workers run to completion.
* STOP_SCHEDULING_AND_CANCEL_TASKS: No new tasks; the ones on workers are interrupted and go back to READY.
"""

QueueLimitAssociationStatus = shapes.QueueLimitAssociationStatus
"""Usage state of a queue-limit association.

* STOP_LIMIT_USAGE_AND_COMPLETE_TASKS: No new tasks that need the limit; the ones on workers run to completion.
* STOP_LIMIT_USAGE_AND_CANCEL_TASKS: No new tasks that need the limit; the ones on workers go back to READY.
"""

FleetStatus = shapes.FleetStatus
"""Status of a fleet. Farmstead's fleets are customer-managed and created ACTIVE; only an ACTIVE
fleet's workers register (CreateWorker) and are dispatched to."""

QueueStatus = shapes.QueueStatus
"""Status of a queue, derived on every read (store/queues.py), never stored.

* IDLE: No job of the queue has an active task.
* SCHEDULING: A job of the queue has an active task.
* SCHEDULING_BLOCKED: The queue's budget stopped it, or it needs a budget and has none.
"""

BudgetStatus = shapes.BudgetStatus
"""Status of a budget: INACTIVE when set so by UpdateBudget or outside its schedule's window."""

LicenseEndpointStatus = shapes.LicenseEndpointStatus
"""Status of a license endpoint; Farmstead's are READY as soon as they are created."""

SessionsStatisticsAggregationStatus = shapes.SessionsStatisticsAggregationStatus
"""Status of a StartSessionsStatisticsAggregation: Farmstead computes it at once, COMPLETED or FAILED."""

"""Events shaped as AWS Deadline Cloud's EventBridge events (docs/events.md): the same `detail-type`
names and `detail` fields, in the same envelope, so rules and handlers written for EventBridge port
with little change; plus the webhook signature and retry schedule. Pure: no I/O."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from farmstead.domain.rollup import TERMINAL

SOURCE = "aws.deadline"
JOB_LIFECYCLE_STATUS_CHANGE = "Job Lifecycle Status Change"
JOB_RUN_STATUS_CHANGE = "Job Run Status Change"
STEP_LIFECYCLE_STATUS_CHANGE = "Step Lifecycle Status Change"
STEP_RUN_STATUS_CHANGE = "Step Run Status Change"
TASK_RUN_STATUS_CHANGE = "Task Run Status Change"
FLEET_SIZE_RECOMMENDATION_CHANGE = "Fleet Size Recommendation Change"
BUDGET_THRESHOLD_REACHED = "Budget Threshold Reached"
#: Every detail-type Farmstead emits (a subscription may name only these). Deadline Cloud also lists
#: "Worker Status Unhealthy" among its events but publishes no detail fields for it: not emitted.
DETAIL_TYPES = (JOB_LIFECYCLE_STATUS_CHANGE, JOB_RUN_STATUS_CHANGE, STEP_LIFECYCLE_STATUS_CHANGE,
                STEP_RUN_STATUS_CHANGE, TASK_RUN_STATUS_CHANGE, FLEET_SIZE_RECOMMENDATION_CHANGE,
                BUDGET_THRESHOLD_REACHED)
#: One event per task move: written only while some subscription wants them (store/events.py).
PER_TASK_DETAIL_TYPES = (TASK_RUN_STATUS_CHANGE,)

#: A subscription's destination: an http(s) URL (a webhook) or mailto:address (e-mail over SMTP).
MAILTO = "mailto:"

#: The webhook header carrying `sha256=<hex HMAC-SHA256 of the body under the subscription's secret>`.
SIGNATURE_HEADER = "X-Farmstead-Signature"


class DeliveryOutcome(StrEnum):
    """How one attempt to POST an event went (`farmstead events deliveries`)."""

    DELIVERED = "DELIVERED"  # the receiver answered 2xx
    FAILED = "FAILED"  # an error status, a refused connection or no answer in time: tried again


# The details below leave out farmId and queueId, which lead every detail: the outbox row holds them
# (store/events.py `full_detail`).

def job_run_status_change(job_id: str, previous: str | None, status: str, counts: dict[str, int]) -> dict[str, Any]:
    return {"jobId": job_id, "previousTaskRunStatus": previous,
            "taskRunStatus": status, "taskRunStatusCounts": {str(k): n for k, n in counts.items()}}


def step_run_status_change(job_id: str, step_id: str, previous: str | None, status: str,
                           counts: dict[str, int]) -> dict[str, Any]:
    return {"jobId": job_id, "stepId": step_id,
            "previousTaskRunStatus": previous, "taskRunStatus": status,
            "taskRunStatusCounts": {str(k): n for k, n in counts.items()}}


def job_lifecycle_status_change(job_id: str, previous: str | None, status: str) -> dict[str, Any]:
    """`previousLifecycleStatus` is left out when the job is first submitted, as Deadline Cloud does."""
    detail: dict[str, Any] = {"jobId": job_id}
    if previous is not None:
        detail["previousLifecycleStatus"] = str(previous)
    detail["lifecycleStatus"] = str(status)
    return detail


def step_lifecycle_status_change(job_id: str, step_id: str, previous: str, status: str) -> dict[str, Any]:
    return {"jobId": job_id, "stepId": step_id, "previousLifecycleStatus": str(previous),
            "lifecycleStatus": str(status)}


def task_run_status_change(job_id: str, step_id: str, task_id: str, previous: str, status: str) -> dict[str, Any]:
    return {"jobId": job_id, "stepId": step_id, "taskId": task_id, "previousRunStatus": str(previous),
            "runStatus": str(status)}


def fleet_size_recommendation_change(fleet_id: str, before: tuple[int | None, int | None],
                                     after: tuple[int, int | None]) -> dict[str, Any] | None:
    """(worker count, recommended size: None when the fleet does not auto-scale) before and after a
    change; the event's detail when the recommendation now differs from the fleet's size and did not
    in the same way before (as Deadline Cloud: oldFleetSize is the fleet's size now, newFleetSize the
    size recommended); None: nothing to say."""
    count, target = after
    if target is None or target == count or before == after:
        return None
    return {"fleetId": fleet_id, "oldFleetSize": count, "newFleetSize": target}


def budget_threshold_reached(budget_id: str, threshold: float) -> dict[str, Any]:
    """A budget's usage passed `threshold` percent of its limit (farmId leads, from the outbox row):
    a whole percentage is sent as an integer, as Deadline Cloud's example shows."""
    return {"budgetId": budget_id, "thresholdInPercent": int(threshold) if threshold == int(threshold) else threshold}


def wants_per_task_events(detail_types: list[str]) -> bool:
    """Whether a subscription (its detail-types: empty is all) asks for the per-task events."""
    return not detail_types or any(t in PER_TASK_DETAIL_TYPES for t in detail_types)


def envelope(event_id: str, detail_type: str, at: datetime, account: str, region: str,
             detail: dict[str, Any]) -> dict[str, Any]:
    """The EventBridge event: `id` is the event's own (a redelivery repeats it: receivers dedupe on it)."""
    return {"version": "0", "id": event_id, "detail-type": detail_type, "source": SOURCE, "account": account,
            "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "region": region, "resources": [], "detail": detail}


def destination(url: str | None, email: str | None, detail_types: list[str]) -> tuple[str, list[str]]:
    """Where a new subscription sends (its URL, or mailto:address) and the detail-types it keeps: an
    e-mail subscription that names none gets a job's end (EMAIL_DEFAULT_DETAIL_TYPES), not every
    event. ValueError says what is wrong with what was given."""
    if (url is None) == (email is None):
        raise ValueError("Give either a URL to POST to or an e-mail address, not both.")
    if url is not None:
        if not url.startswith(("http://", "https://")):
            raise ValueError("The URL must start with http:// or https://.")
        return url, detail_types
    assert email is not None
    address = email.strip()
    local, _, domain = address.partition("@")
    if not local or not domain or any(c.isspace() or c in "<>,;:" for c in address):
        raise ValueError(f"{email!r} is not an e-mail address.")
    return MAILTO + address, detail_types or list(EMAIL_DEFAULT_DETAIL_TYPES)


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def backoff_seconds(failed_attempts: int, first: float, most: float) -> float:
    """How long to wait after the `failed_attempts`-th failure in a row before trying again: `first`,
    then twice as long each time, never more than `most` (Settings.event_retry_seconds / _max_seconds)."""
    return float(min(first * 2 ** min(max(failed_attempts - 1, 0), 60), most))


@dataclass(frozen=True)
class Interest:
    """What a subscription asks for: a farm's events, or one queue's, or one job's; the detail-types
    it names (empty: all); and, for e-mail, only the events that end or fail something (`mail_worthy`)."""

    farm_id: str
    queue_id: str | None
    job_id: str | None
    detail_types: tuple[str, ...]
    by_email: bool

    def wants(self, farm_id: str, queue_id: str | None, job_id: str | None, detail_type: str,
              detail: dict[str, Any]) -> bool:
        return (farm_id == self.farm_id and (self.queue_id is None or queue_id == self.queue_id)
                and (self.job_id is None or job_id == self.job_id)
                and (not self.detail_types or detail_type in self.detail_types)
                and (not self.by_email or mail_worthy(detail_type, detail)))


#: A mailbox gets an event only when it says something ended or failed: a job's or step's run ending
#: (SUCCEEDED, FAILED, CANCELED, SUSPENDED, NOT_COMPATIBLE), a task failing, an update failing.
_ENDED = frozenset(str(s) for s in TERMINAL)
_FAILED_LIFECYCLES = frozenset({"CREATE_FAILED", "UPDATE_FAILED"})
#: An e-mail subscription that names no detail-type: a job's end (the submitter's "tell me when it's done").
EMAIL_DEFAULT_DETAIL_TYPES = (JOB_RUN_STATUS_CHANGE,)


def mail_worthy(detail_type: str, detail: dict[str, Any]) -> bool:
    if detail_type in (JOB_RUN_STATUS_CHANGE, STEP_RUN_STATUS_CHANGE):
        return detail.get("taskRunStatus") in _ENDED
    if detail_type == TASK_RUN_STATUS_CHANGE:
        return detail.get("runStatus") == "FAILED"
    if detail_type in (JOB_LIFECYCLE_STATUS_CHANGE, STEP_LIFECYCLE_STATUS_CHANGE):
        return detail.get("lifecycleStatus") in _FAILED_LIFECYCLES
    return True

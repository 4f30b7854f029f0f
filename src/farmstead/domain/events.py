"""Events shaped as AWS Deadline Cloud's EventBridge events (docs/events.md): the same `detail-type`
names and `detail` fields, in the same envelope, so rules and handlers written for EventBridge port
with little change; plus the webhook signature and retry schedule. Pure: no I/O."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from enum import StrEnum
from typing import Any

SOURCE = "aws.deadline"
JOB_RUN_STATUS_CHANGE = "Job Run Status Change"
STEP_RUN_STATUS_CHANGE = "Step Run Status Change"
#: Every detail-type Farmstead emits (a subscription may name only these).
DETAIL_TYPES = (JOB_RUN_STATUS_CHANGE, STEP_RUN_STATUS_CHANGE)

#: The webhook header carrying `sha256=<hex HMAC-SHA256 of the body under the subscription's secret>`.
SIGNATURE_HEADER = "X-Farmstead-Signature"
#: The first retry waits this long; each next one twice as long, up to MAX_BACKOFF_SECONDS.
FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 300.0


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


def envelope(event_id: str, detail_type: str, at: datetime, account: str, region: str,
             detail: dict[str, Any]) -> dict[str, Any]:
    """The EventBridge event: `id` is the event's own (a redelivery repeats it: receivers dedupe on it)."""
    return {"version": "0", "id": event_id, "detail-type": detail_type, "source": SOURCE, "account": account,
            "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "region": region, "resources": [], "detail": detail}


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def backoff_seconds(failed_attempts: int) -> float:
    """How long to wait after the `failed_attempts`-th failure in a row before trying again."""
    return float(min(FIRST_BACKOFF_SECONDS * 2 ** max(failed_attempts - 1, 0), MAX_BACKOFF_SECONDS))


def wanted(detail_types: list[str], queue_id: str | None, farm_id: str, event_farm_id: str,
           event_queue_id: str | None, event_detail_type: str) -> bool:
    """Whether a subscription (its farm, optional queue, detail-types: empty is all) wants an event."""
    return (event_farm_id == farm_id and (queue_id is None or event_queue_id == queue_id)
            and (not detail_types or event_detail_type in detail_types))

"""What this server process counts: API requests, dispatch events, store transactions, worker timeouts.

Owns: the counters and histograms in the process's own registry (each replica exposes its own), and
publishing a transaction's dispatch tally. Every count is made after the work it counts committed:
the executor publishes a tally only once its transaction has, and the pipeline counts a request once
its answer is known (a rolled-back request is counted by its error outcome, its dispatch not at all).
Labels are ids, operation names, statuses and error codes only: never names or parameters.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics

from farmstead.orchestration.task_changes import DispatchTally

# No `_created` series beside every counter and histogram: they double a scrape's size, and
# Prometheus reads resets from the counters themselves.
disable_created_metrics()

#: API latencies: most answers take a millisecond or two; admission control waits up to seconds. Ten
#: buckets, not more: this histogram has a set per operation, and each line costs a scrape ~8 us.
_REQUEST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0)
_TRANSACTION_BUCKETS = (0.0002, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0)
#: A READY task waits for a worker from a heartbeat's interval to hours on a busy farm.
_WAIT_BUCKETS = (0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14400, 86400)
#: A frame renders in seconds to hours.
_RUN_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 28800, 86400)


class ProcessMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.requests = Counter("farmstead_api_requests", "API requests answered, by operation and outcome "
                                "(success or the error code)", ["service", "operation", "outcome"],
                                registry=registry)
        self.request_seconds = Histogram("farmstead_api_request_duration_seconds",
                                         "Time spent answering a request (a held schedule call's wait not counted)",
                                         ["service", "operation"], buckets=_REQUEST_BUCKETS, registry=registry)
        self.handed_out = Counter("farmstead_tasks_handed_out", "Tasks dispatch assigned to a worker",
                                  registry=registry)
        self.completed = Counter("farmstead_tasks_completed", "Task runs reported SUCCEEDED", registry=registry)
        self.failed = Counter("farmstead_tasks_failed", "Tasks that ended FAILED (no retry left)", registry=registry)
        self.retried = Counter("farmstead_tasks_retried", "Failed task runs put back READY to run again",
                               registry=registry)
        # Labelled by queue only: step ids are unbounded (every job brings new ones), queues are few.
        self.run_seconds = Histogram("farmstead_task_run_duration_seconds", "Run time of task runs that succeeded",
                                     ["queue_id"], buckets=_RUN_BUCKETS, registry=registry)
        self.ready_to_running = Histogram("farmstead_task_ready_to_running_seconds",
                                          "From a task's becoming READY to its run's start, per run started",
                                          ["queue_id"], buckets=_WAIT_BUCKETS, registry=registry)
        self.worker_timeouts = Counter("farmstead_worker_timeouts", "Workers this process declared NOT_RESPONDING",
                                       registry=registry)
        self.transaction_seconds = Histogram("farmstead_store_transaction_duration_seconds",
                                             "Store transactions, from asking for a connection to commit",
                                             ["kind"], buckets=_TRANSACTION_BUCKETS, registry=registry)
        # Each label set's children, looked up once: labels() takes a lock and builds a key on every
        # call, a share of a read request's own server CPU (docs/benchmarks.md "request_path").
        self._request_children: dict[tuple[str, str, str], tuple[Any, Any]] = {}
        self._transaction_children: dict[str, Any] = {}

    def request(self, service: str, operation: str, outcome: str, seconds: float) -> None:
        key = (service, operation, outcome)
        children = self._request_children.get(key)
        if children is None:  # a race makes the same children twice: labels() hands out one per label set
            children = self._request_children[key] = (self.requests.labels(service, operation, outcome),
                                                      self.request_seconds.labels(service, operation))
        children[0].inc()
        children[1].observe(seconds)

    def dispatched(self, tally: DispatchTally) -> None:
        """A committed transaction's task changes."""
        if tally.handed_out:
            self.handed_out.inc(tally.handed_out)
        if tally.completed:
            self.completed.inc(tally.completed)
        if tally.failed:
            self.failed.inc(tally.failed)
        if tally.retried:
            self.retried.inc(tally.retried)
        for queue_id, seconds in tally.run_seconds:
            self.run_seconds.labels(queue_id).observe(seconds)
        for queue_id, seconds in tally.waits:
            self.ready_to_running.labels(queue_id).observe(seconds)

    def workers_lost(self, count: int) -> None:
        self.worker_timeouts.inc(count)

    def transaction(self, kind: str, seconds: float) -> None:
        child = self._transaction_children.get(kind)
        if child is None:
            child = self._transaction_children[kind] = self.transaction_seconds.labels(kind)
        child.observe(seconds)

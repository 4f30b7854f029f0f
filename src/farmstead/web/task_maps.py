"""Every task of a job at a glance: the run status and run time of each task, per step, kept on the web
side for the frame grid and the estimates (docs/web.md, "Frame grid").

Owns: building a job's map through the API as the signed-in user, once (ListTasks, 100 tasks a call), then
keeping it current with a few small calls instead of reading it all again, and bounding the memory all
maps take. A step whose counters say every task has one status is filled without reading a task. Later
passes read only what can have moved: the tasks in a running status now (SearchTasks), the tasks the map
held as running (BatchGetTask), and the tasks that ended or that a user changed since the last pass
(SearchTasks on ENDED_AT and UPDATED_AT, with a margin for the workers' report delay). A pass whose result
disagrees with the step's counters twice in a row (a change none of those reads sees, such as PENDING
tasks released by their dependencies) reads the step again in full, at most once per `FULL_READ_SECONDS`.
Must not: read the store, or show a job to a user the API would not: callers ask GetJob as their user
before they read a map, and a map holds only what ListTasks gives any VIEWER of the job.
"""

from __future__ import annotations

import threading
import time
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from farmstead.domain.statuses import TaskRunStatus as S

#: One letter per status in the map and in the grid's data (static/frame_grid.js reads the same table).
CODES: dict[str, str] = {
    S.PENDING: "p", S.READY: "r", S.ASSIGNED: "a", S.STARTING: "t", S.SCHEDULED: "h", S.RUNNING: "R",
    S.INTERRUPTING: "i", S.SUSPENDED: "s", S.CANCELED: "c", S.FAILED: "F", S.SUCCEEDED: "S",
    S.NOT_COMPATIBLE: "n",
}
STATUS_OF = {code: status for status, code in CODES.items()}
UNKNOWN = "?"
_ON_A_WORKER = (S.ASSIGNED, S.STARTING, S.SCHEDULED, S.RUNNING, S.INTERRUPTING)
_ON_A_WORKER_CODES = tuple(CODES[s].encode() for s in _ON_A_WORKER)
#: Workers report a task's end at their next heartbeat, and a reconnecting worker later still: an end
#: reported this long after it happened is still found by the next pass.
REPORT_MARGIN = timedelta(minutes=2)
FULL_READ_SECONDS = 20.0
#: A map is brought up to date at most this often, however many pages poll it.
MIN_PASS_SECONDS = 1.5
#: Jobs up to this size are brought up to date inside the request (a few calls); larger ones in a thread,
#: while the request answers with the map as it stands.
INLINE_TASKS = 2_000
#: All maps together hold at most this many tasks (5 bytes each); the least recently used go first.
MAX_TASKS = 3_000_000
#: SearchTasks reaches the first 10,000 matches; a search that would need more is a full read instead.
SEARCH_REACH = 10_000

Call = Callable[..., dict[str, Any]]


def task_id(step_id: str, index: int) -> str:
    """Tasks are `task-<the step's hex>-<index>` (api/job_creation.py), so a grid cell knows its task."""
    return f"task-{step_id.split('-', 1)[1]}-{index}"


def index_of(task: str) -> int:
    return int(task.rsplit("-", 1)[1])


class _Truncated(Exception):
    """A search matched more than SearchTasks can page through."""


@dataclass
class StepMap:
    step_id: str
    total: int
    codes: bytearray
    #: Run time in ms of each SUCCEEDED task (its start to its end, as its worker reported them); -1 unknown.
    run_ms: array
    counts: dict[str, int] = field(default_factory=dict)
    read_fully: bool = False
    watermark: datetime | None = None
    disagreements: int = 0
    last_full_read: float = 0.0
    version: int = 0
    #: (version, estimates.FrameTimes | None) of the last time the run times were summed up.
    times: tuple[int, Any] | None = None

    @classmethod
    def empty(cls, step_id: str, total: int) -> StepMap:
        return cls(step_id, total, bytearray(UNKNOWN.encode() * total), array("i", [-1]) * total)

    def histogram(self) -> dict[str, int]:
        found = {STATUS_OF[chr(c)]: self.codes.count(c) for c in {ord(code) for code in STATUS_OF}}
        return {status: n for status, n in found.items() if n}

    def put(self, task: dict[str, Any]) -> None:
        index = index_of(task["taskId"])
        if not 0 <= index < self.total:
            return
        status = task.get("runStatus", "")
        self.codes[index] = ord(CODES.get(status, UNKNOWN))
        started, ended = task.get("startedAt"), task.get("endedAt")
        if status == S.SUCCEEDED and isinstance(started, datetime) and isinstance(ended, datetime):
            self.run_ms[index] = max(0, min(2**31 - 1, int((ended - started).total_seconds() * 1000)))

    def run_times(self) -> list[int]:
        """Run times (ms) of the SUCCEEDED tasks whose times are known."""
        succeeded = ord(CODES[S.SUCCEEDED])
        return [ms for code, ms in zip(self.codes, self.run_ms, strict=True) if code == succeeded and ms >= 0]


@dataclass
class JobMap:
    job_id: str
    steps: dict[str, StepMap] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    last_pass: float = 0.0
    passing: bool = False
    error: str | None = None

    @property
    def size(self) -> int:
        return sum(s.total for s in self.steps.values())


class TaskMaps:
    """The maps of the jobs users have open, shared by every user who may read the job."""

    def __init__(self, max_tasks: int = MAX_TASKS) -> None:
        self._maps: OrderedDict[str, JobMap] = OrderedDict()
        self._lock = threading.Lock()
        self._max_tasks = max_tasks

    def current(self, call: Call, ids: dict[str, str], steps: list[dict[str, Any]]) -> JobMap:
        """The job's map, brought up to date with `steps` (ListSteps as the user) when it is due: inside this
        call for a small job, in a thread for a large one (the answer is then the map as it stands)."""
        job_map = self._entry(ids["jobId"], steps)
        now = time.monotonic()
        due = now - job_map.last_pass >= MIN_PASS_SECONDS and any(
            _counts(s) != job_map.steps[s["stepId"]].counts or not job_map.steps[s["stepId"]].read_fully
            for s in steps if s["stepId"] in job_map.steps)
        if not due or job_map.passing:
            return job_map
        job_map.passing, job_map.last_pass = True, now
        if job_map.size <= INLINE_TASKS:
            self._pass(job_map, call, ids, steps)
        else:
            threading.Thread(target=self._pass, args=(job_map, call, ids, steps), daemon=True,
                             name=f"task-map {ids['jobId']}").start()
        return job_map

    def _entry(self, job_id: str, steps: list[dict[str, Any]]) -> JobMap:
        with self._lock:
            job_map = self._maps.get(job_id)
            if job_map is None:
                job_map = self._maps[job_id] = JobMap(job_id)
            self._maps.move_to_end(job_id)
            for step in steps:
                total = sum(_counts(step).values())
                known = job_map.steps.get(step["stepId"])
                if known is None or known.total != total:  # a job still being created grows
                    job_map.steps[step["stepId"]] = StepMap.empty(step["stepId"], total)
            held = sum(m.size for m in self._maps.values())
            while held > self._max_tasks and len(self._maps) > 1:
                _, dropped = self._maps.popitem(last=False)
                held -= dropped.size
            return job_map

    def _pass(self, job_map: JobMap, call: Call, ids: dict[str, str], steps: list[dict[str, Any]]) -> None:
        try:
            with job_map.lock:
                for step in steps:
                    step_map = job_map.steps.get(step["stepId"])
                    if step_map is not None:
                        _bring_up(step_map, call, ids, step)
                job_map.error = None
        except Exception as err:  # noqa: BLE001 - shown on the grid; the next pass tries again
            job_map.error = str(err)[:300]
        finally:
            job_map.passing = False


def _counts(step: dict[str, Any]) -> dict[str, int]:
    return {k: v for k, v in (step.get("taskRunStatusCounts") or {}).items() if v}


def _bring_up(step_map: StepMap, call: Call, ids: dict[str, str], step: dict[str, Any]) -> None:
    counts = _counts(step)
    if counts == step_map.counts and step_map.read_fully:
        return
    started = datetime.now(UTC)
    if len(counts) == 1 and next(iter(counts)) != S.SUCCEEDED:
        # Every task has one status: nothing to read (a SUCCEEDED step is read once for its run times).
        step_map.codes[:] = CODES[next(iter(counts))].encode() * step_map.total
        step_map.read_fully = True
    elif not step_map.read_fully or step_map.watermark is None:
        _read_fully(step_map, call, ids)
    else:
        try:
            _read_changes(step_map, call, ids)
        except _Truncated:
            _read_fully(step_map, call, ids)
        if step_map.histogram() != counts:
            # Tasks moved while we read, or a change the reads above can't see: the second time running,
            # read the step again (not more often than FULL_READ_SECONDS).
            step_map.disagreements += 1
            if step_map.disagreements >= 2 and time.monotonic() - step_map.last_full_read >= FULL_READ_SECONDS:
                _read_fully(step_map, call, ids)
    held = step_map.histogram()
    if held == counts:
        step_map.disagreements = 0
    # After a disagreement the map is noted as holding what it holds, so the next poll makes another pass.
    step_map.counts = counts if held == counts else held
    step_map.watermark = started
    step_map.version += 1


def _read_fully(step_map: StepMap, call: Call, ids: dict[str, str]) -> None:
    token = None
    while True:
        page = call("ListTasks", stepId=step_map.step_id, maxResults=100, nextToken=token, **ids)
        for task in page.get("tasks", []):
            step_map.put(task)
        token = page.get("nextToken")
        if not token:
            break
    step_map.read_fully = True
    step_map.last_full_read = time.monotonic()


def _read_changes(step_map: StepMap, call: Call, ids: dict[str, str]) -> None:
    assert step_map.watermark is not None
    since = step_map.watermark - REPORT_MARGIN
    step_filter = {"stringFilter": {"name": "STEP_ID", "operator": "EQUAL", "value": step_map.step_id}}
    found: dict[str, dict[str, Any]] = {}
    for condition in (
            {"stringListFilter": {"name": "RUN_STATUS", "operator": "ANY_EQUALS", "values": list(_ON_A_WORKER)}},
            {"dateTimeFilter": {"name": "ENDED_AT", "operator": "GREATER_THAN_EQUAL_TO", "dateTime": since}},
            {"dateTimeFilter": {"name": "UPDATED_AT", "operator": "GREATER_THAN_EQUAL_TO", "dateTime": since}}):
        for task in _search(call, ids, {"operator": "AND", "filters": [step_filter, condition]}):
            found[task["taskId"]] = task
    were_running = [task_id(step_map.step_id, i) for i in _indexes_of(step_map.codes, _ON_A_WORKER_CODES)]
    unseen = [t for t in were_running if t not in found]
    for start in range(0, len(unseen), 100):
        answer = call("BatchGetTask", identifiers=[{**ids, "stepId": step_map.step_id, "taskId": t}
                                                   for t in unseen[start:start + 100]])
        for task in answer.get("tasks", []):
            found[task["taskId"]] = task
    for task in found.values():
        step_map.put(task)


def _search(call: Call, ids: dict[str, str], filters: dict[str, Any]) -> Iterator[dict[str, Any]]:
    offset: int | None = 0
    while offset is not None:
        page = call("SearchTasks", farmId=ids["farmId"], queueIds=[ids["queueId"]], jobId=ids["jobId"],
                    itemOffset=offset, pageSize=100, filterExpressions=filters)
        if page.get("totalResults", 0) >= SEARCH_REACH:
            raise _Truncated
        yield from page.get("tasks", [])
        offset = page.get("nextItemOffset")


def _indexes_of(codes: bytearray, wanted: tuple[bytes, ...]) -> Iterator[int]:
    for code in wanted:
        at = codes.find(code)
        while at >= 0:
            yield at
            at = codes.find(code, at + 1)


maps = TaskMaps()

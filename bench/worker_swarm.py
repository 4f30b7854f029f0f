"""Scripted workers without boto3: many asyncio workers per process, each on its own keep-alive socket.

Owns: driving already-STARTED workers through UpdateWorkerSchedule as fast as the server answers.
Each worker reports every action it holds (tasks queued ahead included) as SUCCEEDED (startedAt,
endedAt, completedStatus, processExitCode 0 in one report, as the agent sends a finished action) and
takes its next action from the same answer; a worker stops when the time is up or when an answer
assigns it nothing. Every request is signed anew (bench.sigv4), because its body changes every call.
Workers run in several processes (fork) so the client is never the bottleneck; each process reports
its own CPU. A warm-up call per worker (no report; it gets the first action) happens before the
clock starts, so the measured window holds only report-and-take calls. Answers 429/503 are retried
with the same report and counted.
Must not: set anything up (workers must exist and be STARTED) or decide what the figures mean.
"""

from __future__ import annotations

import array
import asyncio
import json
import multiprocessing
import time
from dataclasses import dataclass, field

from bench.sigv4 import Signer

#: Answers after which the agent resends the same report (ThrottlingException, store busy).
RETRIED = (429, 503)


@dataclass
class SwarmResult:
    """What one process's workers saw; results of all processes are merged with `merge`."""

    calls: int = 0  # measured calls (warm-up excluded), retries included
    latencies: bytes = b""  # array('d') of seconds per measured call
    ack_times: bytes = b""  # array('d') of time.monotonic() at each acknowledged SUCCEEDED report
    seen_task_ids: list[str] = field(default_factory=list)  # taskRun actions handed out, warm-up included
    succeeded_task_ids: list[str] = field(default_factory=list)  # SUCCEEDED reports the server acknowledged
    retried: int = 0
    failures: list[str] = field(default_factory=list)
    cpu_s: float = 0.0  # this process's CPU over the measured window
    last_ack: float = 0.0  # time.monotonic() (system-wide on Linux) of the last acknowledged report
    out_of_work: int = 0  # workers that stopped because nothing was assigned any more

    def merge(self, other: SwarmResult) -> SwarmResult:
        return SwarmResult(self.calls + other.calls, self.latencies + other.latencies,
                           self.ack_times + other.ack_times,
                           self.seen_task_ids + other.seen_task_ids,
                           self.succeeded_task_ids + other.succeeded_task_ids, self.retried + other.retried,
                           self.failures + other.failures, self.cpu_s + other.cpu_s,
                           max(self.last_ack, other.last_ack), self.out_of_work + other.out_of_work)

    def latency_array(self) -> array.array:
        values = array.array("d")
        values.frombytes(self.latencies)
        return values

    def ack_array(self) -> array.array:
        values = array.array("d")
        values.frombytes(self.ack_times)
        return values


def _iso(moment: float) -> str:
    # What the official agent sends: ISO 8601 with microseconds and Z (docs/compatibility.md).
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(moment)) + f".{int(moment % 1 * 1e6):06d}Z"


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            return int(line[15:])
    raise RuntimeError(f"answer without Content-Length: {head[:200]!r}")


class _Worker:
    def __init__(self, ids: tuple[str, str, str], signer: Signer, result: SwarmResult,
                 latencies: array.array, acks: array.array) -> None:
        farm_id, fleet_id, worker_id = ids
        self.path = f"/2023-10-12/farms/{farm_id}/fleets/{fleet_id}/workers/{worker_id}/schedule"
        self.signer = signer
        self.result = result
        self.latencies = latencies
        self.acks = acks
        self.done: set[str] = set()  # action ids finished here: an answer listing one again is not new work
        self.held: list[tuple[str, str | None, float]] = []  # (action id, task id, received at), in order
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self, host: str, port: int) -> None:
        self.reader, self.writer = await asyncio.open_connection(host, port)

    async def _call(self, reports: dict, measured: bool) -> dict | None:
        """One UpdateWorkerSchedule, retried on 429/503; None after a failure (recorded)."""
        body = json.dumps({"updatedSessionActions": reports}, separators=(",", ":")).encode()
        while True:
            sent = time.perf_counter()
            self.writer.write(self.signer.head("PATCH", self.path, body) + body)
            head = await self.reader.readuntil(b"\r\n\r\n")
            payload = await self.reader.readexactly(_content_length(head))
            if measured:
                self.latencies.append(time.perf_counter() - sent)
                self.result.calls += 1
            status = int(head[9:12])
            if status == 200:
                return json.loads(payload)
            if status in RETRIED:
                self.result.retried += 1
                continue
            self.result.failures.append(f"{self.path}: HTTP {status} {payload[:300]!r}")
            return None

    def _take(self, answer: dict) -> bool:
        """Hold every new action of the answer, in order (tasks queued ahead included: the agent runs
        them back to back); False when nothing new is assigned."""
        took = False
        for session in answer["assignedSessions"].values():
            for action in session["sessionActions"]:
                action_id = action["sessionActionId"]
                if action_id in self.done:
                    continue
                task_id = action["definition"].get("taskRun", {}).get("taskId")
                if task_id is not None:
                    self.result.seen_task_ids.append(task_id)
                self.held.append((action_id, task_id, time.time()))
                took = True
        return took

    async def warm_up(self) -> None:
        answer = await self._call({}, measured=False)
        if answer is not None:
            self._take(answer)

    async def run(self, end: float) -> None:
        while time.monotonic() < end:
            # Zero-length tasks: everything held ran, one after the other, since the last answer.
            reports = {}
            for action_id, _, received in self.held:
                reports[action_id] = {"startedAt": _iso(received), "completedStatus": "SUCCEEDED",
                                      "processExitCode": 0, "endedAt": _iso(time.time())}
            answer = await self._call(reports, measured=True)
            if answer is None:
                return
            if self.held:
                self.result.last_ack = time.monotonic()
            for action_id, task_id, _ in self.held:
                self.done.add(action_id)
                if task_id is not None:
                    self.result.succeeded_task_ids.append(task_id)
                    self.acks.append(self.result.last_ack)
            self.held = []
            # A session still listed with nothing new in it: poll again (with nothing to report).
            if not self._take(answer) and not answer["assignedSessions"]:
                self.result.out_of_work += 1
                return

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def _swarm(host: str, port: int, credentials: tuple[str, str, str], worker_ids: list, ready, go,
                 start, seconds: float) -> SwarmResult:
    key_id, secret, region = credentials
    signer = Signer(key_id, secret, region, f"{host}:{port}")
    result = SwarmResult()
    latencies, acks = array.array("d"), array.array("d")
    workers = [_Worker(tuple(ids), signer, result, latencies, acks) for ids in worker_ids]
    try:
        await asyncio.gather(*(worker.connect(host, port) for worker in workers))
        await asyncio.gather(*(worker.warm_up() for worker in workers))
    finally:
        ready.put(len(result.failures))
    if result.failures:
        return result
    go.wait()  # blocking on purpose: nothing else runs in this loop until the clock starts
    cpu_before = time.process_time()
    end = start.value + seconds
    try:
        await asyncio.gather(*(worker.run(end) for worker in workers))
    finally:
        for worker in workers:
            worker.close()
    result.cpu_s = time.process_time() - cpu_before
    result.latencies = latencies.tobytes()
    result.ack_times = acks.tobytes()
    return result


def _process_main(host, port, credentials, worker_ids, ready, go, start, seconds, pipe) -> None:
    try:
        import uvloop
        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    try:
        pipe.send(runner(_swarm(host, port, credentials, worker_ids, ready, go, start, seconds)))
    except BaseException as error:  # noqa: BLE001 - the parent must hear about it, not hang
        pipe.send(SwarmResult(failures=[f"worker process: {error!r}"]))
        ready.put(1)
    finally:
        pipe.close()


class Swarm:
    """`processes` processes sharing `worker_ids` ((farmId, fleetId, workerId) triples) round-robin;
    with several ports (API replicas), process i talks to ports[i % len(ports)]."""

    def __init__(self, host: str, port: int | list[int], credentials: tuple[str, str, str], worker_ids: list,
                 processes: int = 2) -> None:
        context = multiprocessing.get_context("fork")
        self._ready = context.Queue()
        self._go = context.Event()
        self._start = context.Value("d", 0.0)
        self._host, self._credentials = host, credentials
        self._ports = port if isinstance(port, list) else [port]
        self._shares = [worker_ids[i::processes] for i in range(processes) if worker_ids[i::processes]]
        self._context = context
        self._processes: list = []
        self._pipes: list = []

    def warm_up(self, seconds: float) -> None:
        """Start the processes; returns when every worker holds its first action (or failed)."""
        for index, share in enumerate(self._shares):
            receiving, sending = self._context.Pipe(duplex=False)
            process = self._context.Process(
                target=_process_main, daemon=True,
                args=(self._host, self._ports[index % len(self._ports)], self._credentials, share, self._ready,
                      self._go, self._start, seconds, sending))
            process.start()
            sending.close()
            self._processes.append(process)
            self._pipes.append(receiving)
        for _ in self._processes:
            self._ready.get(timeout=120)

    def go(self) -> float:
        """Start the clock for every process at once; returns the start (time.monotonic())."""
        self._start.value = time.monotonic()
        self._go.set()
        return self._start.value

    def join(self) -> tuple[SwarmResult, list[float]]:
        """The merged result, and each process's CPU seconds over the window."""
        results = [pipe.recv() for pipe in self._pipes]
        for process in self._processes:
            process.join(30)
        merged = SwarmResult()
        for result in results:
            merged = merged.merge(result)
        return merged, [result.cpu_s for result in results]

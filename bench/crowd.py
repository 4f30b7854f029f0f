"""A crowd of clients on one server: users in a closed loop over a mix of signed requests, and workers
heartbeating on a timer, each on its own keep-alive connection, all connecting at the same moment.

Owns: driving them from several processes (asyncio, uvloop when installed) for a bounded time and
reporting, per class (user, worker), the latency of every answer (2xx and 429 alike) as a histogram,
how many answers were throttled (429), failed otherwise, or never came (no answer within TIMEOUT,
as botocore's read timeout), and the slowest first answer of a connection opened at the start.
A throttled user waits Retry-After (times 0.5-1.5, so retries spread) before its next request, as a
well-behaved client; a throttled worker keeps its timer.
Must not: sign (requests are signed once by the caller) or set anything up.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import random
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

#: botocore's default read timeout: an answer later than this is a client time-out.
TIMEOUT = 60.0


@dataclass
class ClassResult:
    latency_us: Counter = field(default_factory=Counter)  # every answer, 2xx and 429
    ok: int = 0
    throttled: int = 0
    failed: int = 0  # other statuses and broken connections
    timeouts: int = 0
    first_answer_s: float = 0.0  # the slowest first answer of a connection opened at the start

    def merge(self, other: ClassResult) -> None:
        self.latency_us.update(other.latency_us)
        self.ok += other.ok
        self.throttled += other.throttled
        self.failed += other.failed
        self.timeouts += other.timeouts
        self.first_answer_s = max(self.first_answer_s, other.first_answer_s)

    @property
    def answers(self) -> int:
        return self.ok + self.throttled + self.failed


@dataclass
class CrowdResult:
    users: ClassResult
    workers: ClassResult
    seconds: float
    client_cpu_s: float


def run_crowd(host: str, port: int, user_requests: list[list[bytes]], worker_requests: list[bytes],
              seconds: float, heartbeat_s: float, processes: int = 2) -> CrowdResult:
    """`user_requests[i]`: client i's request mix (wire bytes), sent in turn; `worker_requests[j]`:
    worker j's heartbeat, sent every `heartbeat_s`."""
    shares = [(user_requests[p::processes], worker_requests[p::processes]) for p in range(processes)]
    start_at = time.time() + 1.0 + 0.05 * len(user_requests)  # every process ready, then all connect at once
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork")) as pool:
        futures = [pool.submit(_process, host, port, users, workers, start_at, seconds, heartbeat_s)
                   for users, workers in shares]
        parts = [future.result() for future in futures]
    users, workers = ClassResult(), ClassResult()
    for part_users, part_workers, _cpu in parts:
        users.merge(part_users)
        workers.merge(part_workers)
    return CrowdResult(users, workers, seconds, sum(part[2] for part in parts))


def _process(host, port, users, workers, start_at, seconds, heartbeat_s) -> tuple[ClassResult, ClassResult, float]:
    try:
        import uvloop
        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    cpu = time.process_time()
    user_result, worker_result = runner(_drive(host, port, users, workers, start_at, seconds, heartbeat_s))
    return user_result, worker_result, time.process_time() - cpu


async def _drive(host, port, users, workers, start_at, seconds, heartbeat_s) -> tuple[ClassResult, ClassResult]:
    user_result, worker_result = ClassResult(), ClassResult()
    await asyncio.sleep(max(0.0, start_at - time.time()))
    end = time.monotonic() + seconds
    clients = [_user(host, port, mix, end, user_result) for mix in users]
    clients += [_worker(host, port, wire, index / max(1, len(workers)) * heartbeat_s, heartbeat_s, end, worker_result)
                for index, wire in enumerate(workers)]
    await asyncio.gather(*clients)
    return user_result, worker_result


async def _call(host, port, connection, wire: bytes, result: ClassResult) -> tuple[object, int, float]:
    """(connection or None when it broke, status (0 = no answer), retry-after seconds)."""
    sent = time.monotonic()
    try:
        if connection is None:
            connection = await asyncio.wait_for(asyncio.open_connection(host, port), TIMEOUT)
        reader, writer = connection
        writer.write(wire)
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT - (time.monotonic() - sent))
        headers = {line.split(b":", 1)[0].strip().lower(): line.split(b":", 1)[1].strip()
                   for line in head.split(b"\r\n")[1:] if b":" in line}
        await asyncio.wait_for(reader.readexactly(int(headers.get(b"content-length", b"0"))), TIMEOUT)
    except TimeoutError:
        result.timeouts += 1
        return _closed(connection), 0, 0.0
    except (OSError, asyncio.IncompleteReadError):
        result.failed += 1
        return _closed(connection), 0, 0.0
    result.latency_us[int((time.monotonic() - sent) * 1e6)] += 1
    status = int(head[9:12])
    if status == 429:
        result.throttled += 1
    elif status < 300:
        result.ok += 1
    else:
        result.failed += 1
    if headers.get(b"connection", b"").lower() == b"close":
        connection = _closed(connection)
    return connection, status, float(headers.get(b"retry-after", b"1"))


def _closed(connection) -> None:
    if connection is not None:
        connection[1].close()
    return None


async def _user(host, port, mix: list[bytes], end: float, result: ClassResult) -> None:
    connection = None
    opened = time.monotonic()
    first = True
    turn = random.randrange(len(mix))
    while time.monotonic() < end:
        connection, status, retry_after = await _call(host, port, connection, mix[turn % len(mix)], result)
        turn += 1
        if first and status:
            result.first_answer_s = max(result.first_answer_s, time.monotonic() - opened)
            first = False
        if status == 429:
            await asyncio.sleep(retry_after * random.uniform(0.5, 1.5))


async def _worker(host, port, wire: bytes, phase: float, every: float, end: float, result: ClassResult) -> None:
    connection = None
    slot = time.monotonic() + phase
    while slot < end:
        await asyncio.sleep(max(0.0, slot - time.monotonic()))
        connection, _status, _ = await _call(host, port, connection, wire, result)
        slot += every

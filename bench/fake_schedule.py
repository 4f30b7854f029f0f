"""A stand-in for UpdateWorkerSchedule, to measure what the benchmark's client can do alone.

Owns: a forked process answering every request on a keep-alive socket with a new taskRun action
(the shape and size of the real answer), either at once or after holding one CPU busy for a fixed
service time per request, one request at a time (like the real server's single event loop); and
`client_capacity`, which drives the same worker swarm the dispatch benchmark uses against it. If
the client alone does many times the server's rate, and costs little CPU at the target's rate,
the client is not what limits the figures.
Must not: check signatures or mimic any server behaviour beyond the answer's shape.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import multiprocessing
import time

from bench.worker_swarm import Swarm
from farmstead.testing.live_server import free_port

_HEX = "0" * 32


def _answer(number: int) -> bytes:
    action = {"sessionActionId": f"sessionaction-{_HEX}-{number}",
              "definition": {"taskRun": {"stepId": f"step-{_HEX}", "taskId": f"task-{_HEX}-{number}",
                                         "parameters": {"Frame": {"int": str(number)}}}}}
    body = json.dumps({"assignedSessions": {f"session-{_HEX}": {
        "queueId": f"queue-{_HEX}", "jobId": f"job-{_HEX}", "sessionActions": [action],
        "logConfiguration": {"logDriver": "awslogs", "parameters": {"interval": "15"},
                             "options": {"logGroupName": f"/aws/deadline/farm-{_HEX}/queue-{_HEX}",
                                         "logStreamName": f"session-{_HEX}"}}}},
        "cancelSessionActions": {}, "updateIntervalSeconds": 2}).encode()
    return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)


def _serve(port: int, ready, service_s: float) -> None:
    numbers = itertools.count()

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line[15:]) for line in head.split(b"\r\n")
                               if line[:15].lower() == b"content-length:"), 0)
                await reader.readexactly(length)
                if service_s:
                    # Busy, not asleep, and blocking the loop: the CPU and the serial order a server costs.
                    until = time.perf_counter() + service_s
                    while time.perf_counter() < until:
                        pass
                writer.write(_answer(next(numbers)))
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(connection, "127.0.0.1", port)
        ready.set()
        await server.serve_forever()

    try:
        import uvloop
        uvloop.run(main())
    except ImportError:
        asyncio.run(main())


def client_capacity(workers: int, seconds: float, processes: int,
                    service_s: float = 0.0) -> tuple[float, float, float]:
    """(calls/s, client CPU µs per call, client CPU in cores) of `workers` lean workers against the
    stand-in taking `service_s` of CPU per request (0: answering at once)."""
    context = multiprocessing.get_context("fork")
    ready = context.Event()
    port = free_port()
    server = context.Process(target=_serve, args=(port, ready, service_s), daemon=True)
    server.start()
    try:
        ready.wait(30)
        ids = [(f"farm-{_HEX}", f"fleet-{_HEX}", f"worker-{number:032d}") for number in range(workers)]
        swarm = Swarm("127.0.0.1", port, ("AKIAFAKEFAKEFAKEFAKE", "not-checked", "us-west-2"), ids, processes)
        swarm.warm_up(seconds)
        start = swarm.go()
        result, process_cpu = swarm.join()
    finally:
        server.terminate()
        server.join(10)
    if result.failures:
        raise RuntimeError(f"client check failed: {result.failures[0]}")
    elapsed = result.last_ack - start
    return result.calls / elapsed, sum(process_cpu) / result.calls * 1e6, sum(process_cpu) / elapsed

"""Closed-loop load on one signed request: wrk when it is installed, a lean Python client otherwise.

Owns: replaying one SignedRequest from N keep-alive connections for a bounded time (and, for the
Python client, a bounded number of requests), and reporting requests, seconds, p50/p99 latency and
failures the same way for both tools, so figures from either are comparable within one run.
wrk (C, one thread) costs the server's 2-core machine far less CPU than any Python client, which is
why it is preferred; the Python client runs asyncio streams in worker processes over raw sockets.
Must not: sign requests (lean_client does, once) or decide what to measure.
"""

from __future__ import annotations

import array
import asyncio
import json
import multiprocessing
import os
import resource
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from bench.figures import histogram_percentile
from bench.lean_client import SignedRequest
from bench.machine import wrk_version


@dataclass
class LoadResult:
    label: str
    requests: int
    seconds: float
    latency_us: Counter = field(repr=False)  # latency in whole microseconds -> how many requests took it
    failures: int  # non-2xx answers and socket errors
    client_cpu_s: float  # the load generator's own CPU
    server_cpu_s: float = float("nan")  # filled in by the caller, who can see the server process
    other_load: float = float("nan")  # share of the machine others used meanwhile (caller fills it in)

    @property
    def p50_ms(self) -> float:
        return histogram_percentile(self.latency_us, 50) / 1000

    @property
    def p99_ms(self) -> float:
        return histogram_percentile(self.latency_us, 99) / 1000

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def server_cpu_us(self) -> float:
        """Server CPU (all threads) per request: the noise-robust cost figure."""
        return self.server_cpu_s / self.requests * 1e6 if self.requests else float("nan")


class LoadGenerator:
    """Replays signed requests; `tool` says which client is in use."""

    def __init__(self, prefer: str = "auto", connections: int = 32, python_processes: int = 2) -> None:
        self.connections = connections
        self._wrk = shutil.which("wrk") if prefer in ("auto", "wrk") else None
        if prefer == "wrk" and self._wrk is None:
            raise SystemExit("wrk was asked for but is not installed (apt-get install -y wrk)")
        self._processes = python_processes
        self._pool: ProcessPoolExecutor | None = None
        self._scripts = tempfile.TemporaryDirectory(prefix="farmstead-bench-wrk-")

    @property
    def tool(self) -> str:
        if self._wrk:
            return f"{wrk_version()}, 1 thread"
        return f"Python asyncio client, {self._processes} processes"

    def run(self, request: SignedRequest, seconds: float, *, connections: int | None = None,
            max_requests: int = 50_000) -> LoadResult:
        connections = connections or self.connections
        if self._wrk:
            return self._run_wrk(request, seconds, connections)
        return self._run_python(request, seconds, connections, max_requests)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
        self._scripts.cleanup()

    # --- wrk -----------------------------------------------------------------------------------------

    def _run_wrk(self, request: SignedRequest, seconds: float, connections: int) -> LoadResult:
        script = os.path.join(self._scripts.name, f"{abs(hash(request.wire()))}.lua")
        if not os.path.exists(script):
            with open(script, "w") as handle:
                handle.write(_wrk_script(request))
        # wrk is bounded by -d; at the request rates of this server that bounds the request count too.
        command = [self._wrk, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
                   "-s", script, f"http://{request.netloc}"]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        client_cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        lines = {ln.split(" ", 1)[0]: ln.split(" ", 1)[1] for ln in done.stdout.splitlines()
                 if ln.startswith(("WRKJSON ", "WRKHIST "))}
        if "WRKJSON" not in lines:
            raise RuntimeError(f"wrk gave no summary: {done.stdout}\n{done.stderr}")
        figures = json.loads(lines["WRKJSON"])
        histogram = Counter()
        for pair in lines.get("WRKHIST", "").split():
            value, count = pair.split(":")
            histogram[int(value)] = int(count)
        return LoadResult(request.label, figures["requests"], figures["duration_us"] / 1e6, histogram,
                          figures["failures"], client_cpu)

    # --- Python ----------------------------------------------------------------------------------------

    def _run_python(self, request: SignedRequest, seconds: float, connections: int,
                    max_requests: int) -> LoadResult:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self._processes, mp_context=multiprocessing.get_context("fork"))
        host, _, port = request.netloc.partition(":")
        shares = [connections // self._processes + (i < connections % self._processes)
                  for i in range(self._processes)]
        caps = [max_requests // self._processes] * self._processes
        futures = [self._pool.submit(_drive_process, request.wire(), host, int(port), share, seconds, cap)
                   for share, cap in zip(shares, caps, strict=True) if share]
        results = [future.result() for future in futures]
        histogram = Counter()
        for _count, _elapsed, raw, _failures, _cpu in results:
            latencies = array.array("d")
            latencies.frombytes(raw)
            histogram.update(int(latency * 1e6) for latency in latencies)
        rps = sum(result[0] / result[1] for result in results if result[1])
        requests = sum(r[0] for r in results)
        return LoadResult(request.label, requests, requests / rps if rps else 0.0, histogram,
                          sum(r[3] for r in results), sum(r[4] for r in results))


def _lua_string(text: str) -> str:
    return "[==[" + text + "]==]"


def _wrk_script(request: SignedRequest) -> str:
    lines = [f"wrk.method = {_lua_string(request.method)}", f"wrk.path = {_lua_string(request.target)}"]
    if request.body:
        lines.append(f"wrk.body = {_lua_string(request.body.decode())}")
    lines += [f"wrk.headers[ {_lua_string(name)} ] = {_lua_string(value)}" for name, value in request.headers]
    # The whole latency histogram, so that rounds can be pooled into one distribution per route
    # instead of taking medians of per-round percentiles. In wrk 4, #latency is the number of distinct
    # latencies (in us) and latency(i) gives the i-th one and how many requests took it.
    lines.append("""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests": %.0f, "duration_us": %.0f, "failures": %.0f}\\n',
    summary.requests, summary.duration, e.status + e.connect + e.read + e.write + e.timeout))
  local parts = {}
  for i = 1, #latency do
    local value, count = latency(i)
    parts[#parts + 1] = string.format("%.0f:%.0f", value, count)
  end
  io.write("WRKHIST " .. table.concat(parts, " ") .. "\\n")
end
""")
    return "\n".join(lines)


def _drive_process(wire: bytes, host: str, port: int, connections: int, seconds: float,
                   cap: int) -> tuple[int, float, bytes, int, float]:
    """One worker process: `connections` keep-alive sockets replaying `wire` until time or cap runs out.

    Returns (requests, seconds, latencies as array('d') bytes, failures, this process's CPU seconds).
    """
    try:
        import uvloop
        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    cpu_before = time.process_time()
    count, elapsed, raw, failures = runner(_drive(wire, host, port, connections, seconds, cap))
    return count, elapsed, raw, failures, time.process_time() - cpu_before


async def _drive(wire: bytes, host: str, port: int, connections: int, seconds: float,
                 cap: int) -> tuple[int, float, bytes, int]:
    latencies = array.array("d")
    failures = 0
    started = time.perf_counter()
    end = started + seconds

    async def one_connection() -> None:
        nonlocal failures
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while len(latencies) < cap:
                sent = time.perf_counter()
                if sent >= end:
                    break
                writer.write(wire)
                head = await reader.readuntil(b"\r\n\r\n")
                await reader.readexactly(_content_length(head))
                latencies.append(time.perf_counter() - sent)
                if not head.startswith(b"HTTP/1.1 2"):
                    failures += 1
        finally:
            writer.close()

    await asyncio.gather(*(one_connection() for _ in range(connections)))
    return len(latencies), time.perf_counter() - started, latencies.tobytes(), failures


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            return int(line[15:])
    raise RuntimeError(f"response without Content-Length: {head[:200]!r}")

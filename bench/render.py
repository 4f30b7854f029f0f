"""render: the Blender example on 2 local `farmstead worker`s against a local loop of `blender -b ... -f N`.

Owns: one real render run two ways on the same machine, in the same run, alternately ROUNDS times:
(a) by hand: Blender's Python builds the scene, a loop renders each frame with `blender -b scene.blend
-f N`, ffmpeg encodes the movie, one after another; (b) `farmstead submit examples/blender-turntable
--wait` on a fresh server (embedded store) with a SeaweedFS store for the job attachments and WORKERS
`farmstead worker`s already STARTED and idle: the scene script goes up, the scene, frames and movie
come back, the time is the command's, from start to exit. Frames/minute both ways; the figure is
Farmstead's overhead, (b) / (a) - 1, target <= 5 % with 2 workers on 2 cores: Blender's Cycles uses
every core for one frame, so two workers on two cores gain nothing from parallelism and what remains
is what the farm costs. Wall time moves with whatever else runs on the machine, so the CPU seconds
both ways are measured too (by hand: the waited-for children; the farm: server, SeaweedFS, workers
with the renders they reaped, and the submit command), and their ratio is the steadier figure.
On a busy machine Blender's own CPU seconds swing by more than the farm's whole cost (a render shares
caches and cores with the neighbours), so Farmstead's own CPU is counted apart too: server, store,
the workers without the renders they reaped, and the submit command; its share of the CPU by hand
is the overhead measured directly rather than as the difference of two large totals.
Must not: change the server, the worker or the example; count setup (server, store, workers starting).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.figures import table
from bench.launcher import _TICKS, ADMIN_KEY_ID, ADMIN_SECRET, REGION, running_server
from bench.machine import OtherLoad
from farmstead.testing.s3_store import S3Store
from farmstead.testing.scripted_worker import LINUX_FLEET
from tests.support.render_tools import EXAMPLE, parameters

DESCRIPTION = ("Blender turntable, 12 frames: 2 farmstead workers with attachments vs a local blender loop "
               "(target <= 5 %)")
FRAMES = 12
#: A frame of a few seconds: Cycles at 480x270 with 32 samples.
SETTINGS = {"Width": "480", "Height": "270", "Samples": "32", "TurntableFrames": "24", "Fps": "12"}
QUICK_SETTINGS = {"Width": "64", "Height": "36", "Samples": "4", "TurntableFrames": "8", "Fps": "4"}
WORKERS = 2
ROUNDS = 3
TARGET = 0.05
BUCKET = "render-bench"


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _cpu_with_reaped(pid: int, *, reaped: bool = True) -> float:
    """User + system CPU of a process and (`reaped`) of the children it has waited for (/proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return sum(int(fields[i]) for i in ((11, 12, 13, 14) if reaped else (11, 12))) / _TICKS


def _by_hand(work: Path, frames: int, settings: dict[str, str]) -> float:
    """Seconds for the scene, the frame loop and the encode, one after another, as an artist would."""
    shutil.rmtree(work, ignore_errors=True)
    started = time.monotonic()
    scene = work / "scene" / "turntable.blend"
    subprocess.run(["blender", "-b", "--factory-startup", "--python", str(EXAMPLE / "scene" / "make_scene.py"), "--",
                    str(scene), "--width", settings["Width"], "--height", settings["Height"], "--samples",
                    settings["Samples"], "--frames", settings["TurntableFrames"]], check=True, capture_output=True)
    for frame in range(1, frames + 1):
        subprocess.run(["blender", "-b", str(scene), "-o", str(work / "frames" / "frame_####"), "-F", "PNG",
                        "-f", str(frame)], check=True, capture_output=True)
    subprocess.run(["ffmpeg", "-nostdin", "-y", "-loglevel", "error", "-framerate", settings["Fps"], "-pattern_type",
                    "glob", "-i", str(work / "frames" / "frame_*.png"), "-c:v", "libx264", "-pix_fmt", "yuv420p",
                    "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", str(work / "turntable.mp4")],
                   check=True, capture_output=True)
    return time.monotonic() - started


class _RenderFarm:
    """A queue with attachments in SeaweedFS and WORKERS idle `farmstead worker` processes."""

    def __init__(self, server, store: S3Store, work: Path) -> None:
        self.server, self.store = server, store
        client = server.client()
        self.farm_id = client.create_farm(displayName="render bench")["farmId"]
        self.queue_id = client.create_queue(
            farmId=self.farm_id, displayName="renders", roleArn="arn:aws:iam::000000000000:role/queue",
            jobRunAsUser={"runAs": "WORKER_AGENT_USER"},
            jobAttachmentSettings={"s3BucketName": BUCKET, "rootPrefix": "Renders"})["queueId"]
        fleet_id = client.create_fleet(farmId=self.farm_id, displayName="nodes",
                                       roleArn="arn:aws:iam::000000000000:role/f", maxWorkerCount=WORKERS,
                                       configuration=LINUX_FLEET)["fleetId"]
        client.create_queue_fleet_association(farmId=self.farm_id, queueId=self.queue_id, fleetId=fleet_id)
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FARMSTEAD_"))},
                    "AWS_ACCESS_KEY_ID": ADMIN_KEY_ID, "AWS_SECRET_ACCESS_KEY": ADMIN_SECRET,
                    "AWS_DEFAULT_REGION": REGION, "AWS_EC2_METADATA_DISABLED": "true",
                    "AWS_ENDPOINT_URL_S3": store.endpoint, "HOME": str(work)}
        self.workers = []
        for index in range(WORKERS):
            work_dir = work / f"worker-{index}"
            work_dir.mkdir()
            self.workers.append(subprocess.Popen(
                [sys.executable, "-m", "farmstead", "worker", "--endpoint-url", server.endpoint, "--farm-id",
                 self.farm_id, "--fleet-id", fleet_id, "--work-dir", str(work_dir)],
                env=self.env, stdout=open(work_dir / "stdout.txt", "ab"), stderr=subprocess.STDOUT))
        give_up = time.monotonic() + 60
        while sum(w["status"] == "IDLE"
                  for w in client.list_workers(farmId=self.farm_id, fleetId=fleet_id)["workers"]) < WORKERS:
            if time.monotonic() > give_up:
                raise RuntimeError("the workers did not start within 60 s")
            time.sleep(0.2)

    def cpu_seconds(self) -> float:
        """The farm's processes: server, store, workers (with the renders they reaped)."""
        pids = [self.server.process.pid, self.store.process.pid, *(w.pid for w in self.workers)]
        return sum(_cpu_with_reaped(pid) for pid in pids)

    def own_cpu_seconds(self) -> float:
        """The farm's processes without the renders: server, store, and the workers' own Python."""
        return (_cpu_with_reaped(self.server.process.pid) + _cpu_with_reaped(self.store.process.pid)
                + sum(_cpu_with_reaped(w.pid, reaped=False) for w in self.workers))

    def render(self, output: Path, frames: int, settings: dict[str, str]) -> float:
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "farmstead", "submit", str(EXAMPLE), "--wait", "--endpoint-url",
             self.server.endpoint, "--farm-id", self.farm_id, "--queue-id", self.queue_id,
             *parameters({**settings, "Frames": f"1-{frames}", "OutputDir": str(output)})],
            env=self.env, capture_output=True, text=True, timeout=3600)
        elapsed = time.monotonic() - started
        if done.returncode != 0 or len(list((output / "frames").glob("frame_*.png"))) != frames:
            raise RuntimeError(f"the render failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")
        return elapsed

    def stop(self) -> None:
        for process in self.workers:
            process.terminate()
        for process in self.workers:
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()


def run(args: argparse.Namespace) -> None:
    missing = [tool for tool in ("blender", "ffmpeg") if shutil.which(tool) is None]
    if missing:
        print(f"render skipped: {', '.join(missing)} not installed (make render-tools installs them)")
        return
    frames = 4 if args.quick else FRAMES
    settings = QUICK_SETTINGS if args.quick else SETTINGS
    rounds = 1 if args.quick else ROUNDS
    work = Path(tempfile.mkdtemp(prefix="farmstead-render-bench-"))
    print(f"{frames} frames at {settings['Width']}x{settings['Height']}, {settings['Samples']} samples (Cycles, CPU), "
          f"plus the scene and the encode; {WORKERS} farmstead workers, attachments through SeaweedFS; "
          f"{rounds} round(s), alternating")
    rows, overheads, cpu_ratios, own_shares = [], [], [], []
    store = S3Store.start(work / "s3")
    try:
        store.create_bucket(BUCKET)
        with running_server(store.server_env()) as server:
            farm = _RenderFarm(server, store, work)
            try:
                for number in range(1, rounds + 1):
                    cpu_before = _children_cpu()
                    with OtherLoad() as other:
                        hand = _by_hand(work / "by-hand", frames, settings)
                    hand_cpu = _children_cpu() - cpu_before
                    hand_load = other.share(0.0, 0.0)
                    shutil.rmtree(work / "farm-output", ignore_errors=True)
                    cpu_before = farm.cpu_seconds() + _children_cpu()
                    # The submit command is the only child reaped meanwhile (the workers are reaped at the end).
                    own_before = farm.own_cpu_seconds() + _children_cpu()
                    with OtherLoad() as other:
                        farmed = farm.render(work / "farm-output", frames, settings)
                    farm_cpu = farm.cpu_seconds() + _children_cpu() - cpu_before
                    own_cpu = farm.own_cpu_seconds() + _children_cpu() - own_before
                    own_shares.append(own_cpu / hand_cpu)
                    overheads.append(farmed / hand - 1)
                    cpu_ratios.append(farm_cpu / hand_cpu - 1)
                    rows.append([number, f"{hand:.1f}", f"{frames / hand * 60:.1f}", f"{farmed:.1f}",
                                 f"{frames / farmed * 60:.1f}", f"{farmed / hand - 1:+.1%}", f"{hand_cpu:.1f}",
                                 f"{farm_cpu:.1f}", f"{farm_cpu / hand_cpu - 1:+.1%}", f"{own_cpu:.2f}",
                                 f"{own_cpu / hand_cpu:.1%}", f"{hand_load:.0%}",
                                 f"{other.share(0.0, 0.0):.0%}"])
            finally:
                farm.stop()
    finally:
        store.stop()
        shutil.rmtree(work, ignore_errors=True)
    # CPU busy: the whole machine's, Blender included: near 100 % both ways means the cores were rendering.
    print(table(["round", "by hand s", "frames/min", "farmstead s", "frames/min", "overhead", "CPU s (hand)",
                 "CPU s (farm)", "CPU overhead", "CPU s (farmstead)", "farmstead / hand", "CPU busy (hand)",
                 "CPU busy (farm)"], rows))
    overhead, cpu_overhead = statistics.median(overheads), statistics.median(cpu_ratios)
    own_share = statistics.median(own_shares)
    verdict = "met" if overhead <= TARGET else "NOT met"
    print(f"render: farmstead's overhead on a real render = {overhead:+.1%} wall time, {cpu_overhead:+.1%} CPU "
          f"(medians of {len(overheads)}); target <= {TARGET:.0%} {verdict}")
    print(f"render: farmstead's own CPU (server, store, workers without the renders, submit) = {own_share:.1%} "
          f"of the CPU by hand (median); target <= {TARGET:.0%} {'met' if own_share <= TARGET else 'NOT met'}")
    print(json.dumps({"overhead": round(overhead, 4), "cpu_overhead": round(cpu_overhead, 4),
                      "own_cpu_share": round(own_share, 4)}))

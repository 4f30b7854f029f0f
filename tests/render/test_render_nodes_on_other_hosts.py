"""A render farm across hosts: the server and SeaweedFS on the studio network, three render nodes in
network namespaces of their own (support/network_hosts.py) with no shared filesystem, the Blender
example rendered on them, one node killed outright mid-render.

One test, because each run costs a server, a store, three nodes and two renders (its time is printed):
* render-01 and render-02 run `farmstead worker` for queue A; `farmstead submit --wait` sends the job
  there. When Blender runs on render-01, its worker is SIGKILLed: the frame is rendered on render-02
  after the server gives the lost worker up, the job SUCCEEDS, and the frames and the movie come back
  with none missing or twice, each identical to (or >= 40 dB PSNR from) a local render.
* render-03 runs the official `deadline-worker-agent` for queue B; the official `deadline bundle
  submit` sends the same job there and `deadline job download-output` brings its output back.
The bundle, the server's and the store's data live in the studio directory, hidden on every node:
input files reach the nodes only through job attachments, outputs come back only through them.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from farmstead.testing.live_server import ADMIN_KEY_ID, ADMIN_SECRET, REGION, LiveServer
from farmstead.testing.s3_store import S3Store
from farmstead.testing.scripted_worker import LINUX_FLEET
from support.network_hosts import TestHosts, require_root_networking
from support.official_clients import deadline_cli, worker_agent
from support.render_tools import (
    EXAMPLE,
    TINY,
    assert_same_frames,
    parameters,
    probe_movie,
    render_reference,
    require_render_tools,
)

pytestmark = pytest.mark.official_clients

BUCKET = "studio-attachments"
FARMSTEAD_FRAMES = [1, 2, 3, 4, 5, 6]
OFFICIAL_FRAMES = [1, 2, 3]


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DEADLINE_", "FARMSTEAD_"))}


def client_env(server: LiveServer, store: S3Store, home: Path) -> dict[str, str]:
    """A studio machine's or a node's AWS settings: Deadline at Farmstead, S3 at the store, admin keys."""
    home.mkdir(parents=True, exist_ok=True)
    return {**clean_env(), "HOME": str(home), "AWS_CONFIG_FILE": str(home / ".aws" / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials"),
            "DEADLINE_CONFIG_FILE_PATH": str(home / ".deadline" / "config"),
            "AWS_ENDPOINT_URL": server.endpoint, "AWS_ENDPOINT_URL_S3": store.endpoint,
            "AWS_DISABLE_HOST_PREFIX_INJECTION": "true", "AWS_ACCESS_KEY_ID": ADMIN_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": ADMIN_SECRET, "AWS_DEFAULT_REGION": REGION, "AWS_EC2_METADATA_DISABLED": "true",
            "DEADLINE_CLOUD_TELEMETRY_OPT_OUT": "true", "COLUMNS": "250"}


def farm_with_two_queues(server: LiveServer) -> dict:
    deadline = server.client()
    farm_id = deadline.create_farm(displayName="studio")["farmId"]
    ids = {"farmId": farm_id}
    for name, workers in (("a", 2), ("b", 1)):
        ids[f"queue_{name}"] = deadline.create_queue(
            farmId=farm_id, displayName=f"queue {name}", roleArn="arn:aws:iam::000000000000:role/queue",
            jobRunAsUser={"runAs": "WORKER_AGENT_USER"},
            jobAttachmentSettings={"s3BucketName": BUCKET, "rootPrefix": f"Queue{name.upper()}"})["queueId"]
        ids[f"fleet_{name}"] = deadline.create_fleet(
            farmId=farm_id, displayName=f"fleet {name}", roleArn="arn:aws:iam::000000000000:role/fleet",
            maxWorkerCount=workers, configuration=LINUX_FLEET)["fleetId"]
        deadline.create_queue_fleet_association(farmId=farm_id, queueId=ids[f"queue_{name}"],
                                                fleetId=ids[f"fleet_{name}"])
    return ids


def blender_frame_running(host) -> int | None:
    """The frame a Blender process on `host` renders now (`blender -b ... -f N`), if any."""
    for pid in subprocess.run(["ip", "netns", "pids", host.namespace], capture_output=True, text=True).stdout.split():
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"blender") and b"-f" in argv:
            return int(argv[argv.index(b"-f") + 1])
    return None


def wait_for(condition, timeout: float, message) -> None:
    give_up = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < give_up, message()
        time.sleep(0.1)


def test_the_example_renders_on_nodes_in_other_namespaces_and_survives_a_killed_worker(tmp_path):
    require_render_tools()
    require_root_networking()
    cli, agent = deadline_cli(), worker_agent()
    began = time.monotonic()
    studio = tmp_path / "studio"
    bundle = studio / "bundle"
    shutil.copytree(EXAMPLE, bundle, ignore=shutil.ignore_patterns("output"))
    logs = tmp_path / "logs"
    logs.mkdir()
    with TestHosts(3, tmp_path / "hosts") as network:
        render_01, render_02, render_03 = network.hosts
        store = S3Store.start(studio / "s3", s3_host=network.gateway)
        server = None
        try:
            store.create_bucket(BUCKET)
            (studio / "server").mkdir()
            server = LiveServer(studio / "server", host=network.gateway, extra_env={
                **store.server_env(), "FARMSTEAD_WORKER_TIMEOUT_SECONDS": "8"}).start()
            ids = farm_with_two_queues(server)
            deadline = server.client()
            hidden = [studio]
            workers = {}
            for host in (render_01, render_02):
                workers[host.name] = host.popen(
                    [sys.executable, "-m", "farmstead", "worker", "--endpoint-url", server.endpoint,
                     "--farm-id", ids["farmId"], "--fleet-id", ids["fleet_a"], "--work-dir", str(host.scratch / "w")],
                    client_env(server, store, host.scratch / "home"), logs / f"{host.name}.log", hidden)
            agent_env = client_env(server, store, tmp_path / "agent-home")
            (tmp_path / "agent-home" / ".aws").mkdir()
            # The agent's bootstrap keys in a profile: in the environment they would outrank the queue keys
            # it gives its jobs and its attachment syncs.
            Path(agent_env["AWS_SHARED_CREDENTIALS_FILE"]).write_text(
                f"[bootstrap]\naws_access_key_id = {agent_env.pop('AWS_ACCESS_KEY_ID')}\n"
                f"aws_secret_access_key = {agent_env.pop('AWS_SECRET_ACCESS_KEY')}\n")
            agent_env["AWS_PROFILE"] = "bootstrap"
            scratch = render_03.scratch
            render_03.popen(
                [str(agent), "--farm-id", ids["farmId"], "--fleet-id", ids["fleet_b"], "--run-jobs-as-agent-user",
                 "--no-shutdown", "--no-host-metrics-logging", "--persistence-dir", str(scratch / "persist"),
                 "--logs-dir", str(scratch / "logs"), "--session-root-dir", str(scratch / "sessions")],
                agent_env, logs / f"{render_03.name}.log", hidden,
                [scratch / "persist", scratch / "logs", scratch / "sessions"])

            studio_env = client_env(server, store, studio / "home")
            shot_a, shot_b = studio / "shot-a" / "output", studio / "shot-b" / "output"
            submitted_a = subprocess.Popen(
                [sys.executable, "-m", "farmstead", "submit", str(bundle), "--wait", "--endpoint-url", server.endpoint,
                 "--farm-id", ids["farmId"], "--queue-id", ids["queue_a"],
                 *parameters({**TINY, "Frames": "1-6", "OutputDir": str(shot_a)})],
                env=studio_env, stdout=open(logs / "submit-a.log", "wb"), stderr=subprocess.STDOUT)
            submitted_b = subprocess.run(
                [str(cli), "bundle", "submit", str(bundle), "--farm-id", ids["farmId"], "--queue-id", ids["queue_b"],
                 "--yes", *parameters({**TINY, "Frames": "1-3", "OutputDir": str(shot_b)})],
                env=studio_env, input="y\n", capture_output=True, text=True, timeout=180)
            assert submitted_b.returncode == 0, submitted_b.stdout + submitted_b.stderr
            job_b = submitted_b.stdout.split()[-1]

            # SIGKILL render-01's worker while Blender renders a frame there.
            killed_frame: list[int] = []

            def rendering_on_render_01() -> bool:
                frame = blender_frame_running(render_01)
                if frame is not None:
                    killed_frame.append(frame)
                return frame is not None
            wait_for(rendering_on_render_01, 120,
                     lambda: (logs / "render-01.log").read_text(errors="replace")[-3000:])
            workers["render-01"].send_signal(signal.SIGKILL)
            killed_at = time.monotonic()

            assert submitted_a.wait(240) == 0, (logs / "submit-a.log").read_text() + \
                (logs / "render-02.log").read_text(errors="replace")[-3000:]
            recovered_in = time.monotonic() - killed_at
            wait_for(lambda: deadline.get_job(farmId=ids["farmId"], queueId=ids["queue_b"], jobId=job_b)[
                "taskRunStatus"] in ("SUCCEEDED", "FAILED"), 240,
                lambda: (logs / "render-03.log").read_text(errors="replace")[-4000:])
            job_b_status = deadline.get_job(farmId=ids["farmId"], queueId=ids["queue_b"], jobId=job_b)["taskRunStatus"]
            assert job_b_status == "SUCCEEDED", (logs / "render-03.log").read_text(errors="replace")[-6000:]
            downloaded = subprocess.run(
                [str(cli), "job", "download-output", "--farm-id", ids["farmId"], "--queue-id", ids["queue_b"],
                 "--job-id", job_b, "--yes", "--output", "json"],
                env=studio_env, capture_output=True, text=True, timeout=180)
            assert downloaded.returncode == 0, downloaded.stdout + downloaded.stderr

            # Each node was its own host: its own name and its address on the test subnet.
            seen = {}
            for fleet in ("fleet_a", "fleet_b"):
                for worker in deadline.list_workers(farmId=ids["farmId"], fleetId=ids[fleet])["workers"]:
                    properties = worker["hostProperties"]
                    seen[properties["hostName"]] = properties["ipAddresses"]["ipV4Addresses"]
            assert sorted(seen) == ["render-01", "render-02", "render-03"]
            for host in network.hosts:
                assert host.address in seen[host.name]

            # The frame render-01 was killed in was rendered again, on render-02, and the job succeeded.
            job_a = next(j for j in deadline.list_jobs(farmId=ids["farmId"], queueId=ids["queue_a"])["jobs"])
            assert job_a["taskRunStatus"] == "SUCCEEDED"
            ids_a = {"farmId": ids["farmId"], "queueId": ids["queue_a"], "jobId": job_a["jobId"]}
            render_step = next(s for s in deadline.list_steps(**ids_a)["steps"] if s["name"] == "Render")
            tasks = deadline.list_tasks(**ids_a, stepId=render_step["stepId"])["tasks"]
            killed_task = next(t for t in tasks if t["parameters"]["Frame"]["int"] == str(killed_frame[0]))
            assert killed_task["runStatus"] == "SUCCEEDED"
            runs = deadline.list_session_actions(**ids_a, taskId=killed_task["taskId"])["sessionActions"]
            assert len(runs) >= 2, runs
            sessions = {s["sessionId"]: s["workerId"] for s in deadline.list_sessions(**ids_a)["sessions"]}
            workers_of_runs = {sessions[a["sessionActionId"].replace("sessionaction", "session").rsplit("-", 1)[0]]
                               for a in runs}
            assert len(workers_of_runs) == 2, runs
        finally:
            if server is not None:
                server.stop()
            store.stop()
    # Outputs, back through the store only: every frame once, identical to a local render.
    for shot, frames in ((shot_a, FARMSTEAD_FRAMES), (shot_b, OFFICIAL_FRAMES)):
        assert sorted(p.name for p in (shot / "frames").iterdir()) == [f"frame_{n:04d}.png" for n in frames]
        assert probe_movie(shot / "turntable.mp4") == (len(frames), pytest.approx(len(frames) / int(TINY["Fps"])))
    reference = render_reference(tmp_path / "local", FARMSTEAD_FRAMES)
    assert_same_frames({n: shot_a / "frames" / f"frame_{n:04d}.png" for n in FARMSTEAD_FRAMES}, reference)
    assert_same_frames({n: shot_b / "frames" / f"frame_{n:04d}.png" for n in OFFICIAL_FRAMES},
                       {n: reference[n] for n in OFFICIAL_FRAMES})
    print(f"\nthree hosts, two jobs, one SIGKILL: {time.monotonic() - began:.1f} s "
          f"(job A done {recovered_in:.1f} s after the kill of frame {killed_frame[0]})")

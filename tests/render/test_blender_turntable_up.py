"""The Blender example on `farmstead up`'s farm, as the README's quick start runs it: two local workers,
attachments through the SeaweedFS `up` starts, `farmstead submit examples/blender-turntable --wait`
bringing the scene, the frames and the movie back; and a worker without Blender failing the task with
Blender's absence in the session log rather than hanging.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from farmstead.testing.live_server import LiveServer, free_port
from farmstead.testing.scripted_worker import LINUX_FLEET
from support.render_tools import (
    EXAMPLE,
    TINY,
    assert_same_frames,
    parameters,
    probe_movie,
    render_reference,
    require_render_tools,
)

FRAMES = [1, 2, 3, 4]


@pytest.fixture(autouse=True)
def render_tools():
    require_render_tools()


def test_up_renders_the_example_and_submit_wait_brings_back_frames_and_movie(isolated_env, tmp_path):
    data_dir, output = tmp_path / "data", tmp_path / "shot" / "output"
    port = free_port()
    up = subprocess.Popen([sys.executable, "-m", "farmstead", "up", "--workers", "2", "--data-dir", str(data_dir),
                           "--port", str(port)], env=isolated_env, stdout=open(tmp_path / "up.out", "wb"),
                          stderr=subprocess.STDOUT)
    try:
        give_up = time.monotonic() + 120
        while "Ctrl-C stops" not in (tmp_path / "up.out").read_text(errors="replace"):
            assert up.poll() is None and time.monotonic() < give_up, (tmp_path / "up.out").read_text()
            time.sleep(0.2)
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "farmstead", "submit", str(EXAMPLE), "--wait", "--data-dir", str(data_dir),
             *parameters({**TINY, "Frames": f"{FRAMES[0]}-{FRAMES[-1]}", "OutputDir": str(output)})],
            env=isolated_env, capture_output=True, text=True, timeout=300)
        took = time.monotonic() - started
        assert done.returncode == 0, done.stdout + done.stderr + (tmp_path / "up.out").read_text()
        assert f"SUCCEEDED: {len(FRAMES) + 2}/{len(FRAMES) + 2} tasks succeeded" in done.stdout
    finally:
        up.send_signal(signal.SIGTERM)
        up.wait(120)
    # The outputs came back through the store: the workers wrote into their own session directories.
    assert sorted(p.name for p in (output / "frames").iterdir()) == [f"frame_{n:04d}.png" for n in FRAMES]
    assert_same_frames({n: output / "frames" / f"frame_{n:04d}.png" for n in FRAMES},
                       render_reference(tmp_path / "local", FRAMES))
    assert probe_movie(output / "turntable.mp4") == (len(FRAMES), pytest.approx(len(FRAMES) / int(TINY["Fps"])))
    print(f"submit --wait of {len(FRAMES)} frames on 2 local workers: {took:.1f} s")


def test_a_worker_without_blender_fails_the_task_and_the_session_log_says_why(tmp_path):
    server = LiveServer(tmp_path / "server", extra_env={"FARMSTEAD_UPDATE_INTERVAL_SECONDS": "1"})
    (tmp_path / "server").mkdir()
    server.start()
    try:
        deadline = server.client()
        farm_id = deadline.create_farm(displayName="no blender")["farmId"]
        queue_id = deadline.create_queue(farmId=farm_id, displayName="q",
                                         jobRunAsUser={"runAs": "WORKER_AGENT_USER"})["queueId"]
        fleet_id = deadline.create_fleet(farmId=farm_id, displayName="f", roleArn="arn:aws:iam::000000000000:role/f",
                                         maxWorkerCount=1, configuration=LINUX_FLEET)["fleetId"]
        deadline.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id)
        template = (EXAMPLE / "template.yaml").read_text()
        job_id = deadline.create_job(
            farmId=farm_id, queueId=queue_id, template=template, templateType="YAML", priority=50, maxRetriesPerTask=1,
            parameters={"SceneScript": {"path": str(EXAMPLE / "scene" / "make_scene.py")},
                        "OutputDir": {"path": str(tmp_path / "out")}, "Frames": {"string": "1-2"}})["jobId"]
        # A host whose PATH has Python but no Blender.
        bare = tmp_path / "bin"
        bare.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FARMSTEAD_"))}
        env.update({"PATH": str(bare), "AWS_ACCESS_KEY_ID": server.env()["FARMSTEAD_ADMIN_ACCESS_KEY_ID"],
                    "AWS_SECRET_ACCESS_KEY": server.env()["FARMSTEAD_ADMIN_SECRET_ACCESS_KEY"],
                    "AWS_DEFAULT_REGION": "us-west-2"})
        worker = subprocess.Popen([sys.executable, "-m", "farmstead", "worker", "--endpoint-url", server.endpoint,
                                   "--farm-id", farm_id, "--fleet-id", fleet_id, "--work-dir", str(tmp_path / "w")],
                                  env=env, stdout=open(tmp_path / "worker.out", "wb"), stderr=subprocess.STDOUT)
        try:
            give_up = time.monotonic() + 60
            while (job := deadline.get_job(farmId=farm_id, queueId=queue_id, jobId=job_id))["taskRunStatus"] not in (
                    "FAILED", "SUCCEEDED"):
                assert time.monotonic() < give_up, (tmp_path / "worker.out").read_text()
                time.sleep(0.5)
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(60)
        assert job["taskRunStatus"] == "FAILED"
        steps = {s["name"]: s for s in deadline.list_steps(farmId=farm_id, queueId=queue_id, jobId=job_id)["steps"]}
        assert steps["Scene"]["taskRunStatus"] == "FAILED"
        sessions = deadline.list_sessions(farmId=farm_id, queueId=queue_id, jobId=job_id)["sessions"]
        logs = server.client("logs")
        text = ""
        for session in sessions:
            group = f"/aws/deadline/{farm_id}/{queue_id}"
            events = logs.get_log_events(logGroupName=group, logStreamName=session["sessionId"])["events"]
            text += "\n".join(e["message"] for e in events)
        # The shell openjd runs the command with says so, and the exit code is the shell's "not found".
        assert "blender: not found" in text and "exit code 127" in text, text[-3000:]
    finally:
        server.stop()

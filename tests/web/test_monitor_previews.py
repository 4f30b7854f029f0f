"""Output previews over HTTP, against a real S3 store (moto's server) and the layout the workers write: a
job's newest frame, a task's PNG and EXR outputs as small JPEGs read with the user's own queue keys, a clear
reason where there is no picture, and nothing for a user who may not read the job."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import numpy
import OpenImageIO as oiio
import pytest
from PIL import Image
from web.conftest import new_user, set_password
from web.test_monitor_http import Browser

from farmstead.attachments import layout, manifests
from farmstead.testing.live_server import LiveServer
from farmstead.testing.s3_store import S3Store
from farmstead.testing.scripted_worker import ScriptedWorker
from support.worker_jobs import served_queue, submit

BUCKET, ROOT = "previews", "DeadlineCloud"


@pytest.fixture(scope="module")
def store():
    s3 = S3Store.start()
    s3.create_bucket(BUCKET)
    yield s3
    s3.stop()


@pytest.fixture(scope="module")
def live(store, tmp_path_factory):
    server = LiveServer(tmp_path_factory.mktemp("previews"), extra_env=store.server_env()).start()
    set_password(server, "admin", "previews-admin-pw")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def admin(live) -> Browser:
    browser = Browser(live.endpoint)
    assert browser.sign_in(username="admin", password="previews-admin-pw")[0] == 303
    return browser


def png(colour) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (960, 540), colour).save(out, "PNG")
    return out.getvalue()


def exr(tmp_path) -> bytes:
    path = str(tmp_path / "frame.exr")
    out = oiio.ImageOutput.create(path)
    out.open(path, oiio.ImageSpec(64, 32, 3, "half"))
    out.write_image(numpy.full((32, 64, 3), 0.18, dtype=numpy.float32))
    out.close()
    return open(path, "rb").read()


def upload_outputs(store: S3Store, ids: dict, action_id: str, files: dict[str, bytes]) -> dict:
    """What a worker uploads after a task: each content under Data/, one output manifest; its report entry."""
    s3 = store.client()
    entries = []
    for name, data in files.items():
        digest = manifests.hash_bytes(data)
        s3.put_object(Bucket=BUCKET, Key=layout.data_key(ROOT, digest), Body=data)
        entries.append(manifests.ManifestPath(f"renders/{name}", digest, len(data), 1_700_000_000_000_000))
    key = layout.output_manifest_key(ROOT, ids, layout.output_run_folder(datetime.now(UTC), action_id),
                                     "/projects/shot")
    body = manifests.encode(manifests.Manifest(tuple(entries)))
    s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    return {"outputManifestPath": key[len(layout.manifest_key(ROOT, "")):],
            "outputManifestHash": manifests.hash_bytes(body)}


@pytest.fixture(scope="module")
def rendered(live, store, tmp_path_factory):
    """Frames 1-4 of a job in a queue with job attachments: 1 and 2 wrote PNGs, 3 an EXR, 4 a cache file."""
    deadline = live.client()
    farm = served_queue(deadline, deadline.create_farm(displayName="previews farm")["farmId"])
    deadline.update_queue(farmId=farm["farmId"], queueId=farm["queueId"], roleArn="arn:aws:iam::000000000000:role/q",
                          jobAttachmentSettings={"s3BucketName": BUCKET, "rootPrefix": ROOT})
    job_id = submit(deadline, farm, "1-4")
    worker = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])
    outputs = {1: {"beauty.0001.png": png((200, 20, 20))}, 2: {"beauty.0002.png": png((20, 200, 20))},
               3: {"beauty.0003.exr": exr(tmp_path_factory.mktemp("exr"))}, 4: {"sim.0004.abc": b"alembic"}}
    tasks = {}
    for _ in range(30):
        response = worker.poll()
        pending = worker.pending_actions(response)
        if not pending and not response["assignedSessions"]:
            break
        for _, action in pending[:1]:
            run = action["definition"]["taskRun"]
            frame = int(run["parameters"]["Frame"]["int"])
            ids = {**farm, "jobId": job_id, "stepId": run["stepId"], "taskId": run["taskId"]}
            tasks[frame] = run
            report = upload_outputs(store, ids, action["sessionActionId"], outputs[frame])
            worker.reports[action["sessionActionId"]] = {"completedStatus": "SUCCEEDED", "processExitCode": 0,
                                                         "startedAt": datetime.now(UTC), "endedAt": datetime.now(UTC),
                                                         "manifests": [report]}
    base = f"/farms/{farm['farmId']}/queues/{farm['queueId']}/jobs/{job_id}"
    return {"farm": farm, "job": job_id, "tasks": tasks, "base": base, "deadline": deadline}


def task_url(rendered, frame: int) -> str:
    run = rendered["tasks"][frame]
    return f"{rendered['base']}/steps/{run['stepId']}/tasks/{run['taskId']}"


def preview(browser: Browser, url: str) -> dict:
    status, _, body = browser.request(url + "/preview", headers={"X-Requested-With": "fetch"})
    assert status == 200, body
    return json.loads(body)


def picture(browser: Browser, url: str) -> Image.Image:
    with browser.opener.open(browser.endpoint + url, timeout=30) as response:
        assert response.status == 200 and response.headers["content-type"] == "image/jpeg"
        return Image.open(io.BytesIO(response.read()))


def test_a_tasks_png_output_is_shown_as_a_small_jpeg(admin, rendered):
    answer = preview(admin, task_url(rendered, 1))
    assert answer["label"] == "Frame 1" and answer["file"] == "renders/beauty.0001.png"
    image = picture(admin, answer["src"])
    assert image.format == "JPEG" and image.size == (480, 270)
    assert image.getpixel((100, 100))[0] > 150


def test_an_exr_output_is_shown_through_openimageio(admin, rendered):
    image = picture(admin, preview(admin, task_url(rendered, 3))["src"])
    assert image.size == (64, 32) and 100 <= image.getpixel((10, 10))[1] <= 135


def test_an_output_of_another_format_says_there_is_no_preview_for_it(admin, rendered):
    answer = preview(admin, task_url(rendered, 4))
    assert "no preview for these outputs (renders/sim.0004.abc)" in answer["reason"]
    assert admin.request(task_url(rendered, 4) + "/thumbnail.jpg")[0] == 404


def test_the_job_shows_its_newest_frame(admin, rendered):
    answer = preview(admin, rendered["base"])
    newest = max(rendered["tasks"], key=lambda frame: rendered["deadline"].get_task(
        farmId=rendered["farm"]["farmId"], queueId=rendered["farm"]["queueId"], jobId=rendered["job"],
        stepId=rendered["tasks"][frame]["stepId"], taskId=rendered["tasks"][frame]["taskId"]).get("endedAt"))
    if newest == 4:  # the cache ended last: the newest frame with a picture is shown instead
        assert answer["label"] in ("Frame 1", "Frame 2", "Frame 3")
    else:
        assert answer["label"] == f"Frame {newest}"
    assert picture(admin, answer["src"]).format == "JPEG"
    body = admin.request(rendered["base"] + "/preview")[2]  # without the script: a page with the picture
    assert f'<img src="{answer["src"]}"' in body


def test_a_queue_without_job_attachments_says_so(admin, live):
    deadline = live.client()
    farm = served_queue(deadline, deadline.create_farm(displayName="no attachments")["farmId"])
    job_id = submit(deadline, farm, "1")
    ScriptedWorker(deadline, farm["farmId"], farm["fleetId"]).run()
    answer = preview(admin, f"/farms/{farm['farmId']}/queues/{farm['queueId']}/jobs/{job_id}")
    assert "keeps no job attachments" in answer["reason"]


def test_a_user_who_may_not_read_the_job_gets_no_picture(live, rendered):
    new_user(live, "previews-outsider", "previews-outsider-pw")
    outsider = Browser(live.endpoint)
    assert outsider.sign_in(username="previews-outsider", password="previews-outsider-pw")[0] == 303
    status, headers, _ = outsider.request(task_url(rendered, 1) + "/thumbnail.jpg")
    assert status == 403 and headers["content-type"].startswith("text/html")
    assert outsider.request(rendered["base"] + "/preview", headers={"X-Requested-With": "fetch"})[0] == 403

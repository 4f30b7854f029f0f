"""The links the official CLI prints, and GetMonitor's `url`, open the web monitor's own pages.

Since deadline 0.60.2 `deadline bundle submit` from a Deadline Cloud monitor profile (one with
`monitor_id`) calls GetMonitor and prints `Job URL: <scheme://host of the monitor's url>/<region>/
farms/<farm>/queues/<queue>?jobId=<job>`. A signed-out visitor following it signs in and lands on
the job's page. The profile is an artist's, as Deadline Cloud monitor writes it: a farm member's
keys, `monitor_id`, and `user_id` (the CLI scopes its farm and queue lists to that principal).
Run alone with `pytest -m official_clients`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import urllib.parse
import uuid
from pathlib import Path

import pytest
from web.test_monitor_http import Browser

from farmstead.testing.live_server import REGION

pytestmark = pytest.mark.official_clients

TEMPLATE = {"specificationVersion": "jobtemplate-2023-09", "name": "linked job",
            "steps": [{"name": "Only", "script": {"actions": {"onRun": {"command": "true"}}}}]}
PROFILE = "studio-monitor"


@pytest.fixture
def studio(server, tmp_path):
    """A farm with a queue, a monitor, an artist who is a CONTRIBUTOR of the farm, and a home whose
    AWS profile is the artist's monitor profile, made the CLI's default."""
    deadline = server.client()
    farm_id = deadline.create_farm(displayName="linked")["farmId"]
    queue_id = deadline.create_queue(farmId=farm_id, displayName="linked queue")["queueId"]
    principal_id, key_id, secret = server.new_user(f"artist-{uuid.uuid4().hex[:8]}")
    deadline.associate_member_to_farm(farmId=farm_id, principalId=principal_id, principalType="USER",
                                identityStoreId="d-0123456789", membershipLevel="CONTRIBUTOR")
    subdomain = f"studio-{uuid.uuid4().hex[:12]}"
    monitor = deadline.create_monitor(
        displayName="Studio", subdomain=subdomain, roleArn="arn:aws:iam::000000000000:role/monitor",
        identityCenterInstanceArn="arn:aws:sso:::instance/ssoins-0123456789abcdef")
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "config").write_text(
        f"[profile {PROFILE}]\nregion = {REGION}\nmonitor_id = {monitor['monitorId']}\n"
        f"user_id = {principal_id}\nidentity_store_id = d-0123456789\n")
    (home / ".aws" / "credentials").write_text(
        f"[{PROFILE}]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DEADLINE_", "FARMSTEAD_"))}
    env.update({"HOME": str(home), "AWS_CONFIG_FILE": str(home / ".aws" / "config"),
                "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials"),
                "DEADLINE_CONFIG_FILE_PATH": str(home / ".deadline" / "config"),
                "AWS_ENDPOINT_URL": server.endpoint, "AWS_DISABLE_HOST_PREFIX_INJECTION": "true",
                "AWS_EC2_METADATA_DISABLED": "true", "DEADLINE_CLOUD_TELEMETRY_OPT_OUT": "true"})
    return {"deadline": deadline, "farmId": farm_id, "queueId": queue_id, "monitorId": monitor["monitorId"],
            "subdomain": subdomain, "env": env, "dir": tmp_path, "key": (key_id, secret)}


def run(cli_bin: Path, env: dict, *args: str) -> str:
    done = subprocess.run([str(cli_bin), *args], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def signed_in_landing(server, link: str, key: tuple[str, str]) -> tuple[str, str]:
    """Follow `link` as a signed-out visitor, sign in with `key` on the page it leads to, and follow
    on: (the path landed on, its page)."""
    browser = Browser(server.endpoint)
    path = link[len(server.endpoint):]
    for _ in range(5):
        status, headers, body = browser.request(path)
        if status not in (301, 302, 303, 307, 308):
            raise AssertionError(f"{path} answered {status} before sign-in: {body[:500]}")
        path = headers["location"]
        if path.startswith("/signin?"):
            break
    next_path = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)["next"][0]
    status, headers, _ = browser.request("/signin", {"csrf": browser.csrf(path), "method": "key", "next": next_path,
                                                     "access_key_id": key[0], "secret_access_key": key[1]})
    assert status == 303, status
    landed = headers["location"]
    status, _, body = browser.request(landed)
    assert status == 200, (landed, body[:500])
    return landed, body


def test_the_job_url_the_cli_prints_after_a_submit_from_a_monitor_profile_opens_the_jobs_page(
        cli_bin, server, studio):
    env = studio["env"]
    # What `deadline config gui` writes when the farm and queue are picked. The farm's region is
    # what the link's path names: the CLI reads it from the monitor's host only on AWS's own domain.
    for setting, value in (("defaults.aws_profile_name", PROFILE), ("defaults.farm_id", studio["farmId"]),
                           ("defaults.farm_region", REGION), ("defaults.queue_id", studio["queueId"])):
        run(cli_bin, env, "config", "set", setting, value)
    bundle = studio["dir"] / "bundle"
    bundle.mkdir()
    (bundle / "template.json").write_text(json.dumps(TEMPLATE))
    printed = run(cli_bin, env, "bundle", "submit", str(bundle), "--yes")
    job_id = re.search(r"^(job-[0-9a-f]{32})$", printed, re.M).group(1)
    (link,) = re.findall(r"^Job URL: (\S+)$", printed, re.M) or [printed]
    assert link == (f"{server.endpoint}/{REGION}/farms/{studio['farmId']}/queues/{studio['queueId']}"
                    f"?jobId={job_id}")

    landed, page = signed_in_landing(server, link, studio["key"])
    assert landed == f"/farms/{studio['farmId']}/queues/{studio['queueId']}/jobs/{job_id}"
    assert "linked job" in page and job_id in page
    # The same profile's lists are scoped to the artist (principalId = user_id): the farm is there.
    assert studio["farmId"] in run(cli_bin, env, "farm", "list")


def test_get_monitors_url_opens_the_monitors_farm_list(server, studio):
    url = studio["deadline"].get_monitor(monitorId=studio["monitorId"])["url"]
    assert url == f"{server.endpoint}/monitors/{studio['subdomain']}/"
    landed, page = signed_in_landing(server, url, studio["key"])
    assert landed == "/"
    assert "linked" in page  # the farm list names the farm

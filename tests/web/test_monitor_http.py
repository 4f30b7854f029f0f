"""The web monitor over plain HTTP (no browser): sign-in and its cookie, CSRF, membership rules taken from
the API, readable errors, confirmations, job list filters and paging, and the API's routes left alone."""

from __future__ import annotations

import http.cookiejar
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from web.conftest import admin_command, new_user, set_password

from farmstead.testing.live_server import ADMIN_KEY_ID, ADMIN_SECRET

TEMPLATE = json.dumps({"specificationVersion": "jobtemplate-2023-09", "name": "web job",
                       "steps": [{"name": "only", "script": {"actions": {"onRun": {"command": "true"}}}}]})


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """Cookies and forms over urllib; answers are (status, headers, body) and redirects are not followed."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)

    def request(self, path: str, form: dict | list | None = None, headers: dict | None = None):
        data = urllib.parse.urlencode(form, doseq=True).encode() if form is not None else None
        request = urllib.request.Request(self.endpoint + path, data=data, headers=headers or {})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.headers, err.read().decode()

    def csrf(self, path: str = "/signin") -> str:
        return re.search(r'name="csrf" value="([^"]+)"', self.request(path)[2]).group(1)

    def sign_in(self, **fields) -> tuple[int, object, str]:
        method = "key" if "access_key_id" in fields else "password"
        return self.request("/signin", {"csrf": self.csrf(), "method": method, **fields})


@pytest.fixture(scope="module")
def admin_password(server):
    set_password(server, "admin", "web-admin-password")
    return "web-admin-password"


@pytest.fixture
def admin(server, admin_password) -> Browser:
    browser = Browser(server.endpoint)
    assert browser.sign_in(username="admin", password=admin_password)[0] == 303
    return browser


@pytest.fixture
def queue(deadline, farm_id) -> str:
    return deadline.create_queue(farmId=farm_id, displayName="web queue")["queueId"]


def submit(deadline, farm_id: str, queue_id: str, **extra) -> str:
    return deadline.create_job(farmId=farm_id, queueId=queue_id, priority=50, templateType="JSON", template=TEMPLATE,
                               targetTaskRunStatus="SUSPENDED", **extra)["jobId"]


def test_a_signed_out_visitor_is_redirected_to_sign_in_and_a_poller_gets_401(server, farm_id):
    browser = Browser(server.endpoint)
    status, headers, _ = browser.request(f"/farms/{farm_id}?x=1")
    assert status == 303
    assert headers["location"] == "/signin?" + urllib.parse.urlencode({"next": f"/farms/{farm_id}?x=1"})
    status, _, body = browser.request(f"/farms/{farm_id}?live=1", headers={"X-Requested-With": "fetch"})
    assert (status, json.loads(body)) == (401, {"signedOut": True})


def test_password_sign_in_sets_an_httponly_samesite_strict_cookie_and_sign_out_clears_it(server, admin_password):
    browser = Browser(server.endpoint)
    status, headers, _ = browser.sign_in(username="admin", password=admin_password, next="/farms/x")
    assert (status, headers["location"]) == (303, "/farms/x")
    cookie = next(h for h in headers.get_all("set-cookie") if h.startswith("farmstead_session="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert browser.request("/")[0] == 200
    assert browser.request("/signout", {"csrf": browser.csrf("/")})[0] == 303
    assert browser.request("/")[0] == 303


def test_a_wrong_password_or_secret_is_refused_without_saying_which_half_was_wrong(server, admin_password):
    browser = Browser(server.endpoint)
    status, _, body = browser.sign_in(username="admin", password="not-the-password")
    assert status == 401 and "Unknown user name or wrong password." in body
    status, _, body = browser.sign_in(username="nobody-here", password=admin_password)
    assert status == 401 and "Unknown user name or wrong password." in body
    status, _, body = browser.sign_in(access_key_id=ADMIN_KEY_ID, secret_access_key="wrong")
    assert status == 401 and "Unknown access key or wrong secret." in body
    assert not any(c.name == "farmstead_session" for c in browser.jar)


def test_an_access_key_pair_signs_in_and_a_sign_in_without_its_csrf_cookie_is_refused(server):
    browser = Browser(server.endpoint)
    assert browser.sign_in(access_key_id=ADMIN_KEY_ID, secret_access_key=ADMIN_SECRET)[0] == 303
    assert "Signed in as <strong>admin</strong>" in browser.request("/")[2]
    stranger = Browser(server.endpoint)  # no sign-in cookie: a cross-site form post looks like this
    status, _, body = stranger.request("/signin", {"csrf": "forged", "method": "key", "access_key_id": ADMIN_KEY_ID,
                                                   "secret_access_key": ADMIN_SECRET})
    assert status == 403 and "expired" in body


def test_changing_a_password_ends_the_sessions_signed_in_with_the_old_one(server, unique_name):
    name = unique_name("pwuser")
    new_user(server, name, "first-password")
    browser = Browser(server.endpoint)
    assert browser.sign_in(username=name, password="first-password")[0] == 303
    assert browser.request("/")[0] == 200
    set_password(server, name, "second-password")
    time.sleep(2.1)  # sessions are re-checked against the store at most every 2 s
    assert browser.request("/")[0] == 303


def test_passwd_refuses_a_short_password_and_an_unknown_user(server):
    short = admin_command(server, "users", "passwd", "admin", "--stdin", stdin="short\n")
    assert short.exit_code != 0 and "at least 8 characters" in short.output
    unknown = admin_command(server, "users", "passwd", "no-such-user", "--stdin", stdin="long-enough-1\n")
    assert unknown.exit_code != 0 and "no user no-such-user" in unknown.output


def test_passwd_stores_a_salted_scrypt_hash_that_only_its_password_matches():
    from farmstead.web.passwords import hash_password, verify_password

    first, second = hash_password("correct horse"), hash_password("correct horse")
    assert first != second and first.startswith("scrypt$") and "correct horse" not in first
    assert verify_password("correct horse", first) and verify_password("correct horse", second)
    assert not verify_password("correct horsf", first)
    assert not verify_password("correct horse", None) and not verify_password("x", "garbage")


def test_an_action_without_the_csrf_token_is_refused_and_changes_nothing(admin, deadline, farm_id, queue):
    job_id = submit(deadline, farm_id, queue)
    status, _, body = admin.request("/actions", {"kind": "job", "action": "priority", "priority": "9", "item": job_id,
                                                 "confirmed": "1", "farm_id": farm_id, "queue_id": queue})
    assert status == 403 and "did not come from this site" in body
    assert deadline.get_job(farmId=farm_id, queueId=queue, jobId=job_id)["priority"] == 50


def test_an_action_asks_for_confirmation_first_then_makes_the_api_call(admin, deadline, farm_id, queue):
    job_id = submit(deadline, farm_id, queue)
    page = f"/farms/{farm_id}/queues/{queue}/jobs/{job_id}"
    form = {"csrf": admin.csrf(page), "kind": "job", "action": "priority", "priority": "77", "item": job_id,
            "farm_id": farm_id, "queue_id": queue, "back": page}
    status, _, body = admin.request("/actions", form)
    assert status == 200 and "Set priority 77 on 1 job?" in body and 'name="confirmed" value="1"' in body
    assert deadline.get_job(farmId=farm_id, queueId=queue, jobId=job_id)["priority"] == 50
    status, headers, _ = admin.request("/actions", {**form, "confirmed": "1"})
    assert (status, headers["location"]) == (303, page)
    assert deadline.get_job(farmId=farm_id, queueId=queue, jobId=job_id)["priority"] == 77
    assert "Set priority 77 on: 1 of 1 job done." in admin.request(page)[2]


def test_the_api_refusal_of_an_action_is_shown_as_its_message(admin, deadline, farm_id, queue):
    job_id = submit(deadline, farm_id, queue)
    deadline.update_job(farmId=farm_id, queueId=queue, jobId=job_id, targetTaskRunStatus="CANCELED")
    deadline.update_job(farmId=farm_id, queueId=queue, jobId=job_id, lifecycleStatus="ARCHIVED")
    page = f"/farms/{farm_id}/queues/{queue}/jobs/{job_id}"
    admin.request("/actions", {"csrf": admin.csrf(page), "kind": "job", "action": "requeue_all", "item": job_id,
                               "farm_id": farm_id, "queue_id": queue, "back": page, "confirmed": "1"})
    body = admin.request(page)[2]
    assert "Requeue all: 0 of 1 job done. Refused" in body and "archived" in body.lower()
    assert "Traceback" not in body


def test_a_non_member_sees_no_farms_and_a_farm_page_shows_the_apis_access_denied(server, deadline, farm_id,
                                                                                 unique_name):
    name = unique_name("outsider")
    new_user(server, name, "outsider-password")
    browser = Browser(server.endpoint)
    browser.sign_in(username=name, password="outsider-password")
    assert "You are not a member of any farm" in browser.request("/")[2]
    status, _, body = browser.request(f"/farms/{farm_id}")
    assert status == 403 and "Not allowed" in body and "not authorized" in body and "Traceback" not in body


def test_an_unknown_job_is_a_readable_not_found_page(admin, farm_id, queue):
    status, _, body = admin.request(f"/farms/{farm_id}/queues/{queue}/jobs/job-00000000000000000000000000000000")
    assert status == 404 and "Not found" in body and "job-00000000000000000000000000000000" in body


def test_the_job_list_filters_by_status_and_text_sorts_and_pages(admin, deadline, farm_id, queue):
    ids = [submit(deadline, farm_id, queue, nameOverride=f"shot-{i:03d}") for i in range(53)]
    deadline.update_job(farmId=farm_id, queueId=queue, jobId=ids[7], targetTaskRunStatus="CANCELED")
    base = f"/farms/{farm_id}/queues/{queue}"
    first = admin.request(base)[2]
    assert "53 jobs; showing 1–50." in first and "shot-052" in first and "shot-002" not in first
    assert "offset=50" in first
    second = admin.request(base + "?offset=50")[2]
    assert "showing 51–53" in second and "shot-000" in second
    canceled = admin.request(base + "?status=CANCELED")[2]
    assert "1 job match" in canceled and ids[7] in canceled
    text = admin.request(base + "?q=shot-01")[2]
    assert "10 jobs match" in text
    ascending = admin.request(base + "?sort=name&order=ASCENDING")[2]
    assert ascending.index("shot-000") < ascending.index("shot-001")


def test_a_job_page_poll_costs_one_read_when_nothing_changed(admin, deadline, farm_id, queue):
    job_id = submit(deadline, farm_id, queue)
    live = f"/farms/{farm_id}/queues/{queue}/jobs/{job_id}?live=1"
    for _ in range(2):  # the ETag also turns over every 10 s: a second try if the two polls straddle that
        status, headers, body = admin.request(live, headers={"X-Requested-With": "fetch"})
        assert status == 200 and "<html" not in body and 'class="facts"' in body
        etag = headers["etag"]
        again = admin.request(live, headers={"X-Requested-With": "fetch", "If-None-Match": etag})[0]
        if again == 304:
            break
    assert again == 304
    deadline.update_job(farmId=farm_id, queueId=queue, jobId=job_id, priority=12)
    status, headers, _ = admin.request(live, headers={"X-Requested-With": "fetch", "If-None-Match": etag})
    assert status == 200 and headers["etag"] != etag


def test_the_api_and_logs_routes_are_not_taken_by_the_monitor(server, deadline, farm_id):
    assert deadline.get_farm(farmId=farm_id)["farmId"] == farm_id
    logs = server.client("logs")
    assert "logGroups" in logs.describe_log_groups(logGroupNamePrefix="/aws/deadline/none")
    assert json.loads(urllib.request.urlopen(server.endpoint + "/health", timeout=10).read())["status"] == "ok"


def test_pages_forbid_framing_and_run_only_the_sites_own_script(admin):
    _, headers, body = admin.request("/")
    assert headers["x-frame-options"] == "DENY"
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert '<script src="/static/monitor.js" defer></script>' in body
    status, headers, script = admin.request("/static/monitor.js")
    assert status == 200 and "data-live" in script


def test_a_job_page_shows_parameters_steps_and_which_step_waits_for_which(admin, deadline, farm_id, queue):
    template = json.dumps({
        "specificationVersion": "jobtemplate-2023-09", "name": "two steps",
        "parameterDefinitions": [{"name": "Scene", "type": "STRING", "default": "forest.blend"}],
        "steps": [{"name": "Render", "parameterSpace": {"taskParameterDefinitions": [
                       {"name": "Frame", "type": "INT", "range": "1-4"}]},
                   "script": {"actions": {"onRun": {"command": "true"}}}},
                  {"name": "Encode", "dependencies": [{"dependsOn": "Render"}],
                   "script": {"actions": {"onRun": {"command": "true"}}}}]})
    job_id = deadline.create_job(farmId=farm_id, queueId=queue, priority=50, templateType="JSON",
                                 template=template)["jobId"]
    body = admin.request(f"/farms/{farm_id}/queues/{queue}/jobs/{job_id}")[2]
    assert "forest.blend" in body and ">Render</a>" in body and ">Encode</a>" in body
    assert re.search(r">Encode</a> waits for\s*<a [^>]+>Render</a>", body)
    assert "0/4" in body and "0/1" in body


def test_a_member_of_one_queue_sees_that_queue_and_its_jobs_but_not_the_rest_of_the_farm(
        server, deadline, farm_id, queue, unique_name):
    other = deadline.create_queue(farmId=farm_id, displayName="not yours")["queueId"]
    job_id = submit(deadline, farm_id, queue)
    name = unique_name("queue-viewer")
    principal = new_user(server, name, "queue-viewer-pw")
    deadline.associate_member_to_queue(farmId=farm_id, queueId=queue, principalId=principal, principalType="USER",
                                       identityStoreId="d-0000000000", membershipLevel="VIEWER")
    browser = Browser(server.endpoint)
    browser.sign_in(username=name, password="queue-viewer-pw")
    farm_page = browser.request(f"/farms/{farm_id}")[2]
    assert "web queue" in farm_page and "not yours" not in farm_page
    status, _, body = browser.request(f"/farms/{farm_id}/queues/{queue}/jobs/{job_id}")
    assert status == 200 and "web job" in body and 'value="cancel"' not in body
    assert browser.request(f"/farms/{farm_id}/queues/{other}")[0] == 403


@pytest.fixture(scope="module")
def impatient(tmp_path_factory):
    """A server that declares a worker NOT_RESPONDING after 2 silent seconds."""
    from farmstead.testing.live_server import LiveServer

    live = LiveServer(tmp_path_factory.mktemp("impatient-web"),
                      extra_env={"FARMSTEAD_WORKER_TIMEOUT_SECONDS": "2"}).start()
    yield live
    live.stop()


def test_the_fleet_page_says_plainly_when_a_worker_is_not_responding(impatient):
    from farmstead.testing.scripted_worker import LINUX_FLEET
    from farmstead.testing.waiting import wait_until

    deadline = impatient.client()
    farm_id = deadline.create_farm(displayName="silent farm")["farmId"]
    fleet_id = deadline.create_fleet(farmId=farm_id, displayName="silent fleet", maxWorkerCount=2,
                                     roleArn="arn:aws:iam::000000000000:role/f", configuration=LINUX_FLEET)["fleetId"]
    worker_id = deadline.create_worker(farmId=farm_id, fleetId=fleet_id,
                                       hostProperties={"hostName": "render-07"})["workerId"]
    deadline.update_worker(farmId=farm_id, fleetId=fleet_id, workerId=worker_id, status="STARTED",
                           capabilities={"amounts": [{"name": "amount.worker.vcpu", "value": 16},
                                                     {"name": "amount.worker.memory", "value": 65536}],
                                         "attributes": [{"name": "attr.worker.os.family", "values": ["linux"]},
                                                        {"name": "attr.worker.cpu.arch", "values": ["x86_64"]}]})
    set_password(impatient, "admin", "impatient-admin-pw")
    browser = Browser(impatient.endpoint)
    browser.sign_in(username="admin", password="impatient-admin-pw")
    page = f"/farms/{farm_id}/fleets/{fleet_id}"
    fresh = browser.request(page)[2]
    assert "render-07" in fresh and "amount.worker.vcpu=16" in fresh and "attr.worker.os.family=linux" in fresh
    if deadline.get_worker(farmId=farm_id, fleetId=fleet_id, workerId=worker_id)["status"] != "NOT_RESPONDING":
        assert "Not responding" not in fresh  # (a loaded machine may take the 2 s before the page is read)
    wait_until(lambda: deadline.get_worker(farmId=farm_id, fleetId=fleet_id, workerId=worker_id)["status"]
               == "NOT_RESPONDING", 20, "the sweeper to notice the silence")
    silent = browser.request(page + "?live=1", headers={"X-Requested-With": "fetch"})[2]
    assert 'class="alarm"' in silent and re.search(r"Not responding: no heartbeat for \d+ s", silent)


def test_task_and_session_pages_have_live_parts_that_poll_cheaply(admin, deadline, farm_id, queue):
    job_id = submit(deadline, farm_id, queue)
    step = deadline.list_steps(farmId=farm_id, queueId=queue, jobId=job_id)["steps"][0]["stepId"]
    task = deadline.list_tasks(farmId=farm_id, queueId=queue, jobId=job_id, stepId=step)["tasks"][0]["taskId"]
    page = f"/farms/{farm_id}/queues/{queue}/jobs/{job_id}/steps/{step}/tasks/{task}"
    full = admin.request(page)[2]
    assert 'data-live="' + page + '?live=1"' in full and "Not attempted yet." in full
    status, headers, fragment = admin.request(page + "?live=1", headers={"X-Requested-With": "fetch"})
    assert status == 200 and "<html" not in fragment and "Not attempted yet." in fragment and headers["etag"]

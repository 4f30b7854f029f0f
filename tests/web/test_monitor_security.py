"""The monitor's security review: sign-in without user enumeration by timing, bounded password work, only
long-term unscoped keys, a limit on failed attempts, sessions that end, no caching of signed-in pages, no
open redirects, markup shown as text, static files confined to their directory, and pages that still work
for members of only a fleet or only a job (the API refuses them the queue's details, not the page)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from web.conftest import set_password

from farmstead.store import identity
from farmstead.store.engine import Store
from farmstead.web import passwords
from farmstead.web.signin import Sessions, SignInError
from farmstead.web.signin_limits import SignInLimits
from support.tampering import altered

NOW = datetime.now(UTC)


@pytest.fixture
def sessions(tmp_path) -> Sessions:
    store = Store.open(f"sqlite:///{tmp_path / 'farmstead.db'}")
    with store.write() as conn:
        identity.create_principal(conn, "principal-alice", "alice", False, NOW)
        identity.set_password_hash(conn, "principal-alice", passwords.hash_password("alice-password"))
        identity.create_principal(conn, "principal-bob", "bob", False, NOW)  # no password set
    return Sessions(store, "000000000000")


@pytest.fixture
def scrypt_calls(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = hashlib.scrypt

    def counting(*args, **kwargs):
        calls.append(kwargs["n"])
        return real(*args, **kwargs)
    monkeypatch.setattr(passwords.hashlib, "scrypt", counting)
    return calls


def _refused(sign_in, *args) -> bool:
    try:
        sign_in(*args)
    except SignInError:
        return True
    return False


def test_an_unknown_name_or_a_user_without_password_costs_the_same_scrypt_as_a_wrong_password(sessions,
                                                                                              scrypt_calls):
    for name in ("alice", "mallory", "bob"):
        scrypt_calls.clear()
        assert _refused(sessions.sign_in_with_password, name, "wrong-password")
        assert scrypt_calls == [2**14], name
    assert sessions.sign_in_with_password("alice", "alice-password")


def test_a_password_longer_than_the_limit_is_refused_without_being_hashed(sessions, scrypt_calls):
    assert _refused(sessions.sign_in_with_password, "alice", "x" * (passwords.MAX_LENGTH + 1))
    assert scrypt_calls == []


def test_only_a_long_term_unscoped_key_signs_in(sessions):
    store = sessions._store
    with store.write() as conn:
        identity.add_key(conn, "AKIAALICELONGTERM001", "alice-secret-1", "principal-alice", NOW)
        identity.add_key(conn, "ASIAALICETEMPORARY01", "alice-secret-2", "principal-alice", NOW,
                         session_token="token", expires_at=NOW + timedelta(hours=1), scope={"farmId": "farm-1"})
        identity.add_key(conn, "AKIAALICESCOPED00001", "alice-secret-3", "principal-alice", NOW,
                         scope={"farmId": "farm-1"})
        identity.add_key(conn, "AKIAALICEEXPIRING001", "alice-secret-4", "principal-alice", NOW,
                         expires_at=NOW + timedelta(hours=1))
    assert sessions.session_of(sessions.sign_in_with_key("AKIAALICELONGTERM001", "alice-secret-1")).caller.name \
        == "alice"
    for key_id, secret in (("ASIAALICETEMPORARY01", "alice-secret-2"), ("AKIAALICESCOPED00001", "alice-secret-3"),
                           ("AKIAALICEEXPIRING001", "alice-secret-4")):
        assert _refused(sessions.sign_in_with_key, key_id, secret), key_id


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_failed_sign_ins_are_limited_per_name_and_per_client_for_a_window():
    clock = FakeClock()
    limits = SignInLimits(per_client=5, per_account=3, window=60, clock=clock)
    for _ in range(3):
        assert limits.start("10.0.0.1", "alice")[0] == 0
        clock.now += 1
    wait, _ = limits.start("10.0.0.9", "alice")  # the name is refused from any address
    assert 55 <= wait <= 60
    assert limits.start("10.0.0.9", "mallory")[0] == 0  # an unknown name counts the same way: no enumeration
    assert limits.start("10.0.0.1", "bob")[0] == 0
    assert limits.start("10.0.0.1", "carol")[0] == 0  # the address's fifth failure
    assert limits.start("10.0.0.1", "dave")[0] > 0
    clock.now += 60
    assert limits.start("10.0.0.1", "alice")[0] == 0


def test_a_successful_sign_in_is_not_counted_but_attempts_in_flight_are():
    limits = SignInLimits(per_client=100, per_account=2, window=60, clock=FakeClock())
    for _ in range(5):
        _, stamp = limits.start("10.0.0.1", "alice")
        limits.succeeded("10.0.0.1", "alice", stamp)
    assert limits.start("10.0.0.1", "alice")[0] == 0
    assert limits.start("10.0.0.1", "alice")[0] == 0  # two started at once, neither finished yet
    assert limits.start("10.0.0.1", "alice")[0] > 0


@pytest.fixture(scope="module")
def own_server(tmp_path_factory):
    """A server of its own: these tests exhaust the sign-in limit of 127.0.0.1 for the name they use."""
    from farmstead.testing.live_server import LiveServer

    live = LiveServer(tmp_path_factory.mktemp("signin-limits")).start()
    set_password(live, "admin", "limits-admin-password")
    yield live
    live.stop()


def test_over_http_repeated_wrong_passwords_get_429_even_for_the_right_one_and_keep_next(own_server):
    from web.test_monitor_http import Browser

    browser = Browser(own_server.endpoint)
    for _ in range(10):
        status, _, body = browser.sign_in(username="admin", password="not-it-at-all", next="/farms/x")
        assert status == 401 and 'name="next" value="/farms/x"' in body
    status, headers, body = browser.sign_in(username="admin", password="limits-admin-password")
    assert status == 429 and "Too many failed sign-ins" in body and int(headers["retry-after"]) > 0
    assert not any(c.name == "farmstead_session" for c in browser.jar)
    for _ in range(10):
        browser.sign_in(username="nobody-by-this-name", password="not-it-at-all")
    status, _, body = browser.sign_in(username="nobody-by-this-name", password="not-it-at-all")
    assert status == 429 and "Too many failed sign-ins" in body  # the same answer as for a real name


def test_signed_in_pages_are_not_stored_in_the_browser_cache(own_server):
    from web.test_monitor_http import Browser

    from farmstead.testing.live_server import ADMIN_KEY_ID, ADMIN_SECRET

    browser = Browser(own_server.endpoint)
    assert browser.sign_in(access_key_id=ADMIN_KEY_ID, secret_access_key=ADMIN_SECRET)[0] == 303
    status, headers, _ = browser.request("/")
    assert status == 200 and headers["cache-control"] == "no-store"


def test_a_session_ends_when_its_key_is_deleted_when_it_expires_and_when_its_cookie_is_altered(sessions,
                                                                                                monkeypatch):
    store = sessions._store
    with store.write() as conn:
        identity.add_key(conn, "AKIAALICELONGTERM002", "alice-secret-5", "principal-alice", NOW)
    cookie = sessions.sign_in_with_key("AKIAALICELONGTERM002", "alice-secret-5")
    fresh = Sessions(store, "000000000000")  # the same store secret, without the 2 s cache
    assert fresh.session_of(cookie) is not None
    body, _, signature = cookie.partition(".")
    assert fresh.session_of(altered(body, -1) + "." + signature) is None
    import time
    from types import SimpleNamespace

    import farmstead.web.signin as signin

    later = time.time() + signin.SESSION_SECONDS + 1
    monkeypatch.setattr(signin, "time", SimpleNamespace(time=lambda: later, monotonic=time.monotonic))
    assert Sessions(store, "000000000000").session_of(cookie) is None
    monkeypatch.undo()
    with store.write() as conn:
        identity.delete_key(conn, "AKIAALICELONGTERM002")
    assert Sessions(store, "000000000000").session_of(cookie) is None


def test_markup_in_a_job_name_description_and_parameter_is_shown_as_text(own_server):
    import json

    from web.test_monitor_http import Browser

    from farmstead.testing.live_server import ADMIN_KEY_ID, ADMIN_SECRET

    evil = '<img src=x onerror="alert(1)">'
    deadline = own_server.client()
    farm_id = deadline.create_farm(displayName=evil)["farmId"]
    queue_id = deadline.create_queue(farmId=farm_id, displayName=evil)["queueId"]
    template = {"specificationVersion": "jobtemplate-2023-09", "name": "x", "description": evil,
                "parameterDefinitions": [{"name": "Scene", "type": "STRING", "default": evil}],
                "steps": [{"name": "only", "script": {"actions": {"onRun": {"command": "true"}}}}]}
    job_id = deadline.create_job(farmId=farm_id, queueId=queue_id, priority=50, templateType="JSON",
                                 template=json.dumps(template), nameOverride=evil,
                                 targetTaskRunStatus="SUSPENDED")["jobId"]
    browser = Browser(own_server.endpoint)
    browser.sign_in(access_key_id=ADMIN_KEY_ID, secret_access_key=ADMIN_SECRET)
    for path in ("/", f"/farms/{farm_id}", f"/farms/{farm_id}/queues/{queue_id}",
                 f"/farms/{farm_id}/queues/{queue_id}/jobs/{job_id}"):
        body = browser.request(path)[2]
        assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in body and "<img" not in body, path


@pytest.mark.parametrize("target", ["https://evil.example", "//evil.example", "/\\evil.example", "\\\\evil.example",
                                    "/\t/evil.example", "/\r\n/evil.example", "javascript:alert(1)"])
def test_next_and_back_never_redirect_off_the_site(own_server, target):
    import urllib.parse

    from web.test_monitor_http import Browser

    from farmstead.testing.live_server import ADMIN_KEY_ID, ADMIN_SECRET

    def local(location: str) -> bool:
        parts = urllib.parse.urlsplit(location.replace("\\", "/"))
        return location.startswith("/") and not parts.scheme and not parts.netloc and "\t" not in location

    browser = Browser(own_server.endpoint)
    status, headers, _ = browser.sign_in(access_key_id=ADMIN_KEY_ID, secret_access_key=ADMIN_SECRET, next=target)
    assert status == 303 and local(headers["location"]), headers["location"]
    status, headers, _ = browser.request("/actions", {"csrf": browser.csrf("/"), "kind": "job", "action": "cancel",
                                                      "back": target})
    assert status == 303 and local(headers["location"]), headers["location"]


@pytest.mark.parametrize("path", ["/static/../app.py", "/static/..%2fapp.py", "/static/%2e%2e/app.py",
                                  "/static/%2e%2e%2fsignin.py", "/static//etc/passwd", "/static/..%5capp.py"])
def test_static_files_serve_nothing_outside_their_directory(own_server, path):
    import socket
    import urllib.parse

    host, port = urllib.parse.urlsplit(own_server.endpoint).netloc.split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:  # the path exactly as written
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status = int(answer.split(b" ", 2)[1])
    assert status in (400, 404) and b"import" not in answer and b"root:" not in answer, answer[:200]


def running_session(server, farm_name: str):
    """A farm whose one-task job a scripted worker holds a session for:
    (deadline client, farm ids, job id, worker, session id)."""
    from farmstead.testing.scripted_worker import ScriptedWorker
    from farmstead.testing.waiting import wait_until
    from support.worker_jobs import served_queue, submit

    deadline = server.client()
    farm = served_queue(deadline, deadline.create_farm(displayName=farm_name)["farmId"])
    job_id = submit(deadline, farm, "1-1")
    worker = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])
    session_id = next(iter(wait_until(lambda: worker.poll()["assignedSessions"], 20, "a session for the worker")))
    return deadline, farm, job_id, worker, session_id


def test_a_fleet_only_viewer_sees_the_fleets_running_workers_without_the_queue_details(own_server):
    from web.conftest import new_user
    from web.test_monitor_http import Browser

    deadline, farm, _, worker, _ = running_session(own_server, "fleet viewer farm")
    farm_id, fleet_id = farm["farmId"], farm["fleetId"]
    principal = new_user(own_server, "fleet-watcher", "fleet-watcher-pw")
    deadline.associate_member_to_fleet(farmId=farm_id, fleetId=fleet_id, principalId=principal,
                                       principalType="USER", identityStoreId="d-0000000000", membershipLevel="VIEWER")
    browser = Browser(own_server.endpoint)
    assert browser.sign_in(username="fleet-watcher", password="fleet-watcher-pw")[0] == 303
    status, _, body = browser.request(f"/farms/{farm_id}/fleets/{fleet_id}")
    assert status == 200 and worker.worker_id in body and "session-" in body, body[-1500:]
    assert "/tasks/" not in body  # which task runs is the queue's business, not the fleet viewer's


def test_a_job_only_viewer_sees_the_session_page_with_the_logs_refusal_in_place_of_the_log(own_server):
    import json

    from web.conftest import new_user
    from web.test_monitor_http import Browser

    deadline, farm, job_id, _, session_id = running_session(own_server, "job viewer farm")
    farm_id, queue_id = farm["farmId"], farm["queueId"]
    principal = new_user(own_server, "job-watcher", "job-watcher-pw")
    deadline.associate_member_to_job(farmId=farm_id, queueId=queue_id, jobId=job_id, principalId=principal,
                                     principalType="USER", identityStoreId="d-0000000000", membershipLevel="VIEWER")
    browser = Browser(own_server.endpoint)
    assert browser.sign_in(username="job-watcher", password="job-watcher-pw")[0] == 303
    page = f"/farms/{farm_id}/queues/{queue_id}/jobs/{job_id}/sessions/{session_id}"
    status, _, body = browser.request(page)
    assert status == 200 and session_id in body and "not authorized to perform: logs:GetLogEvents" in body, body[-1500:]
    status, _, tail = browser.request(page + "/log", headers={"X-Requested-With": "fetch"})
    assert status == 403 and json.loads(tail)["code"] == "AccessDeniedException"
    step_id = deadline.list_steps(farmId=farm_id, queueId=queue_id, jobId=job_id)["steps"][0]["stepId"]
    task_id = deadline.list_tasks(farmId=farm_id, queueId=queue_id, jobId=job_id, stepId=step_id)["tasks"][0]["taskId"]
    job_page = f"/farms/{farm_id}/queues/{queue_id}/jobs/{job_id}"
    for path in (job_page, f"{job_page}/steps/{step_id}", f"{job_page}/steps/{step_id}?status=RUNNING",
                 f"{job_page}/steps/{step_id}/tasks/{task_id}"):
        assert browser.request(path)[0] == 200, path


def test_oversized_forms_are_refused_before_sign_in_and_after(own_server):
    from web.test_monitor_http import Browser

    from farmstead.testing.live_server import ADMIN_KEY_ID, ADMIN_SECRET

    browser = Browser(own_server.endpoint)
    assert browser.request("/signin", {"csrf": browser.csrf(), "username": "admin", "password": "p" * 20_000})[0] == 400
    assert browser.request("/signin", [("csrf", browser.csrf()), *[(f"f{i}", "x") for i in range(50)]])[0] == 400
    assert browser.request("/signout", {"csrf": "x" * 20_000})[0] == 400
    assert browser.sign_in(access_key_id=ADMIN_KEY_ID, secret_access_key=ADMIN_SECRET)[0] == 303
    csrf = browser.csrf("/")
    form = {"csrf": csrf, "kind": "job", "action": "cancel", "back": "/" * 40_000}
    assert browser.request("/actions", form)[0] == 400
    assert browser.request("/actions", [("csrf", csrf), *[("item", f"job-{i}") for i in range(2100)]])[0] == 400
    status, _, body = browser.request("/actions", [("csrf", csrf), ("kind", "job"), ("action", "cancel"),
                                                   *[("item", f"job-{i}") for i in range(100)]])
    assert status == 200 and "Cancel 100 jobs?" in body  # a full page of ticked rows still fits


def test_passwd_refuses_a_password_longer_than_sign_in_accepts(own_server):
    from web.conftest import admin_command

    result = admin_command(own_server, "users", "passwd", "admin", "--stdin",
                           stdin="p" * (passwords.MAX_LENGTH + 1) + "\n")
    assert result.exit_code != 0 and f"at most {passwords.MAX_LENGTH} characters" in result.output

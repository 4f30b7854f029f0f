"""The web monitor in a real browser (Debian's Chromium, headless) against a live server and a real
`farmstead worker`: sign-in, a job followed to SUCCEEDED without a reload, a failed task's log, a cancel
that stops a running job, a VIEWER without change buttons, and a signed-out visitor sent to sign-in.
`make screenshots` runs them with FARMSTEAD_SCREENSHOTS_DIR=docs/images to refresh the README's pictures;
`make test` leaves the tracked images alone."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from web.conftest import ADMIN_PASSWORD, VIEWER_PASSWORD, bash

from farmstead.testing.waiting import wait_until

SCREENSHOTS_ENV = "FARMSTEAD_SCREENSHOTS_DIR"
pytestmark = pytest.mark.timeout(240)


def sign_in(browser, monitor, name: str, password: str, start: str | None = None, width: int = 1366, **options):
    context = browser.new_context(viewport={"width": width, "height": 800}, **options)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(start or monitor.live.endpoint + "/")
    assert "/signin" in page.url
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", password)
    page.click("form:has(input[name=username]) button[type=submit]")
    page.wait_for_load_state()
    return page


def shot(page, name: str) -> None:
    """A screenshot for the docs, only when `make screenshots` asks for them."""
    directory = os.environ.get(SCREENSHOTS_ENV)
    if not directory:
        return
    Path(directory).mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(Path(directory) / f"{name}.png"), full_page=False)


def test_a_test_run_takes_no_screenshot_unless_make_screenshots_asks(tmp_path, monkeypatch):
    taken = []

    class Page:
        def screenshot(self, path, full_page):
            taken.append(path)
    monkeypatch.delenv(SCREENSHOTS_ENV, raising=False)
    shot(Page(), "queue")
    assert taken == []
    monkeypatch.setenv(SCREENSHOTS_ENV, str(tmp_path / "images"))
    shot(Page(), "queue")
    assert taken == [str(tmp_path / "images" / "queue.png")]


@pytest.fixture(scope="module")
def worker(monitor):
    monitor.start_worker("w1")
    wait_until(lambda: any(w["status"] in ("IDLE", "RUNNING") for w in monitor.deadline.list_workers(
        farmId=monitor.farm_id, fleetId=monitor.fleet_id)["workers"]), 30, "the worker to start")
    return monitor


def test_signed_out_visitor_is_sent_to_sign_in_and_comes_back_to_the_page_asked_for(browser, monitor):
    target = monitor.queue_url()
    page = sign_in(browser, monitor, "admin", ADMIN_PASSWORD, start=target)
    assert page.url == target
    assert page.inner_text("h1") == "Renders"
    page.context.close()


def test_a_job_progresses_to_succeeded_on_the_page_without_reloading(browser, worker):
    frames = {"name": "Render", "parameterSpace": {"taskParameterDefinitions": [
        {"name": "Frame", "type": "INT", "range": "1-8"}]},
        "script": {"actions": {"onRun": bash("echo rendering frame {{Task.Param.Frame}}; sleep 0.5")}}}
    page = sign_in(browser, worker, "admin", ADMIN_PASSWORD)
    job_id = worker.submit("shot-0042 beauty", [frames])
    page.goto(worker.job_url(job_id))
    first = page.inner_text("[data-live] .facts .status")
    # Every status the live region shows, as it changes in place (a reload would lose these).
    page.evaluate("""() => { window.__seen = [];
        document.addEventListener('farmstead:updated', () =>
            window.__seen.push(document.querySelector('[data-live] .facts .status').textContent)); }""")
    try:
        page.wait_for_function("() => window.__seen.includes('RUNNING')", timeout=20_000)
        shot(page, "job-running")
    except Exception:
        pass  # a fast machine may finish between two polls; SUCCEEDED below is what matters
    page.wait_for_function("() => window.__seen.includes('SUCCEEDED')", timeout=60_000)
    live = page.locator("[data-live]")
    assert first != "SUCCEEDED"
    assert page.evaluate("window.__seen.length") >= 1
    assert "8/8" in live.inner_text()
    shot(page, "job")
    page.goto(worker.queue_url())
    page.wait_for_selector(f"tr[data-id='{job_id}']")
    shot(page, "queue")
    page.goto(worker.url(f"/fleets/{worker.fleet_id}"))
    page.wait_for_selector("table.workers tbody tr[data-id]")
    assert page.locator("table.workers").inner_text().count("IDLE") + \
        page.locator("table.workers").inner_text().count("RUNNING") >= 1
    shot(page, "workers")
    page.context.close()


def test_a_failed_task_can_be_opened_and_its_log_read(browser, worker):
    failing = {"name": "Simulate", "script": {"actions": {"onRun": bash(
        "echo 'loading cache'; echo 'ERROR: particle cache frame 17 is corrupt' >&2; exit 3")}}}
    job_id = worker.submit("fx sim", [failing], maxRetriesPerTask=0)
    wait_until(lambda: worker.job(job_id)["taskRunStatus"] == "FAILED", 45, "the job to fail")
    page = sign_in(browser, worker, "admin", ADMIN_PASSWORD)
    page.goto(worker.job_url(job_id))
    page.click("[data-live] table a:text-is('Simulate')")
    page.select_option("select[name=status]", "FAILED")
    page.click("form.filters button[type=submit]")
    page.locator("table.tasks tbody a").first.click()
    assert "FAILED" in page.locator(".facts").inner_text()
    page.click("text=Session log")
    log = page.locator("pre.log")
    log.filter(has_text="particle cache frame 17 is corrupt").wait_for(timeout=20_000)
    shot(page, "session-log")
    page.context.close()


def test_cancel_stops_a_running_job_after_a_confirmation(browser, worker):
    slow = {"name": "Long", "parameterSpace": {"taskParameterDefinitions": [
        {"name": "Frame", "type": "INT", "range": "1-3"}]}, "script": {"actions": {"onRun": bash("sleep 60")}}}
    job_id = worker.submit("long render", [slow])
    page = sign_in(browser, worker, "admin", ADMIN_PASSWORD)
    page.goto(worker.job_url(job_id))
    page.wait_for_function("() => document.querySelector('[data-live] .facts .status').textContent === 'RUNNING'",
                           timeout=30_000)
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.click("form.toolbar:not(#step-selection) button[value=cancel]")
    page.wait_for_selector(".notice")
    assert asked == ["Cancel 1 job?"]
    assert "1 of 1 job done" in page.inner_text(".notice")
    page.wait_for_function("() => document.querySelector('[data-live] .facts .status').textContent === 'CANCELED'",
                           timeout=30_000)
    assert worker.job(job_id)["taskRunStatus"] == "CANCELED"
    page.context.close()


def test_a_viewer_sees_the_job_but_has_no_cancel_button_and_a_forged_cancel_is_refused(browser, worker):
    job_id = worker.submit("viewer can look", [{"name": "Quick", "script": {"actions": {"onRun": bash("true")}}}],
                           targetTaskRunStatus="SUSPENDED")
    page = sign_in(browser, worker, "viewer", VIEWER_PASSWORD)
    page.goto(worker.job_url(job_id))
    assert page.inner_text("h1") == "viewer can look"
    assert page.locator("button[value=cancel]").count() == 0
    assert "can view this job but not change it" in page.inner_text("main")
    # The API decides, not the buttons: a cancel posted by hand comes back as the API's refusal.
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    page.evaluate("""([csrf, farm, queue, job]) => {
        const form = document.createElement('form'); form.method = 'post'; form.action = '/actions';
        for (const [k, v] of Object.entries({csrf, farm_id: farm, queue_id: queue, kind: 'job', action: 'cancel',
                                             item: job, confirmed: '1', back: location.pathname})) {
            const input = document.createElement('input'); input.type = 'hidden'; input.name = k; input.value = v;
            form.appendChild(input);
        }
        document.body.appendChild(form); form.submit(); }""",
                  [csrf, worker.farm_id, worker.queue_id, job_id])
    page.wait_for_selector(".notice.error")
    assert "0 of 1 job done" in page.inner_text(".notice") and "not authorized" in page.inner_text(".notice")
    assert worker.job(job_id)["taskRunStatus"] == "SUSPENDED"
    page.context.close()


def test_requeue_failed_asks_what_it_reruns_and_the_buttons_follow_the_job(browser, worker, tmp_path):
    fixed = tmp_path / "fixed"
    frames = {"name": "Render", "parameterSpace": {"taskParameterDefinitions": [
        {"name": "Frame", "type": "INT", "range": "1-6"}]}, "script": {"actions": {"onRun": bash(
            f"if [ {{{{Task.Param.Frame}}}} -eq 4 ] && [ ! -e {fixed} ]; then echo 'frame 4: bad cache' >&2; "
            "exit 2; fi; echo rendered")}}}
    job_id = worker.submit("requeue the broken frame", [frames], maxRetriesPerTask=0, maxFailedTasksCount=10)
    wait_until(lambda: worker.job(job_id)["taskRunStatus"] == "FAILED", 60, "the job to fail")
    page = sign_in(browser, worker, "admin", ADMIN_PASSWORD)
    page.goto(worker.job_url(job_id))
    toolbar = page.locator("form[data-applies]")
    assert toolbar.locator("button[value=resume]").is_hidden()
    assert toolbar.locator("button[value=requeue_all]").is_visible()
    fixed.touch()  # the cache is mended: the frame will render now
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    toolbar.locator("button[value=requeue_failed]").click()
    page.wait_for_selector(".notice")
    assert asked[0].startswith("Requeue the 1 FAILED task of this job? 5 SUCCEEDED stay as they are."), asked
    assert "maxRetriesPerTask was raised from 0 to 1" in page.inner_text(".notice")
    page.wait_for_function("() => document.querySelector('[data-live] .facts .status').textContent === 'SUCCEEDED'",
                           timeout=60_000)
    # The toolbar followed the job without a reload: nothing failed is left to requeue.
    page.wait_for_function("() => document.querySelector('form[data-applies] button[value=requeue_failed]').hidden",
                           timeout=10_000)
    assert worker.job(job_id)["taskRunStatusCounts"]["SUCCEEDED"] == 6
    page.context.close()


def test_the_main_pages_fit_a_phone_without_sideways_scrolling(browser, worker):
    frames = {"name": "Render", "parameterSpace": {"taskParameterDefinitions": [
        {"name": "Frame", "type": "INT", "range": "1-3"}]}, "script": {"actions": {"onRun": bash(
            "if [ {{Task.Param.Frame}} -eq 2 ]; then echo 'ERROR: a rather long message about the particle cache "
            "of frame 2 that will not fit on one line of a phone' >&2; exit 4; fi; echo ok")}}}
    job_id = worker.submit("phone check with a long job name to wrap", [frames], maxRetriesPerTask=0,
                           maxFailedTasksCount=5)
    wait_until(lambda: worker.job(job_id)["taskRunStatus"] == "FAILED", 60, "the job to fail")
    ids = {"farmId": worker.farm_id, "queueId": worker.queue_id, "jobId": job_id}
    step = worker.deadline.list_steps(**ids)["steps"][0]["stepId"]
    failed = worker.deadline.search_tasks(farmId=worker.farm_id, queueIds=[worker.queue_id], jobId=job_id,
                                          itemOffset=0, filterExpressions={"operator": "AND", "filters": [
                                              {"stringFilter": {"name": "RUN_STATUS", "operator": "EQUAL",
                                                                "value": "FAILED"}}]})["tasks"][0]
    session = "session-" + failed["latestSessionActionId"].split("-")[1]
    job_url = worker.job_url(job_id)
    pages = {"farms": worker.live.endpoint + "/", "farm": worker.url(), "queue": worker.queue_url(),
             "job": job_url, "step": f"{job_url}/steps/{step}",
             "task": f"{job_url}/steps/{step}/tasks/{failed['taskId']}", "session": f"{job_url}/sessions/{session}",
             "fleet": worker.url(f"/fleets/{worker.fleet_id}")}
    page = sign_in(browser, worker, "admin", ADMIN_PASSWORD, width=390)
    for name, url in pages.items():
        page.goto(url)
        page.wait_for_load_state()
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the {name} page scrolls sideways by {overflow} px at 390 px"
        if name == "step":
            shot(page, "phone-step")
    page.context.close()
    signin = browser.new_context(viewport={"width": 390, "height": 800}).new_page()
    signin.goto(worker.live.endpoint + "/signin")
    assert signin.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert signin.title() == "Sign in · Farmstead"
    signin.context.close()

"""Events by e-mail through a real SMTP server (aiosmtpd, with a login): a submitter subscribed to their
job gets one readable mail when it ends, naming the job and its status; a farm manager subscribed to
the queue gets every job's end, the failed one's too; a mail server that is not there shows as a
failed delivery that says why; a relay that requires STARTTLS gets the mail over TLS, its certificate
checked against the CA file the settings name."""

from __future__ import annotations

import pytest

from farmstead.testing.live_server import LiveServer
from farmstead.testing.waiting import wait_until
from support.mailbox import Mailbox
from support.worker_jobs import finish_frames, served_queue, submit

# The relay takes a login over the plain loopback connection (as a relay on the same host may).
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

SUBMITTER = "artist@studio.test"
MANAGER = "wrangler@studio.test"


@pytest.fixture
def mailbox():
    box = Mailbox(username="farmstead", password="relay password").start()
    yield box
    box.stop()


def _mail_env(box: Mailbox) -> dict[str, str]:
    return {"FARMSTEAD_SMTP_HOST": "127.0.0.1", "FARMSTEAD_SMTP_PORT": str(box.port),
            "FARMSTEAD_SMTP_USERNAME": "farmstead", "FARMSTEAD_SMTP_PASSWORD": "relay password",
            "FARMSTEAD_SMTP_FROM": "render-farm@studio.test"}


def _to(box: Mailbox, address: str) -> list:
    return [message for recipients, message in box.received() if address in recipients]


def test_a_submitter_hears_when_their_job_ends_and_a_manager_hears_of_every_job_in_the_queue(tmp_path, mailbox):
    with LiveServer(tmp_path, extra_env=_mail_env(mailbox)) as server:
        deadline = server.client()
        farm = served_queue(deadline, deadline.create_farm(displayName="mail")["farmId"])
        ids = {"farmId": farm["farmId"], "queueId": farm["queueId"]}
        server.cli("events", "subscribe", "--farm-id", farm["farmId"], "--queue-id", farm["queueId"],
                   "--email", MANAGER)
        good = submit(deadline, farm, "1-2")
        printed = server.cli("events", "subscribe", "--farm-id", farm["farmId"], "--job-id", good,
                             "--email", SUBMITTER)
        assert "secret" not in printed  # a mailbox checks no signature
        bad = submit(deadline, farm, "7", maxRetriesPerTask=0)
        for job_id in (good, bad):
            wait_until(lambda job_id=job_id: deadline.get_job(**ids, jobId=job_id)["taskRunStatus"] == "READY",
                       30, "the jobs READY")
        finish_frames(deadline, farm, failing={7})
        wait_until(lambda: len(_to(mailbox, MANAGER)) >= 2, 30, "the manager's two mails")
        wait_until(lambda: _to(mailbox, SUBMITTER), 30, "the submitter's mail")
        listed = server.cli("events", "list")

    mine = _to(mailbox, SUBMITTER)
    assert len(mine) == 1  # the end only: not every status the job passed through, not the other job
    subject = mine[0]["Subject"]
    assert '"frames"' in subject and subject.endswith("SUCCEEDED"), subject
    assert mine[0]["From"] == "render-farm@studio.test"
    body = mine[0].get_content()
    assert good in body and farm["queueId"] in body and "SUCCEEDED 2" in body
    assert mine[0]["X-Farmstead-Event-Id"] in body  # the event itself follows the text

    managers = _to(mailbox, MANAGER)
    assert sorted(m["Subject"].rsplit(" ", 1)[1] for m in managers) == ["FAILED", "SUCCEEDED"]
    assert {good, bad} == {jid for jid in (good, bad) for m in managers if jid in m.get_content()}
    assert f"mailto:{SUBMITTER}" in listed and good in listed


def test_without_a_mail_server_the_delivery_fails_and_says_why(tmp_path):
    with LiveServer(tmp_path, embedded_only=True) as server:  # no FARMSTEAD_SMTP_HOST
        deadline = server.client()
        farm = served_queue(deadline, deadline.create_farm(displayName="no mail")["farmId"])
        subscription_id = server.cli("events", "subscribe", "--farm-id", farm["farmId"], "--email", SUBMITTER,
                                     "--detail-type", "Job Lifecycle Status Change",
                                     "--detail-type", "Job Run Status Change").split()[0]
        job_id = submit(deadline, farm, "1", maxRetriesPerTask=0)
        wait_until(lambda: deadline.get_job(farmId=farm["farmId"], queueId=farm["queueId"], jobId=job_id)
                   ["taskRunStatus"] == "READY", 30, "the job READY")
        finish_frames(deadline, farm, failing={1})
        wait_until(lambda: "FARMSTEAD_SMTP_HOST" in server.cli("events", "deliveries", "--subscription-id",
                                                               subscription_id), 30, "the failed delivery")


def test_a_relay_that_requires_starttls_gets_the_mail_over_tls_checked_against_the_ca_file(tmp_path):
    box = Mailbox(username="farmstead", password="relay password", tls_dir=tmp_path).start()
    try:
        env = {**_mail_env(box), "FARMSTEAD_SMTP_STARTTLS": "1", "FARMSTEAD_SMTP_CA_FILE": str(box.ca_file)}
        with LiveServer(tmp_path, embedded_only=True, extra_env=env) as server:
            deadline = server.client()
            farm = served_queue(deadline, deadline.create_farm(displayName="tls mail")["farmId"])
            server.cli("events", "subscribe", "--farm-id", farm["farmId"], "--email", MANAGER)
            job_id = submit(deadline, farm, "1")
            wait_until(lambda: deadline.get_job(farmId=farm["farmId"], queueId=farm["queueId"], jobId=job_id)
                       ["taskRunStatus"] == "READY", 30, "the job READY")
            finish_frames(deadline, farm)
            wait_until(lambda: _to(box, MANAGER), 30, "the mail over TLS")
    finally:
        box.stop()
    (mail,) = _to(box, MANAGER)
    assert job_id in mail.get_content() and mail["Subject"].endswith("SUCCEEDED")

"""Fleet-role credentials: fetched with the bootstrap identity, refreshed before they expire."""

from datetime import UTC, datetime, timedelta

import boto3

from farmstead.worker import credentials

IDS = {"farmId": "farm-1", "fleetId": "fleet-1", "workerId": "worker-1"}


class FakeDeadline:
    def __init__(self, name, lifetimes):
        self.name = name
        self.lifetimes = lifetimes
        self.calls = []

    def assume_fleet_role_for_worker(self, **ids):
        self.calls.append(ids)
        n = len(self.calls)
        return {"credentials": {"accessKeyId": f"{self.name}-{n}", "secretAccessKey": "s", "sessionToken": "t",
                                "expiration": datetime.now(UTC) + self.lifetimes.pop(0)}}


class FakeClients(credentials.Clients):
    def __init__(self, deadline):
        super().__init__(boto3.Session(aws_access_key_id="boot", aws_secret_access_key="x", region_name="us-west-2"),
                         "http://127.0.0.1:1")
        self.deadline = deadline

    def client(self, service):
        return self.deadline


def test_first_credentials_come_from_the_bootstrap_identity():
    bootstrap = FakeDeadline("boot", [timedelta(hours=1)])
    role = credentials.FleetRole(FakeClients(bootstrap), IDS, None)
    assert bootstrap.calls == [IDS]
    assert role.credentials.get_frozen_credentials().access_key == "boot-1"
    assert len(bootstrap.calls) == 1  # an hour left: no refresh


def test_credentials_with_less_than_15_minutes_left_are_refreshed_signed_by_the_fleet_role(monkeypatch):
    bootstrap = FakeDeadline("boot", [timedelta(minutes=14)])
    fleet = FakeDeadline("fleet", [timedelta(hours=1)])
    role = credentials.FleetRole(FakeClients(bootstrap), IDS, None)
    signed_with = []
    monkeypatch.setattr(role, "_signing_client", lambda last: signed_with.append(last["access_key"]) or fleet)
    assert role.credentials.get_frozen_credentials().access_key == "fleet-1"
    assert signed_with == ["boot-1"]  # the refresh was signed with the current fleet credentials
    assert len(bootstrap.calls) == 1


def test_nearly_expired_credentials_are_refreshed_with_the_bootstrap_identity():
    bootstrap = FakeDeadline("boot", [timedelta(seconds=30), timedelta(hours=1)])
    role = credentials.FleetRole(FakeClients(bootstrap), IDS, None)
    assert role.credentials.get_frozen_credentials().access_key == "boot-2"


def test_fleet_clients_sign_with_the_fleet_credentials():
    role = credentials.FleetRole(FakeClients(FakeDeadline("boot", [timedelta(hours=1)])), IDS, None)
    session = role.clients().session
    assert session.get_credentials().get_frozen_credentials().access_key == "boot-1"

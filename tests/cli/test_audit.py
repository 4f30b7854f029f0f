"""`farmstead audit` (docs/audit.md): the admin commands that change the store are audited without their
secrets, and the log is read back filtered by user, resource, operation and time, as text or JSON lines."""

from __future__ import annotations

import getpass
import json
from datetime import UTC, datetime, timedelta

from botocore.exceptions import ClientError

from farmstead.testing.scripted_worker import ScriptedWorker
from support.worker_jobs import served_queue


def json_lines(text: str) -> list[dict]:
    """The export's entries. JSON lines end at "\n" only: str.splitlines() also splits inside a string
    that holds U+2028 or U+0085, which JSON (and orjson) leave unescaped (the shared server's audit holds such
    strings from tests/api/test_every_operation.py's generated inputs)."""
    return [json.loads(line) for line in text.split("\n") if line]


def test_store_changing_commands_are_audited_and_no_secret_is_stored(server):
    principal_id, key_id, secret = server.new_user("audit-keys")  # users create, keys create
    password = "correct horse battery staple"
    assert server.admin("users", "passwd", "audit-keys", "--stdin", stdin=password + "\n").exit_code == 0
    server.cli("keys", "delete", key_id)
    refused = server.admin("keys", "delete", key_id)
    assert refused.exit_code != 0

    entries = json_lines(server.cli("audit", "--json", "--resource", principal_id))
    assert [e["operation"] for e in entries] == ["users create", "keys create", "users passwd"]
    deletes = json_lines(server.cli("audit", "--json", "--resource", key_id))
    assert [(e["operation"], e["outcome"]) for e in deletes] == [
        ("keys create", "success"), ("keys delete", "success"), ("keys delete", f"refused: no access key {key_id}")]
    for entry in entries + deletes:
        assert (entry["source"], entry["address"], entry["principalName"]) == ("cli", "local", getpass.getuser())
    everything = server.cli("audit", "--json", "--limit", "100000")
    assert secret not in everything and password not in everything


def test_audit_filters_by_user_operation_and_time_and_prints_a_table(server, deadline, farm_id):
    deadline.update_farm(farmId=farm_id, description="first")
    _, key_id, secret = server.new_user("audit-filter")
    server.cli("users", "add", "audit-filter", "--farm-id", farm_id, "--level", "OWNER")
    server.client(key_id=key_id, secret=secret).update_farm(farmId=farm_id, description="second")

    by_user = json_lines(server.cli("audit", "--json", "--user", "audit-filter", "--resource", farm_id))
    assert [(e["operation"], e["params"]["description"]) for e in by_user] == [("UpdateFarm", "second")]
    by_operation = server.cli("audit", "--operation", "UpdateFarm", "--resource", farm_id).splitlines()
    assert by_operation[0].split("\t") == ["at", "user", "address", "operation", "resources", "outcome"]
    assert [line.split("\t")[3] for line in by_operation[1:]] == ["UpdateFarm", "UpdateFarm"]
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d")
    assert server.cli("audit", "--json", "--resource", farm_id, "--since", tomorrow) == ""
    assert len(json_lines(server.cli("audit", "--json", "--resource", farm_id, "--until", tomorrow))) >= 4


def test_a_json_line_keeps_a_line_separator_inside_a_parameter_on_its_own_line(server, deadline, farm_id):
    description = "first\u2028second\u0085third"
    deadline.update_farm(farmId=farm_id, description=description)
    text = server.cli("audit", "--json", "--operation", "UpdateFarm", "--resource", farm_id)
    (entry,) = json_lines(text)
    assert entry["params"]["description"] == description
    assert len(text.splitlines()) == 3  # what a reader splitting on every Unicode line break would get


def test_an_operators_worker_hold_is_audited_with_the_hold(server, deadline, farm_id):
    farm = served_queue(deadline, farm_id)
    worker = ScriptedWorker(deadline, farm_id, farm["fleetId"])
    server.cli("workers", "drain", "--fleet-id", farm["fleetId"], "--worker-id", worker.worker_id, "--stop")
    refused = server.admin("workers", "enable", "--fleet-id", farm["fleetId"], "--worker-id", "worker-unknown")
    assert refused.exit_code != 0

    held, = json_lines(server.cli("audit", "--json", "--resource", worker.worker_id, "--operation", "workers drain"))
    assert (held["params"]["hold"], held["outcome"], held["address"]) == ("DRAIN_AND_STOP", "success", "local")
    enable, = json_lines(server.cli("audit", "--json", "--resource", "worker-unknown"))
    assert enable["operation"] == "workers enable" and enable["outcome"].startswith("refused: not workers of")


def test_the_json_export_writes_an_integer_past_64_bits(server, deadline):
    """A float member (a custom amount's max) sent as an integer past 64 bits is accepted and audited as
    sent; the export printed nothing past it (orjson refuses such integers)."""
    farm_id = deadline.create_farm(displayName="huge amount")["farmId"]
    huge = 2 ** 70
    configuration = {"customerManaged": {"mode": "NO_SCALING", "workerCapabilities": {
        "vCpuCount": {"min": 1}, "memoryMiB": {"min": 1024}, "osFamily": "LINUX", "cpuArchitectureType": "x86_64",
        "customAmounts": [{"name": "amount.worker.licenses", "min": 1, "max": huge}]}}}
    try:
        deadline.create_fleet(farmId=farm_id, displayName="f", roleArn="arn:aws:iam::000000000000:role/f",
                              maxWorkerCount=1, configuration=configuration)
    except ClientError:
        pass  # refused or not, the call is audited with its parameters
    lines = json_lines(server.cli("audit", "--json", "--operation", "CreateFleet"))
    amounts = [line["params"]["configuration"]["customerManaged"]["workerCapabilities"]["customAmounts"]
               for line in lines if line["params"].get("farmId") == farm_id]
    # A float member: the store may keep it as a float's digits (PostgreSQL's jsonb gives back an integer of them).
    assert [[(a["name"], a["min"], float(a["max"])) for a in each] for each in amounts] == [
        [("amount.worker.licenses", 1, float(huge))]]

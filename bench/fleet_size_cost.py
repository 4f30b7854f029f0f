"""fleet_size_cost: what GetFleet's recommended size costs (issue 23): GetFleet of an auto-scaling fleet
whose queue holds JOBS jobs with READY tasks (half of their steps asking for a GPU the fleet lacks, so
host requirements are matched on every call), over GetFleet of a NO_SCALING fleet of the same farm,
which reads no demand.

Owns: one server, the two fleets, the jobs; the two pre-signed GetFleet requests replayed in rounds
(order rotated each round), 4 connections; the ratio per round, its median the figure, with server
CPU per request from /proc. Must not: run workers (the demand is what a queue waiting for them asks).
"""

from __future__ import annotations

import argparse
import json

from bench.farm_setup import new_farm
from bench.figures import median, spread, table
from bench.launcher import ProcessStats, running_server
from bench.load import LoadGenerator
from bench.machine import OtherLoad

JOBS, QUICK_JOBS = 500, 100
DESCRIPTION = "GetFleet p50/CPU of an auto-scaling fleet with 500 jobs READY / of a NO_SCALING fleet"
CAPABILITIES = {"vCpuCount": {"min": 1}, "memoryMiB": {"min": 1024}, "osFamily": "LINUX",
                "cpuArchitectureType": "x86_64"}


def _template(number: int) -> str:
    step = {"name": "Render", "parameterSpace": {"taskParameterDefinitions": [
        {"name": "Frame", "type": "INT", "range": "1-10"}]}, "script": {"actions": {"onRun": {"command": "true"}}}}
    if number % 2:
        step["hostRequirements"] = {"amounts": [{"name": "amount.worker.gpu", "min": 1}]}
    return json.dumps({"specificationVersion": "jobtemplate-2023-09", "name": f"job {number}", "steps": [step]})


def run(args: argparse.Namespace) -> None:
    jobs = QUICK_JOBS if args.quick else JOBS
    rounds, seconds = (2, 1.0) if args.quick else (6, 2.0)
    # A few connections: GetFleet is read every few seconds by a scaler, not thousands of times a second (with
    # 32 on a busy 2-core machine a few answers were not 2xx, most likely admission control's refusals).
    load = LoadGenerator(prefer=args.client, connections=4)
    try:
        with running_server() as server:
            farm = new_farm(server)  # its fleet: NO_SCALING, associated with the queue
            client = farm.client
            fixed_id = client.list_fleets(farmId=farm.farm_id)["fleets"][0]["fleetId"]
            auto_id = client.create_fleet(
                farmId=farm.farm_id, displayName="auto", roleArn="arn:aws:iam::000000000000:role/fleet",
                maxWorkerCount=1000, configuration={"customerManaged": {
                    "mode": "EVENT_BASED_AUTO_SCALING", "workerCapabilities": CAPABILITIES}})["fleetId"]
            client.create_queue_fleet_association(farmId=farm.farm_id, queueId=farm.queue_id, fleetId=auto_id)
            # The GPU steps need a fleet that can run them, or they would be NOT_COMPATIBLE, not READY.
            gpu_id = client.create_fleet(
                farmId=farm.farm_id, displayName="gpu", roleArn="arn:aws:iam::000000000000:role/fleet",
                maxWorkerCount=1000, configuration={"customerManaged": {"mode": "NO_SCALING", "workerCapabilities": {
                    **CAPABILITIES, "acceleratorTypes": ["gpu"], "acceleratorCount": {"min": 1, "max": 1}}}})["fleetId"]
            client.create_queue_fleet_association(farmId=farm.farm_id, queueId=farm.queue_id, fleetId=gpu_id)
            print(f"  creating {jobs} jobs of 10 READY tasks ...", flush=True)
            for number in range(jobs):
                client.create_job(farmId=farm.farm_id, queueId=farm.queue_id, priority=50, templateType="JSON",
                                  template=_template(number))
            auto = client.get_fleet(farmId=farm.farm_id, fleetId=auto_id)
            expected = (jobs - jobs // 2) * 10
            if auto["targetWorkerCount"] != min(1000, expected):
                raise RuntimeError(f"recommended {auto['targetWorkerCount']}, expected {expected}")
            requests = [farm.sign("GetFleet", {"farmId": farm.farm_id, "fleetId": fixed_id}, label="NO_SCALING"),
                        farm.sign("GetFleet", {"farmId": farm.farm_id, "fleetId": auto_id}, label="auto-scaling")]
            stats = ProcessStats(server.process.pid)
            for request in requests:
                load.run(request, 1.0)
            ratios: dict[str, list[float]] = {"p50": [], "time per request": [], "server CPU": []}
            rows = []
            for index in range(rounds):
                measured = {}
                for request in requests[index % 2:] + requests[:index % 2]:
                    cpu = stats.cpu_seconds()
                    with OtherLoad() as other:
                        result = load.run(request, seconds)
                    result.server_cpu_s = stats.cpu_seconds() - cpu
                    result.other_load = other.share(result.server_cpu_s, result.client_cpu_s)
                    if result.failures:
                        raise RuntimeError(f"{request.label}: {result.failures} failed requests")
                    measured[request.label] = result
                a, b = measured["auto-scaling"], measured["NO_SCALING"]
                ratios["p50"].append(a.p50_ms / b.p50_ms)
                ratios["time per request"].append(b.rps / a.rps)
                ratios["server CPU"].append(a.server_cpu_us / b.server_cpu_us)
                rows.append([str(index + 1)] + [f"{r.rps:,.0f}/s p50 {r.p50_ms:.2f} ms {r.server_cpu_us:.0f} us"
                                                 for r in (b, a)]
                            + [f"{max(r.other_load for r in (a, b)):.0%}"])
    finally:
        load.close()
    print(table(["round", "NO_SCALING GetFleet", f"auto-scaling GetFleet ({jobs} jobs READY)", "others"], rows))
    print(f"\n  auto-scaling / NO_SCALING GetFleet, median of {rounds} rounds (min-max): "
          + ", ".join(f"{key} {median(values):.2f} ({spread(values)})" for key, values in ratios.items()))

"""`farmstead scaler`'s refusals, said at once and before any worker starts."""

import pytest


def test_a_fleet_that_does_not_auto_scale_is_refused_before_any_worker_starts(farmstead, api_env, ready_queue,
                                                                                 deadline, tmp_path):
    done = farmstead("scaler", "--farm-id", ready_queue["farmId"], "--fleet-id", ready_queue["fleetId"],
                     "--endpoint-url", api_env["AWS_ENDPOINT_URL"], "--work-dir", tmp_path / "w", env=api_env)
    assert done.returncode == 1
    assert "does not auto-scale" in done.stderr and "EVENT_BASED_AUTO_SCALING" in done.stderr, done.stderr
    assert deadline.list_workers(farmId=ready_queue["farmId"], fleetId=ready_queue["fleetId"])["workers"] == []
    assert not (tmp_path / "w").exists()


@pytest.mark.parametrize(("flags", "message"), [
    (["--host", "render01:0"], "at least one worker"),
    (["--host", ":2"], "no host"),
    (["--slurm", "2", "--host", "local:2"], "not both"),
])
def test_unusable_places_are_refused(farmstead, isolated_env, tmp_path, flags, message):
    done = farmstead("scaler", "--farm-id", "farm-1", "--fleet-id", "fleet-1", *flags,
                     "--work-dir", tmp_path / "w", env=isolated_env)
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert not (tmp_path / "w").exists()

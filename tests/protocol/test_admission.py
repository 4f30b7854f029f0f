"""Admission control's bookkeeping: the server's slots, the share kept for workers, each caller's share,
the wait in line, and which key a request names."""

from __future__ import annotations

import asyncio

import pytest

from farmstead.protocol.admission import USER_SHARE, Admission, Kind, Limits, Refused, access_key_of


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def admission(max_in_flight=8, per_caller=4, wait=1.0, clock=None) -> Admission:
    return Admission(Limits(max_in_flight, per_caller, wait), clock or FakeClock())


def test_user_requests_may_hold_only_their_share_and_workers_the_rest():
    gate = admission(max_in_flight=8, per_caller=100)
    users = [gate.enter(Kind.USER, f"key{i}") for i in range(int(8 * USER_SHARE))]
    with pytest.raises(Refused, match="server is busy"):
        gate.enter(Kind.USER, "another")
    workers = [gate.enter(Kind.WORKER, "fleet") for _ in range(8 - len(users))]
    with pytest.raises(Refused, match="server is busy"):
        gate.enter(Kind.WORKER, "fleet")
    assert gate.in_flight == 8 and gate.refused["server"] == 2
    for ticket in users + workers:
        gate.leave(ticket)
    assert gate.in_flight == 0
    gate.enter(Kind.USER, "another")


def test_each_caller_has_a_share_of_user_requests_but_workers_do_not():
    gate = admission(max_in_flight=100, per_caller=3)
    tickets = [gate.enter(Kind.USER, "AKIAONE") for _ in range(3)]
    with pytest.raises(Refused, match="this access key"):
        gate.enter(Kind.USER, "AKIAONE")
    gate.enter(Kind.USER, "AKIATWO")  # another key is not held back
    for _ in range(10):  # many workers may share one key
        gate.enter(Kind.WORKER, "AKIAONE")
    gate.leave(tickets[0])
    gate.enter(Kind.USER, "AKIAONE")
    assert gate.refused["caller"] == 1


def test_a_user_request_that_waited_too_long_in_line_is_refused_when_its_turn_comes():
    clock = FakeClock()
    gate = admission(wait=1.0, clock=clock)

    async def scenario() -> None:
        prompt = gate.enter(Kind.USER, "k")
        await gate.settle(prompt)
        late = gate.enter(Kind.USER, "k")
        clock.now += 1.5
        with pytest.raises(Refused, match="waited 1.5 s"):
            await gate.settle(late)

    asyncio.run(scenario())
    assert gate.refused["waited"] == 1


def test_settling_lets_every_request_of_the_loop_iteration_be_counted_first():
    gate = admission(max_in_flight=1000, per_caller=1000)
    seen = []

    async def request() -> None:
        ticket = gate.enter(Kind.USER, "k")
        await gate.settle(ticket)
        seen.append(gate.in_flight)  # the handler would run here
        gate.leave(ticket)

    async def burst() -> None:
        await asyncio.gather(*(request() for _ in range(5)))

    asyncio.run(burst())
    assert seen == [5, 4, 3, 2, 1]


def test_zero_turns_admission_control_off():
    assert not admission(max_in_flight=0).enabled


@pytest.mark.parametrize("headers, query, key", [
    ([(b"authorization", b"AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20261206/us-west-2/deadline/aws4_request, "
                         b"SignedHeaders=host, Signature=abc")], b"", "AKIAEXAMPLE"),
    ([(b"Authorization", b"AWS4-HMAC-SHA256 Credential=ASIATEMP/20261206/us-west-2/logs/aws4_request")], b"",
     "ASIATEMP"),
    ([], b"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAQUERY%2F20261206%2Fus-west-2", "AKIAQUERY"),
    ([(b"authorization", b"Basic Zm9vOmJhcg==")], b"", ""),
    ([], b"", ""),
])
def test_the_key_a_request_names_is_read_without_checking_it(headers, query, key):
    assert access_key_of({"headers": headers, "query_string": query}) == key

"""The in-flight limit: the fewest requests on the way that keep the answers coming."""

from __future__ import annotations

import threading

from custify.ratelimit import RateBudget
from models.clock import FakeClock
from pipelines.inflight import EPOCH_PER_SLOT, FLOOR, HOLD_EPOCHS, Climb, InFlightLimit


def run(climb: Climb, epochs: int, rate_of, *, crowded: bool = True, paced: bool = False):
    """Feed ``epochs`` epochs whose completion rate is ``rate_of(limit)``; the limits seen."""
    seen = []
    for _ in range(epochs):
        seen.append(climb.limit)
        climb.epoch(rate_of(climb.limit), crowded, paced)
    return seen


def cpu_bound(limit: int) -> float:
    return 400.0  # our process is the bottleneck: more requests in flight, no more answers


def latency_bound(limit: int) -> float:
    return limit / 0.3  # every answer takes 300 ms: each request in flight adds throughput


def test_a_rate_that_more_requests_in_flight_do_not_raise_settles_at_the_floor():
    climb = Climb(8)
    seen = run(climb, 200, cpu_bound)
    assert seen[0] == 8 and seen[2] == FLOOR  # two halvings that cost nothing, kept
    settled = seen[10:]
    assert settled.count(FLOOR) / len(settled) > 0.9  # an occasional doubling, undone


def test_a_rate_that_grows_with_the_limit_keeps_the_ceiling():
    climb = Climb(8)
    seen = run(climb, 200, latency_bound)
    assert min(seen) == 4  # a halving is tried, seen to halve the rate, undone at once
    assert seen.count(8) / len(seen) > 0.9


def test_a_run_starting_at_the_floor_under_latency_climbs_to_the_ceiling():
    climb = Climb(8)
    run(climb, 40, cpu_bound)
    assert climb.limit == FLOOR
    seen = run(climb, 2 * HOLD_EPOCHS + 10, latency_bound)  # the answers now take 300 ms
    assert seen[-1] == 8 and seen.count(8) > 5


def test_the_rate_budget_making_requests_wait_pins_the_ceiling():
    climb = Climb(8)
    run(climb, 40, cpu_bound)
    assert climb.limit == FLOOR
    seen = run(climb, 50, cpu_bound, paced=True)
    assert seen[1:] == [8] * 49  # no probing while the budget paces the run


def test_epochs_in_which_no_request_waited_for_a_slot_change_nothing():
    climb = Climb(8)
    assert run(climb, 50, cpu_bound, crowded=False) == [8] * 50


def test_one_slot_is_one_slot():
    climb = Climb(1)
    assert set(run(climb, 50, cpu_bound) + run(climb, 50, latency_bound)) == {1}


def test_the_gate_holds_a_request_until_a_slot_frees():
    gate = InFlightLimit(3, lambda: 0, clock=FakeClock().now)
    for _ in range(3):
        gate.acquire()
    entered = threading.Event()

    def fourth() -> None:
        gate.acquire()
        entered.set()

    thread = threading.Thread(target=fourth, daemon=True)
    thread.start()
    assert not entered.wait(0.2)  # three in flight: the fourth waits
    gate.release()
    assert entered.wait(5)
    thread.join(5)


def test_a_crowded_epoch_moves_the_limit_and_budget_waits_bring_it_back():
    clock = FakeClock()
    waits = [0]
    gate = InFlightLimit(8, lambda: waits[0], clock=clock.now)
    _crowded_epoch(gate, clock)
    assert gate.limit == 4  # the first probe: half as many in flight
    waits[0] += 1  # the budget makes a request sleep during the next epoch
    _crowded_epoch(gate, clock)
    assert gate.limit == 8


def _crowded_epoch(gate: InFlightLimit, clock: FakeClock) -> None:
    """Fill every slot, let one more request wait for one, then complete requests until the
    epoch ends (its length: a second, and ``EPOCH_PER_SLOT`` completions per slot)."""
    limit = gate.limit
    for _ in range(limit):
        gate.acquire()
    waiting = threading.Thread(target=lambda: (gate.acquire(), gate.release()), daemon=True)
    waiting.start()
    waiting.join(0.2)  # every slot is taken: it waits
    assert waiting.is_alive()
    clock.advance(1.0)
    for _ in range(limit):
        gate.release()
    waiting.join(5)
    for _ in range(EPOCH_PER_SLOT * limit):
        if gate.limit != limit:
            return
        gate.acquire()
        gate.release()
    raise AssertionError("the epoch did not end")


def test_the_budget_counts_the_requests_it_made_wait():
    clock = FakeClock()
    budget = RateBudget(2, 10.0, clock=clock)
    budget.acquire()
    budget.acquire()
    assert budget.waits == 0
    budget.acquire()  # the window is full: it sleeps until a grant leaves it
    assert budget.waits == 1


def test_a_request_waiting_for_a_slot_sends_nothing_once_the_run_is_cancelled():
    import httpx

    from custify import ApiKey, ConnectionSettings, CustifyClient
    from models.registry import REGISTRY
    from pipelines.fetch import Cancelled, Fetcher

    sent: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url))
        return httpx.Response(200, json={"notes": [], "total": 0})

    conn = ConnectionSettings(api_key=ApiKey("k"), base_url="https://api.custify.test")
    clock = FakeClock()
    budget = RateBudget(conn.rate_limit, conn.rate_window_s, clock=clock)
    client = CustifyClient(conn, transport=httpx.MockTransport(answer), budget=budget, clock=clock)
    fetcher = Fetcher(client, 1)
    outcome: list[BaseException] = []

    def page() -> None:
        try:
            fetcher.page("notes", REGISTRY["notes"], 1)
        except BaseException as exc:  # noqa: BLE001 -- the outcome is the assertion
            outcome.append(exc)

    try:
        fetcher.in_flight.acquire()  # the one slot is taken: the page waits for it
        waiting = threading.Thread(target=page, daemon=True)
        waiting.start()
        waiting.join(0.2)
        assert waiting.is_alive()
        fetcher.cancel()
        fetcher.in_flight.release()
        waiting.join(5)
        assert len(outcome) == 1 and isinstance(outcome[0], Cancelled)
        assert sent == []
    finally:
        fetcher.close()
        client.close()

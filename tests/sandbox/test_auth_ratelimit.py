"""Auth (§1.2), 403 paths, and the fixed 100-per-10-s window (§1.8, quirk 16) on a FakeClock."""

from __future__ import annotations

import httpx
import pytest

from models.clock import FakeClock
from sandbox import Faults, Sandbox
from tests.sandbox.conftest import BASE, make_client

UNAUTHORIZED = {"error": "Access forbidden, invalid API-KEY was used", "statusCode": 401}


@pytest.fixture
def limited(clock):
    return Sandbox(seed=1, scale=0.05, clock=clock)  # rate limit on by default


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "x"}])
def test_missing_or_wrong_key_is_401(sb, headers):
    with httpx.Client(transport=sb.transport(), base_url=BASE, headers=headers) as c:
        r = c.get("/people/all")
    assert r.status_code == 401 and r.json() == UNAUTHORIZED
    assert sb.journal[-1].status == 401


def test_forbidden_paths_are_403(sb, client):
    sb.faults.forbidden_paths = ["/financial"]
    r = client.get("/financial/deal")
    assert r.status_code == 403 and r.json()["error"]
    assert client.get("/ticket").status_code == 200


def test_window_allows_100_then_429_with_headers(limited, clock):
    c = make_client(limited)
    answers = []
    for _ in range(100):
        answers.append(c.get("/tag"))
    clock.advance(1.0)
    assert [r.status_code for r in answers] == [200] * 100
    assert [r.headers["X-RateLimit-Remaining"] for r in answers[:3]] == ["99", "98", "97"]
    assert answers[-1].headers["X-RateLimit-Remaining"] == "0"
    assert all(r.headers["X-RateLimit-Limit"] == "100" for r in answers)
    r = c.get("/tag")  # t0 + 1.0
    assert r.status_code == 429 and r.json() == {"error": "Too Many Requests"}
    assert r.headers["Retry-After"] == "9"  # whole seconds left, counted from the first request
    assert r.headers["X-RateLimit-Remaining"] == "0" and r.headers["X-RateLimit-Limit"] == "100"
    clock.advance(9.0)  # t0 + 10.0: the window resets
    r = c.get("/tag")
    assert r.status_code == 200 and r.headers["X-RateLimit-Remaining"] == "99"


def test_retry_after_can_be_zero_near_the_window_end(limited, clock):
    c = make_client(limited)
    for _ in range(100):
        c.get("/tag")
    clock.advance(9.6)
    r = c.get("/tag")
    assert r.status_code == 429 and r.headers["Retry-After"] == "0"
    clock.advance(0.4)
    assert c.get("/tag").status_code == 200


def test_rejected_requests_do_not_consume_the_window(limited, clock):
    c = make_client(limited)
    for _ in range(100):
        c.get("/tag")
    for _ in range(5):
        assert c.get("/tag").status_code == 429
    clock.advance(10)
    codes = [c.get("/tag").status_code for _ in range(101)]
    assert codes.count(200) == 100 and codes[-1] == 429
    assert limited.journal.max_in_window(10.0) == 100


def test_401s_are_not_counted(limited):
    bad = make_client(limited, key="nope")
    for _ in range(150):
        bad.get("/tag")
    assert make_client(limited).get("/tag").headers["X-RateLimit-Remaining"] == "99"


def test_rate_limit_can_be_turned_off_or_changed(clock):
    sb = Sandbox(scale=0.05, clock=clock, rate_limit=None)
    c = make_client(sb)
    assert all(c.get("/tag").status_code == 200 for _ in range(150))
    assert "X-RateLimit-Limit" not in c.get("/tag").headers
    sb.rate_limit = 3
    assert [c.get("/tag").status_code for _ in range(4)] == [200, 200, 200, 429]


def test_storm_makes_the_next_requests_429(sb, client):
    sb.faults.storm(3, retry_after=2)
    codes = [client.get("/tag") for _ in range(4)]
    assert [r.status_code for r in codes] == [429, 429, 429, 200]
    assert codes[0].headers["Retry-After"] == "2"
    assert [e.fault for e in sb.journal[-4:]] == ["storm", "storm", "storm", None]


def test_window_uses_the_injected_clock_not_wall_time():
    clock = FakeClock()
    sb = Sandbox(scale=0.05, clock=clock, rate_limit=2, faults=Faults())
    c = make_client(sb)
    assert [c.get("/tag").status_code for _ in range(3)] == [200, 200, 429]
    clock.advance(10)
    assert c.get("/tag").status_code == 200

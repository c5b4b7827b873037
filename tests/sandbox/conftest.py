"""Fixtures: a small seeded sandbox on a FakeClock and an httpx client wired to it."""

from __future__ import annotations

import httpx
import pytest

from models.clock import FakeClock
from sandbox import Sandbox

BASE = "https://api.custify.com"


def make_client(sb: Sandbox, key: str | None = None) -> httpx.Client:
    return httpx.Client(
        transport=sb.transport(),
        base_url=BASE,
        headers={"Authorization": f"Bearer {key or sb.api_key}"},
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sb(clock: FakeClock) -> Sandbox:
    return Sandbox(seed=7, scale=0.2, clock=clock, rate_limit=None)


@pytest.fixture
def client(sb: Sandbox) -> httpx.Client:
    with make_client(sb) as c:
        yield c

"""Fixtures: a seeded sandbox without a rate limit on the shared FakeClock, and an httpx client
wired to it."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from sandbox import Sandbox

BASE = "https://api.custify.com"


def make_client(sb: Sandbox, key: str | None = None) -> httpx.Client:
    return httpx.Client(
        transport=sb.transport(),
        base_url=BASE,
        headers={"Authorization": f"Bearer {key or sb.api_key}"},
    )


@pytest.fixture
def sb(sandbox_factory: Callable[..., Sandbox]) -> Sandbox:
    return sandbox_factory(seed=7, scale=0.2, rate_limit=None)


@pytest.fixture
def client(sb: Sandbox) -> httpx.Client:
    with make_client(sb) as c:
        yield c

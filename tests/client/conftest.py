"""Fixtures for the client tests: settings with a known key, a FakeClock, scripted transports."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from custify.client import CustifyClient
from custify.ratelimit import RateBudget
from custify.settings import ApiKey, ConnectionSettings
from models.clock import FakeClock
from sandbox import Sandbox

#: a key that must never show up in logs, messages or reprs
SECRET = "sk_test_SECRET_d34db33f_never_log_me"


class Script:
    """An httpx.MockTransport handler that answers from a queue and records requests.

    Each queued item is an ``httpx.Response``, an exception instance (raised as a transport
    error), or a callable ``request -> Response``. The last item repeats when the queue runs dry.
    """

    def __init__(self, *answers: object) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(request)
        return answer


@pytest.fixture
def conn(tmp_path: Path) -> ConnectionSettings:
    return ConnectionSettings(
        api_key=ApiKey(SECRET),
        base_url="https://api.custify.example",
        max_retries=4,
        budget_path=tmp_path / "budget.sqlite3",
    )


@pytest.fixture
def scripted(
    conn: ConnectionSettings, clock: FakeClock
) -> Callable[..., tuple[CustifyClient, Script]]:
    def make(*answers: object, **overrides: object) -> tuple[CustifyClient, Script]:
        script = Script(*answers)
        settings = ConnectionSettings(**{**conn.__dict__, **overrides})
        budget = RateBudget(settings.rate_limit, settings.rate_window_s, clock=clock)
        client = CustifyClient(
            settings, transport=httpx.MockTransport(script), budget=budget, clock=clock
        )
        return client, script

    return make


@pytest.fixture
def sandbox(sandbox_factory: Callable[..., Sandbox]) -> Sandbox:
    """A larger offline account (seed 11, scale 0.5) on the shared FakeClock."""
    return sandbox_factory(seed=11, scale=0.5)


@pytest.fixture
def sb_client(sandbox: Sandbox, clock: FakeClock, tmp_path: Path) -> CustifyClient:
    """A client wired in-process to ``sandbox``, sharing its clock; budget in memory."""
    settings = ConnectionSettings(
        api_key=ApiKey(sandbox.api_key),
        base_url="https://sandbox.custify.invalid",
        budget_path=tmp_path / "budget.sqlite3",
    )
    budget = RateBudget(settings.rate_limit, settings.rate_window_s, clock=clock)
    with CustifyClient(
        settings, transport=sandbox.transport(), budget=budget, clock=clock
    ) as client:
        yield client

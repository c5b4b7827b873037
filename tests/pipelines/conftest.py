"""Fixtures for the ELT tests: one FakeClock shared by the sandbox and the client."""

from __future__ import annotations

import pytest

from models.clock import FakeClock
from pipelines import ExtractOptions
from sandbox import Sandbox
from tests.pipelines.helpers import make_client


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sandbox(clock: FakeClock) -> Sandbox:
    return Sandbox(seed=7, scale=0.05, clock=clock)


@pytest.fixture
def client(sandbox: Sandbox, clock: FakeClock):
    with make_client(sandbox, clock) as c:
        yield c


@pytest.fixture
def options() -> ExtractOptions:
    """Small pages so that a small sandbox still pages (and shifts) like a big one."""
    return ExtractOptions(page_size=10, batch_rows=40, intervals={})

"""Fixtures for the ELT tests: a client on the shared sandbox and FakeClock (tests/conftest.py),
and small extract options."""

from __future__ import annotations

import pytest

from models.clock import FakeClock
from pipelines import ExtractOptions
from sandbox import Sandbox
from tests.pipelines.helpers import make_client


@pytest.fixture
def client(sandbox: Sandbox, clock: FakeClock):
    with make_client(sandbox, clock) as c:
        yield c


@pytest.fixture
def options() -> ExtractOptions:
    """Small pages so that a small sandbox still pages (and shifts) like a big one."""
    return ExtractOptions(page_size=10, batch_rows=40, intervals={})

"""The reliability suite: faults, crashes, hostile rows, bad configuration, secrets.

``CUSTIFY_SOAK=N`` (or ``scripts/soak``) multiplies every loop of the suite by N for long local
runs; CI runs it with N = 1. Every test records what it tried (``faults``, ``kill_points``,
``hostile_rows``, ``bad_configs``, ``lost``, ``duplicated``) as user properties, and the
terminal summary adds them up across xdist workers.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest

SOAK = max(1, int(os.environ.get("CUSTIFY_SOAK", "1") or "1"))
COUNTS = ("faults", "kill_points", "hostile_rows", "bad_configs", "lost", "duplicated")
_totals: Counter = Counter()


def soak(n: int) -> int:
    """``n`` iterations in CI, ``n * CUSTIFY_SOAK`` in a soak run."""
    return n * SOAK


@pytest.fixture
def tally(record_property):
    """``tally(faults=3)``: adds to this test's counts (summed in the terminal summary)."""
    counts: Counter = Counter()

    def add(**kw: int) -> None:
        counts.update(kw)

    yield add
    for name in COUNTS:
        if counts[name]:
            record_property(f"reliability_{name}", counts[name])


def pytest_runtest_logreport(report) -> None:
    if report.when != "teardown":  # the tally fixture records at its teardown
        return
    for name, value in getattr(report, "user_properties", []):
        if str(name).startswith("reliability_"):
            _totals[name.removeprefix("reliability_")] += int(value)


def pytest_terminal_summary(terminalreporter) -> None:
    if _totals:
        parts = ", ".join(f"{k} {_totals[k]}" for k in COUNTS)
        terminalreporter.write_line(f"reliability counts (soak x{SOAK}): {parts}")


@pytest.fixture
def pusher(duckdb_cfg, clock, sandbox):
    """The reverse-ETL suite's ``Pusher`` (the shared sandbox and FakeClock, DuckDB)."""
    from tests.reverse_etl.conftest import Pusher, make_client

    p = Pusher(duckdb_cfg, make_client(sandbox, clock), clock, sandbox)
    yield p
    p.close()

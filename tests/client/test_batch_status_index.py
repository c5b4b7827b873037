"""Batch job reports are matched to jobs through a per-batch index of identifier values: the
same answer as comparing every report with every job, for any mix of identifiers."""

from __future__ import annotations

import random

from custify.batch_status import _by_identifier, _JobIndex, read_status

KEYS = ("id", "user_id", "email")


def _value(rng: random.Random) -> object:
    return rng.choice([None, "", "a", "b", "c", 1, "1", 2])


def test_indexed_match_is_the_full_comparison() -> None:
    rng = random.Random(7)
    for _ in range(400):
        jobs = [
            {"type": rng.choice(["people", "company", "event"]),
             "payload": {k: _value(rng) for k in KEYS if rng.random() < 0.7}}
            for _ in range(rng.randint(1, 6))
        ]  # fmt: skip
        report = {k: _value(rng) for k in KEYS if rng.random() < 0.6}
        if rng.random() < 0.3:
            report["payload"] = {k: _value(rng) for k in KEYS if rng.random() < 0.5}
        assert _by_identifier(report, jobs, _JobIndex(jobs)) == _by_identifier(report, jobs)


def test_reports_out_of_order_confirm_their_own_jobs() -> None:
    jobs = [{"type": "people", "payload": {"user_id": f"u{i}"}} for i in range(100)]
    reports = [{"user_id": f"u{i}", "status": "success", "id": f"p{i}"} for i in range(99, -1, -1)]
    state = read_status({"status": "completed", "jobs": reports}, jobs)
    assert state.state == "done"
    outcomes = [state.outcome(i) for i in range(100)]
    assert [o.status for o in outcomes] == ["success"] * 100
    assert [o.id for o in outcomes] == [f"p{i}" for i in range(100)]

"""The poll scheduler: one request per probe, change detected by the probe's signature,
intervals that follow the change rate within the bounds and never plan above the budget
share, and a list that ignores the sort falls back to scheduled scans."""

from __future__ import annotations

import pytest

from custify.errors import ConfigError
from models.registry import EXTRACTED, get_object
from pipelines.watch.options import WatchOptions
from pipelines.watch.scheduler import TARGET, Scheduler
from tests.reverse_etl.conftest import Pusher


def _scheduler(**opts: float) -> Scheduler:
    options = WatchOptions(**{"min_interval_s": 1.0, "max_interval_s": 120.0, **opts})
    rest = {"customer_objectives": 21600.0}
    return Scheduler(list(EXTRACTED), options, rest_s=rest, limit_rps=10.0)


def test_objects_that_cannot_be_probed_are_scanned_on_their_schedule() -> None:
    sched = _scheduler()
    modes = {n: p.why_scheduled for n, p in sched.polls.items()}
    assert modes["files"] == modes["surveys"] == "no updated_at sort"
    assert modes["customer_objectives"].startswith("listed per")
    assert sched.polls["customer_objectives"].interval == 21600.0  # [extract.intervals] wins
    assert sched.polls["segments"].probe_cost == 2  # one request per list variant
    assert sched.planned_rps() <= TARGET * 0.3 * 10.0 + 1e-9


def test_a_probe_costs_one_request_and_sees_a_change(pusher: Pusher) -> None:
    p, sched = pusher, _scheduler()
    poll, people = sched.polls["people"], get_object("people")
    assert sched.probe(p.client, poll, people) is True  # the first answer: a starting point
    sched.observed(poll, True, p.clock.now())
    p.sandbox.journal.clear()
    assert sched.probe(p.client, poll, people) is False
    assert len(p.sandbox.journal) == 1
    p.clock.advance(5)
    person = sorted(p.sandbox.store.rows("people"), key=lambda r: r["id"])[5]
    p.sandbox.store.update("people", person["id"], name="Changed")
    assert sched.probe(p.client, poll, people) is True


def test_intervals_follow_the_change_rate_within_bounds_and_budget() -> None:
    sched = _scheduler()
    hot, cold = sched.polls["tickets"], sched.polls["lifecycles"]
    now = 0.0
    for _ in range(30):  # tickets change on every poll, lifecycles never
        now += 2.0
        sched.observed(hot, True, now)
        sched.observed(cold, False, now)
    assert hot.interval < cold.interval
    assert hot.interval >= 1.0 and cold.interval <= 120.0
    assert sched.planned_rps() <= TARGET * 0.3 * 10.0 + 1e-9


def test_a_list_that_ignores_the_sort_is_scanned_instead(pusher: Pusher) -> None:
    p, sched = pusher, _scheduler()
    poll, obj = sched.polls["people"], get_object("people")
    # the API notes leave sorting by updated_at open for some lists (INF): this one ignores it
    p.sandbox.faults.ignore_sort = {"people"}

    assert sched.probe(p.client, poll, obj) is True
    assert not poll.probed and "ignored" in poll.why_scheduled


@pytest.mark.parametrize(
    ("section", "words"),
    [
        ({"budget_shar": 0.3}, "did you mean"),
        ({"budget_share": 2}, "budget_share"),
        ({"min_interval_s": 10, "max_interval_s": 5}, "min_interval_s"),
        ({"webhook_url": "ftp://x"}, "webhook_url"),
    ],
)
def test_bad_watch_options_name_the_key(section: dict, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        WatchOptions.from_raw({"watch": section})

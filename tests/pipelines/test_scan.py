"""The scan rules on scripted pages: early stop, unordered lists, dropping totals, concurrency."""

from __future__ import annotations

import threading
import time

import httpx

from custify.pagination import Page
from models.registry import REGISTRY
from pipelines import run_extract
from pipelines.events import TRIGGER_EVENTS, singular
from pipelines.scan import scan_concurrent, scan_sequential

FILES = REGISTRY["files"]
PAGE_2 = {"page_size": 2}


class Script:
    """A fake ``Fetcher`` answering from a list of rows (or a function of the page number)."""

    def __init__(self, rows=None, totals=None) -> None:
        self.rows, self.totals, self.asked = rows or [], totals or {}, []

    def page(self, tag, obj, page, **options):
        self.asked.append(page)
        size = options["page_size"]
        chunk = self.rows[(page - 1) * size : page * size]
        return Page(chunk, page, self.totals.get(page, len(self.rows)), size)

    def submit(self, fn, *args, **kwargs):
        from concurrent.futures import Future

        fut: Future = Future()
        fut.set_result(fn(*args, **kwargs))
        return fut


def rows(*days: int) -> list[dict]:
    return [{"id": f"r{d}", "created_at": f"2023-01-{d:02d}T00:00:00.000Z"} for d in days]


def stamp(day: int) -> float:
    from datetime import UTC, datetime

    return datetime(2023, 1, day, tzinfo=UTC).timestamp()


def test_descending_list_stops_at_the_first_page_older_than_the_cursor():
    script, got = Script(rows(9, 8, 7, 6, 5, 4, 3, 2)), []
    result = scan_sequential(script, "t", FILES, PAGE_2, stamp(7), got.extend)
    assert script.asked == [1, 2]  # page 2 holds day 6 < cursor day 7: stop
    assert result.ordered and not result.complete and result.top_raw.startswith("2023-01-09")


def test_ties_at_the_cursor_are_read_again_never_skipped():
    script, got = Script(rows(9, 7, 7, 7, 7, 3)), []
    scan_sequential(script, "t", FILES, PAGE_2, stamp(7), got.extend)
    assert [r["id"] for r in got].count("r7") == 4  # every row stamped at the cursor


def test_a_list_not_in_descending_order_is_read_to_the_end():
    script, got = Script(rows(5, 6, 7, 8, 1, 2)), []  # a server default we cannot rely on
    result = scan_sequential(script, "t", FILES, PAGE_2, stamp(7), got.extend)
    assert script.asked == [1, 2, 3] and result.complete and not result.ordered
    assert len(got) == 6


def test_a_total_that_drops_between_pages_makes_the_scan_unstable():
    script = Script(rows(9, 8, 7, 6, 5, 4), totals={1: 6, 2: 5, 3: 5})
    result = scan_sequential(script, "t", FILES, PAGE_2, None, lambda r: None)
    assert result.unstable


def test_a_full_scan_reads_pages_pushed_past_the_planned_end():
    script = Script(rows(9, 8, 7, 6, 5), totals={1: 4})  # grew from 4 to 5 while scanning
    got: list = []
    result = scan_concurrent(script, "t", FILES, PAGE_2, got.extend, window=4)
    assert sorted(script.asked) == [1, 2, 3] and len(got) == 5 and result.complete


def test_trigger_names_come_from_the_registry_in_the_singular():
    assert len(TRIGGER_EVENTS) == 24 and len(set(TRIGGER_EVENTS)) == 24
    assert {"person.created", "file.created", "survey.created", "time_track.updated",
            "customer_objective.updated"} <= set(TRIGGER_EVENTS)  # fmt: skip
    assert not [e for e in TRIGGER_EVENTS if e.startswith("company.")]  # no company trigger
    assert singular("companies") == "company" and singular("people") == "person"


def test_objects_are_fetched_concurrently_and_429s_are_counted_per_object(
    sandbox, client, clock, duckdb_cfg
):
    inner, active, peak, lock = client._session._transport, [0], [0], threading.Lock()

    class Slow(httpx.BaseTransport):
        def handle_request(self, request):
            with lock:
                active[0] += 1
                peak[0] = max(peak[0], active[0])
            try:
                time.sleep(0.02)  # real latency, so that requests can overlap
                return inner.handle_request(request)
            finally:
                with lock:
                    active[0] -= 1

    client._session._transport = Slow()
    sandbox.faults.storm(3)
    report = run_extract(client.settings, warehouse_cfg=duckdb_cfg, client=client, clock=clock)
    assert peak[0] > 1
    assert report.rate_limited == 3
    assert sum(r.rate_limited for r in report.objects.values()) == 3
    assert sum(r.requests for r in report.objects.values()) == report.requests


def stamped(*values: str) -> list[dict]:
    return [{"id": f"r{i}", "created_at": v} for i, v in enumerate(values)]


def test_stamps_of_other_layouts_are_ordered_in_time_not_as_text():
    # as text "01:00+02:00" sorts after "00:00Z"; in time it is an hour older (day 8, 23:00Z)
    page = stamped("2023-01-09T00:00:00.000Z", "2023-01-09T01:00:00+02:00", "2023-01-08T12:00:00Z")
    result = scan_sequential(Script(page), "t", FILES, {"page_size": 3}, None, lambda r: None)
    assert result.ordered and result.top_raw == "2023-01-09T00:00:00.000Z"
    assert result.top == stamp(9)


def test_unreadable_stamps_are_left_out_of_the_order_and_the_top():
    page = stamped(
        "2023-01-08T00:00:00.000Z", "2023-13-45T00:00:00.000Z", "", "2023-01-07T00:00:00.000Z"
    )
    result = scan_sequential(Script(page), "t", FILES, {"page_size": 4}, None, lambda r: None)
    assert result.ordered and result.top_raw == "2023-01-08T00:00:00.000Z"


def test_a_page_of_custify_stamps_out_of_order_is_seen_as_unordered():
    page = stamped(
        "2023-01-08T00:00:00.000Z", "2023-01-09T00:00:00.000Z", "2023-01-07T00:00:00.000Z"
    )
    result = scan_sequential(Script(page), "t", FILES, {"page_size": 3}, None, lambda r: None)
    assert not result.ordered and result.top_raw == "2023-01-09T00:00:00.000Z"

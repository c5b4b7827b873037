"""A watch that loses Custify for a while backs off and resumes: the cycle that failed is
in its health, and a person created during the outage becomes one event afterwards. In
process, on one FakeClock (the watch's sleeps and the client's backoff cost no real time)."""

from __future__ import annotations

import json

import httpx

from models.registry import EXTRACTED
from pipelines import ExtractOptions
from pipelines.watch.loop import run_watch
from pipelines.watch.options import WatchOptions
from tests.reverse_etl.conftest import Pusher, make_client
from tests.watch.conftest import inputs_for


class Outage(httpx.BaseTransport):
    """The sandbox, unreachable from request ``start`` for ``length`` requests; the person
    appears in Custify when the outage begins."""

    def __init__(self, p: Pusher, start: int, length: int) -> None:
        self.p, self.inner, self.start, self.length = p, p.sandbox.transport(), start, length
        self.n = 0
        self.person: dict | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.n += 1
        if self.n == self.start:
            self.person = self.p.sandbox.store.create(
                "people", email="late@outage.example", name="Late", tags=[], companies=[],
                custom_attributes={},
            )  # fmt: skip
        if self.start <= self.n < self.start + self.length:
            raise httpx.ConnectError("connection refused", request=request)
        return self.inner.handle_request(request)


def test_a_lost_connection_backs_off_and_resumes(pusher: Pusher, tmp_path) -> None:
    p = pusher
    outage = Outage(p, start=60, length=80)
    client = make_client(p.sandbox, p.clock, transport=outage, max_retries=3)
    p.client = client
    inputs = inputs_for(p, options=ExtractOptions.from_raw({"extract": {"exclude": _others()}}))
    opts = WatchOptions(min_interval_s=1.0, max_interval_s=30.0, push_interval_s=600.0)
    report = run_watch(inputs, duration_s=600, options=opts, state_dir=tmp_path / "state")
    assert report.exit_code == 0 and report.errors >= 1 and report.cycles >= 2
    assert outage.person is not None and outage.n > outage.start + outage.length
    found = p.wh.query_df(
        "SELECT event_type FROM trigger_events WHERE record_id = %s", (outage.person["id"],)
    )
    assert found["event_type"].to_list() == ["person.created"]
    health = json.loads((tmp_path / "state" / "watch-default.json").read_text())
    assert health["state"] == "stopped" and health["errors"]


def _others() -> list[str]:
    return [o.name for o in EXTRACTED if o.name not in ("people", "tickets")]

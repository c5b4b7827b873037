"""A push report names the stages its sync went through (their seconds are for bench/)."""

from __future__ import annotations

from tests.reverse_etl.conftest import Pusher


def test_a_push_reports_its_stages_and_a_dry_run_stops_before_sending(pusher: Pusher) -> None:
    p = pusher
    p.syncs["crm"] = {"object": "people", "match": "user_id", "table": "want"}
    p.table("want", {"user_id": ["stage-1", "stage-2"], "email": ["a@x.example", "b@x.example"]})
    planned = p.push("crm", dry_run=True).syncs[0].stages
    assert list(planned) == ["read", "validate", "state", "resolve", "payload", "diff",
                             "hold back", "write plan"]  # fmt: skip
    sent = p.push("crm").syncs[0]
    assert sent.confirmed == 2 and list(sent.stages)[-1] == "send"
    assert set(sent.stages["send"]) == {"cpu_s", "wall_s", "peak_mb"}

"""Routing on the path as sent: an identifier holding a ``/`` (percent-encoded ``%2F`` by the
client) stays one path segment and reaches its ticket or financial route (§7, §12)."""

from __future__ import annotations

from pathlib import Path

from custify.client import CustifyClient
from custify.ratelimit import RateBudget
from custify.settings import ApiKey, ConnectionSettings
from models.clock import FakeClock
from sandbox import Sandbox, serve


def sandbox_client(sb: Sandbox, base_url: str, tmp_path: Path) -> CustifyClient:
    settings = ConnectionSettings(api_key=ApiKey(sb.api_key), base_url=base_url,
                                  budget_path=tmp_path / "budget.sqlite3")  # fmt: skip
    budget = RateBudget(settings.rate_limit, settings.rate_window_s, clock=sb.clock)
    transport = sb.transport() if base_url.startswith("https") else None
    return CustifyClient(settings, transport=transport, budget=budget, clock=sb.clock)


def ticket_round_trip(sb: Sandbox, client: CustifyClient) -> None:
    company = sb.store.rows("companies")[0]
    client.tickets_create(
        {"externalId": "ZD/123", "title": "Slash", "company": company["company_id"]}
    )
    assert sb.store.find("tickets", externalId="ZD/123")
    client.tickets_update("ZD/123", {"ticketStatus": "pending"})
    client.tickets_reply("ZD/123", {"body": "<p>on it</p>", "type": "outgoing"})
    (ticket,) = sb.store.find("tickets", externalId="ZD/123")
    assert ticket["ticketStatus"] == "pending" and ticket["replies"][0]["body"] == "<p>on it</p>"
    listed = client.get_json("/ticket", {"externalId": "ZD/123"})
    assert [t["id"] for t in listed["tickets"]] == [ticket["id"]]
    client.deals_create({"externalId": "SF/9", "company": company["id"]})
    client.deals_delete(externalId="SF/9")
    assert not sb.store.find("deals", externalIds__custify="SF/9")
    client.tickets_delete("ZD/123")
    assert not sb.store.find("tickets", externalId="ZD/123")
    methods = [(e.method, e.path, e.status) for e in sb.journal if "ZD/123" in e.path]
    assert methods == [("PUT", "/ticket/ZD/123", 200), ("POST", "/ticket/ZD/123/reply", 200),
                       ("DELETE", "/ticket/ZD/123", 200)]  # fmt: skip


def test_an_external_id_with_a_slash_reaches_its_ticket_in_process(sb, tmp_path):
    with sandbox_client(sb, "https://sandbox.custify.invalid", tmp_path) as client:
        ticket_round_trip(sb, client)


def test_an_external_id_with_a_slash_reaches_its_ticket_over_http(tmp_path):
    sb = Sandbox(seed=3, scale=0.1, clock=FakeClock(), rate_limit=None)
    with serve(sb) as server, sandbox_client(sb, server.url, tmp_path) as client:
        ticket_round_trip(sb, client)


def test_a_decoded_slash_is_still_two_segments(sb, client):
    """Only the encoded form names ``ZD/123``; a bare ``/`` is a path separator."""
    company = sb.store.rows("companies")[0]
    client.post("/ticket", json={"externalId": "ZD/5", "company": company["company_id"]})
    assert client.put("/ticket/ZD%2F5", json={"title": "ok"}).status_code == 200
    assert client.put("/ticket/ZD/5", json={"title": "no"}).status_code == 404
    assert sb.store.find("tickets", externalId="ZD/5")[0]["title"] == "ok"

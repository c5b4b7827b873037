"""Where the engine relied on a guess the notes do not back, a wrong guess changes nothing.

- A resent ticket create was assumed to update (INF §7, §16). On a Custify that creates a
  second ticket instead (``ticket_create_duplicates``), a create whose answer was lost is
  looked up by its externalId before anything is sent again: exactly one ticket.
- Time tracks: the path's spelling and the id's placement (§13, §19). Every time-track action
  of the registry, driven from a warehouse table, lands under every knob value.
- models/facts.py and docs/architecture.md list the same INF facts, each with a source and a
  fallback, and every knob a fact names exists.
"""

from __future__ import annotations

import itertools
import re
import threading
from dataclasses import fields
from pathlib import Path

import httpx
import pytest

import tests.reverse_etl.cases_work  # noqa: F401 -- registers the second half of CASES
from models.clock import FakeClock
from models.facts import INF_FACTS
from sandbox import Faults, Sandbox
from tests.reverse_etl.cases import CASES
from tests.reverse_etl.conftest import Pusher, make_client
from warehouse import WarehouseConfig

ROOT = Path(__file__).resolve().parents[2]


class LosesTheTicketAnswer(httpx.BaseTransport):
    """Custify applies the first POST /ticket; its answer never arrives."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner, self.armed, self.lock = inner, True, threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        response.read()
        with self.lock:
            if self.armed and request.method == "POST" and request.url.path == "/ticket":
                self.armed = False
                raise httpx.ReadError("answer lost after Custify applied it", request=request)
        return response


def _pusher(root: Path, transport=None) -> Pusher:
    clock = FakeClock()
    sb = Sandbox(seed=7, scale=0.05, clock=clock)
    client = make_client(sb, clock, transport=transport(sb) if transport else None)
    cfg = WarehouseConfig(duckdb_path=root / "custify.duckdb", pipelines_dir=root / "dlt")
    return Pusher(cfg, client, clock, sb)


def test_a_ticket_create_resent_after_a_lost_answer_leaves_one_ticket(tmp_path: Path) -> None:
    p = _pusher(tmp_path, lambda sb: LosesTheTicketAnswer(sb.transport()))
    p.sandbox.faults.update(ticket_create_duplicates=True)  # Custify does not upsert
    company = sorted(p.sandbox.store.rows("companies"), key=lambda c: c["id"])[0]
    p.syncs["t"] = {"object": "tickets", "action": "create", "match": "externalId",
                    "table": "src"}  # fmt: skip
    p.table("src", {"externalId": ["LOST-1"], "title": ["Printer on fire"],
                    "company": [company["company_id"]]})  # fmt: skip
    first = p.push()
    assert first.exit_code == 1 and first.syncs[0].unconfirmed == 1  # may have landed
    assert p.sandbox.journal.count("POST", "/ticket") == 1  # not retried blind
    second = p.push()
    assert second.exit_code == 0, second.syncs[0]
    (ticket,) = p.sandbox.store.find("tickets", externalId="LOST-1")
    assert ticket["title"] == "Printer on fire"
    assert p.sandbox.journal.count("POST", "/ticket") == 1  # found by externalId, not resent
    (status,) = p.wh.query_df(
        "SELECT status FROM _custify_ledger ORDER BY seq DESC LIMIT 1"
    ).get_column("status")
    assert status == "confirmed"
    assert p.push().requests == 0
    p.close()


TIME_TRACK_ACTIONS = ("time_tracks.create", "time_tracks.update", "time_tracks.delete")
KNOBS = list(itertools.product(("dash", "underscore", "both"), ("query", "path", "both")))


@pytest.mark.parametrize("spelling, id_in", KNOBS)
@pytest.mark.parametrize("name", TIME_TRACK_ACTIONS)
def test_time_track_syncs_under_every_spelling_and_placement(
    tmp_path: Path, name: str, spelling: str, id_in: str
) -> None:
    p = _pusher(tmp_path)
    p.sandbox.faults.update(time_track_spelling=spelling, time_track_id_in=id_in)
    case = CASES[name](p, tmp_path, name)
    p.syncs["s"] = {**case.sync, "action": name, "table": "src"}
    p.table("src", case.rows)
    report = p.push()
    assert report.exit_code == case.exit_code, report.syncs[0]
    case.check(p, report)
    refused = [e for e in p.sandbox.journal if e.status == 404]
    assert len(refused) <= 2  # one per uncertain fact at most, then remembered
    assert p.push().requests == 0
    p.close()


def test_every_inf_fact_is_documented_with_its_source_fallback_and_knob() -> None:
    doc = (ROOT / "docs" / "architecture.md").read_text()
    section = doc.split("### INF facts the engine relies on", 1)[1].split("\n## ", 1)[0]
    knobs = {f.name for f in fields(Faults)}
    for fact in INF_FACTS:
        assert re.search(r"\b(DOC|INF) §\d", fact.source), fact
        assert fact.fallback, fact
        assert f"`{fact.name}`" in section, f"{fact.name} is missing from the INF facts list"
        if fact.knob:
            assert fact.knob in knobs, fact
            assert f"`{fact.knob}`" in section, fact

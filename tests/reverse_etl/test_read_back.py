"""The reverse ETL reads the read side back: financials, tags and comments changed in Custify
are seen by the next extract and set back by the next push, like people and companies are
(the newest known truth wins, reverse_etl/diff.py), on DuckDB and on Postgres."""

from __future__ import annotations

from typing import Any

from models.clock import ECHO_SKEW_S
from tests.reverse_etl.conftest import Pusher, extract


def _set_back(p: Pusher, obj: str, sync: dict[str, Any], row: dict[str, list],
              edit: dict[str, Any], rid: str, field: str,
              parent: tuple[str, str] | None = None) -> None:  # fmt: skip
    """Push ``row``; once an extract showed it, an edit made in Custify (``edit``) is not seen
    by a push without an extract in between, and set back by the push after one."""
    wanted = row[field][0]
    p.syncs["back"] = {**sync, "table": "want"}
    p.table("want", row)
    first = p.push("back")
    assert first.exit_code == 0 and first.syncs[0].confirmed == 1, first.syncs[0]
    assert p.sandbox.store.get(obj, rid)[field] == wanted
    p.clock.advance(ECHO_SKEW_S * 4)
    extract(p, obj)
    settled = p.push("back")
    assert settled.syncs[0].confirmed == 0 and settled.syncs[0].skipped.get("unchanged") == 1
    p.clock.advance(ECHO_SKEW_S * 4)
    p.sandbox.store.update(obj, rid, **edit)  # someone changes it in Custify
    if parent is not None:  # comments are read again under the notes and tasks that changed
        p.sandbox.store.update(*parent)
    blind = p.push("back")  # no extract since: nothing tells the push
    assert blind.syncs[0].confirmed == 0 and p.sandbox.store.get(obj, rid)[field] != wanted
    p.clock.advance(ECHO_SKEW_S)
    extract(p, obj)
    back = p.push("back")
    assert back.syncs[0].confirmed == 1, back.syncs[0]
    assert p.sandbox.store.get(obj, rid)[field] == wanted


def test_a_financial_changed_in_custify_is_set_back(any_pusher: Pusher) -> None:
    p = any_pusher
    for obj, field, wanted, edited in (("deals", "value", 4242, 1),
                                       ("invoices", "status", "paid", "void"),
                                       ("subscriptions", "mrr", 99.5, 1.0)):  # fmt: skip
        rec = sorted(p.sandbox.store.rows(obj), key=lambda r: r["id"])[0]
        ext = rec["externalIds"]["custify"]
        sync = {"object": obj, "match": "externalId"}
        _set_back(p, obj, sync, {"externalId": [ext], field: [wanted]}, {field: edited},
                  rec["id"], field)  # fmt: skip


def test_a_tag_renamed_in_custify_is_set_back(any_pusher: Pusher) -> None:
    p = any_pusher
    tag = sorted(p.sandbox.store.rows("tags"), key=lambda r: r["id"])[0]
    sync = {"object": "tags", "action": "update", "match": "id"}
    row = {"id": [tag["id"]], "name": ["Renewal watch"]}
    _set_back(p, "tags", sync, row, {"name": "typed in Custify"}, tag["id"], "name")


def test_a_comment_edited_in_custify_is_set_back(any_pusher: Pusher) -> None:
    p = any_pusher
    comment = sorted(p.sandbox.store.rows("comments"), key=lambda r: r["id"])[0]
    sync = {"object": "comments", "action": "update", "match": "id"}
    row = {
        "id": [comment["id"]],
        "entity": [comment["entity"]],
        "entityModel": [comment["entityModel"]],
        "text": ["<p>Agreed: kick-off Monday.</p>"],
    }
    parent = ("notes" if comment["entityModel"] == "Note" else "tasks", comment["entity"])
    _set_back(p, "comments", sync, row, {"text": "<p>edited</p>"}, comment["id"], "text", parent)


def _response(p: Pusher, survey: dict, person: dict) -> dict:
    (found,) = [r for r in p.sandbox.store.rows("survey_responses")
                if r["survey"] == survey["id"] and r["people"] == person["id"]]  # fmt: skip
    return found


def test_a_score_changed_in_custify_is_set_back(any_pusher: Pusher) -> None:
    """NPS and CSAT scores read back as survey responses (§11): a response changed in
    Custify after our score, once an extract read it, gets our score again."""
    p = any_pusher
    sb = p.sandbox
    people = sorted((r for r in sb.store.rows("people") if r.get("email")), key=lambda r: r["id"])
    for person, kind, ours, theirs in ((people[0], "nps", 9, 2), (people[1], "csat", 5, 1)):
        survey = next(s for s in sb.store.rows("surveys") if s["type"] == kind)
        p.syncs[kind] = {"object": "scores", "action": kind, "match": "email", "table": kind}
        p.table(kind, {"email": [person["email"]], "score": [ours], "surveyId": [survey["id"]]})
        assert p.push(kind).syncs[0].confirmed == 1
        assert _response(p, survey, person)["score"] == ours
        p.clock.advance(ECHO_SKEW_S * 4)
        extract(p, "survey_responses")
        assert p.push(kind).requests == 0  # the extract shows our score: nothing to send
        p.clock.advance(ECHO_SKEW_S * 4)
        response = _response(p, survey, person)  # the person answers again, in Custify
        sb.store.update("survey_responses", response["id"], score=theirs,
                        responseDate=sb.store.stamp())  # fmt: skip
        assert p.push(kind).requests == 0  # no extract since: the push cannot know
        assert _response(p, survey, person)["score"] == theirs
        p.clock.advance(ECHO_SKEW_S)
        extract(p, "survey_responses")
        back = p.push(kind)
        assert back.syncs[0].confirmed == 1, kind
        assert _response(p, survey, person)["score"] == ours
        p.clock.advance(ECHO_SKEW_S * 4)
        extract(p, "survey_responses")
        assert p.push(kind).requests == 0  # settled again: no ping-pong

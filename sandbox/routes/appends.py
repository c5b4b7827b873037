"""Writes that append rather than upsert: events (§4), NPS/CSAT scores (§11), ticket replies
(§7). None of them deduplicates except events with a ``deduplication_id``. A score sent with a
``surveyId`` is also that survey's response from the person (one per person and survey).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING

from models.registry import ACTIONS
from sandbox import attributes, lookup, validation
from sandbox.routes import render
from sandbox.routes.shapes import check_reply
from sandbox.util import Req, Resp, bad_request, iso_ms, not_found, parse_date

if TYPE_CHECKING:
    from sandbox.account import Account


def insert_event(sb: Account, req: Req) -> Resp:
    """202 with an empty body; user_id first, then e-mail; company-only events (§4, quirk 15).

    Accepted events do not change the person's ``updated_at`` (INF: usage data, not profile).
    """
    body = req.json_object()
    action = ACTIONS["events.insert"]
    sb.check_reject(action, req, body)
    validation.check(action, body, sb.registry["events"].string_max)
    validation.check_event(body)
    uid, email, cid = body.get("user_id"), body.get("email"), body.get("company_id")
    person = company = None
    if uid or email:
        person = (
            lookup.person(sb.store, user_id=uid) if uid else lookup.person(sb.store, email=email)
        )
        if person is None:
            raise not_found("People not found")
    if cid:
        company = lookup.company(sb.store, company_id=cid)
        if company is None and person is None:
            raise not_found("Company not found")
    if person is None and company is None:
        raise bad_request("user_id, email or company_id is required")
    meta, types = attributes.enforce(sb.store.attribute_types["events"],
                                     sb.faults.attribute_type_mismatch,
                                     body.get("metadata") or {}, "metadata")  # fmt: skip
    dedup = body.get(action.dedup_key) if action.dedup_key else None
    if dedup and dedup in sb.store.event_dedup:
        return Resp(202, None)  # later events with the same deduplication_id are ignored
    if dedup:
        sb.store.event_dedup.add(dedup)
    stored = copy.deepcopy(body)
    if "metadata" in body:
        stored["metadata"] = meta
    sb.store.events.append({
        **stored, "person": person["id"] if person else None,
        "company": company["id"] if company else None, "received_at": sb.now_iso(),
    })  # fmt: skip
    attributes.commit(sb.store.attribute_types["events"], types)
    return Resp(202, None)


def score(kind: str) -> Callable[[Account, Req], Resp]:
    """NPS (0-10) or CSAT (1-5), the registry's ranges; only the newest score by submittedAt
    is kept (§11)."""
    action = ACTIONS[f"scores.{kind}"]

    def handle(sb: Account, req: Req) -> Resp:
        body = req.json_object()
        q = req.query
        ident = {"id": req.params.get("id"), "email": q.get("email"), "user_id": q.get("user_id")}
        if not any(ident.values()):
            raise bad_request("a person id (path), email or user_id is required")
        person = lookup.person(sb.store, id=ident["id"], user_id=ident["user_id"],
                               email=ident["email"])  # fmt: skip
        if person is None:
            raise not_found(f"User: {next(v for v in ident.values() if v)} not found")
        sb.check_reject(action, req, {**body, "id": person["id"]})
        validation.check(action, body)  # the range is the registry's constraint
        value = body["score"]
        entry = {"person": person["id"], "score": value, "comment": body.get("comment"),
                 "submittedAt": body.get("submittedAt") or sb.now_iso(),
                 "surveyId": body.get("surveyId") or q.get("surveyId")}  # fmt: skip
        survey = _survey(sb, kind, entry["surveyId"])
        kept = sb.store.scores[kind].get(person["id"])
        newer = (parse_date(entry["submittedAt"]) or 0.0) >= (
            parse_date(kept["submittedAt"]) or 0.0 if kept is not None else 0.0
        )
        if kept is None or newer:
            sb.store.scores[kind][person["id"]] = entry
            sb.stamp_and_store("people", copy.deepcopy(person), creating=False)
        if survey is not None:
            survey_response(sb, survey, person, entry)
        return Resp(200, sb.store.scores[kind][person["id"]])

    return handle


def _survey(sb: Account, kind: str, survey_id: str | None) -> dict | None:
    """The survey a score names (INF: 404 when missing, 400 for a survey of the other kind)."""
    if not survey_id:
        return None
    survey = sb.store.table("surveys").rows.get(survey_id)
    if survey is None:
        raise not_found(f"Survey: {survey_id} not found")
    if survey.get("type") != kind:
        raise bad_request(f"surveyId: {survey_id} is a {survey.get('type')} survey, not {kind}")
    return survey


def survey_response(sb: Account, survey: dict, person: dict, entry: dict) -> None:
    """Create, or replace when not older, the person's response to ``survey`` (§11)."""
    table = sb.store.table("survey_responses")
    mine = table.lookup("survey", survey["id"]) & table.lookup("people", person["id"])
    old = table.rows[min(mine)] if mine else None
    when = parse_date(entry["submittedAt"]) or 0.0
    if old is not None and when < (parse_date(old.get("responseDate")) or 0.0):
        return
    companies = person.get("companies") or []
    table.put({
        "id": old["id"] if old else sb.new_id(), "survey": survey["id"],
        "email": person.get("email"), "name": person.get("name"), "score": entry["score"],
        "comment": entry["comment"], "responseDate": iso_ms(when),
        "company": companies[0] if companies else None, "people": person["id"],
        "extraQuestions": old["extraQuestions"] if old else [],
        "created_at": old["created_at"] if old else sb.now_iso(), "updated_at": sb.now_iso(),
    })  # fmt: skip


def ticket_reply(sb: Account, req: Req) -> Resp:
    """Appends one reply (§7); replies are not deduplicated."""
    action = ACTIONS["tickets.reply"]
    ext = req.params["externalId"]
    old = lookup.one(sb.store, "tickets", "externalId", ext)
    if old is None:
        raise not_found(f"Ticket: {ext} not found")
    body = req.json_object()
    sb.check_reject(action, req, body)
    validation.check(action, body)
    rec = copy.deepcopy(old)
    rec["replies"] = [*(rec.get("replies") or []), check_reply(body)]
    return Resp(200, render.row("tickets", sb.stamp_and_store("tickets", rec, False), req))

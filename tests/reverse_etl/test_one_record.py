"""Deletes, and other actions on one record, name ONE Custify id before anything is sent.

Several people can share an e-mail (custify-api.md §2: an e-mail match with another user_id
creates a new person), and whether a user_id is unique is not documented. ``DELETE
/people?email=`` would delete everyone with it, permanently. So a row naming a record by such
an identifier is resolved first (the extract, then the get and a filtered list): one match =
the request names it by id, several = rejected with every id and nothing sent, none =
already gone.
"""

from __future__ import annotations

import pytest

from tests.reverse_etl.conftest import Pusher, extract

SHARED = "shared@one.io"


def _two_sharing(p: Pusher) -> tuple[dict, dict]:
    make = p.sandbox.store.create
    a = make("people", user_id="one-a", email=SHARED, name="A", companies=[],
             custom_attributes={}, tags=[])  # fmt: skip
    b = make("people", user_id="one-b", email=SHARED, name="B", companies=[],
             custom_attributes={}, tags=[])  # fmt: skip
    return a, b


def _solo(p: Pusher) -> dict:
    emails = [r.get("email") for r in p.sandbox.store.rows("people")]
    return next(r for r in sorted(p.sandbox.store.rows("people"), key=lambda r: r["id"])
                if r.get("email") and r.get("user_id") and emails.count(r["email"]) == 1)  # fmt: skip


def _rejected(p: Pusher, sync: str) -> dict[str, str]:
    rows = p.wh.query_df(f"SELECT key, reason FROM {sync}__rejected").to_dicts()
    return {r["key"]: r["reason"] for r in rows}


@pytest.mark.parametrize("with_extract", [True, False])
def test_a_delete_by_a_shared_email_deletes_nobody(pusher: Pusher, with_extract: bool) -> None:
    p = pusher
    a, b = _two_sharing(p)
    solo = _solo(p)
    if with_extract:
        extract(p)  # the warehouse knows both (and answers for free)
    p.sandbox.journal.clear()
    p.syncs["gdpr"] = {"object": "people", "action": "delete", "match": "email",
                       "allow_deletes": True, "table": "forget"}  # fmt: skip
    p.table("forget", {"email": [SHARED, solo["email"], "never@one.io"]})
    report = p.push()
    assert report.exit_code == 1
    assert p.sandbox.store.get("people", a["id"]) and p.sandbox.store.get("people", b["id"])
    reason = _rejected(p, "gdpr")[SHARED]
    assert a["id"] in reason and b["id"] in reason and "2 people records" in reason
    assert p.sandbox.store.get("people", solo["id"]) is None
    deletes = p.sandbox.journal.filter("DELETE")
    assert [(e.path, e.query) for e in deletes] == [(f"/people/{solo['id']}", {})]
    assert report.syncs[0].skipped.get("already_gone") == 1  # nobody has never@one.io


def test_a_delete_by_user_id_names_the_record_by_id(pusher: Pusher) -> None:
    p = pusher
    solo = _solo(p)
    p.syncs["gdpr"] = {"object": "people", "action": "delete", "match": "user_id",
                       "allow_deletes": True, "table": "forget"}  # fmt: skip
    p.table("forget", {"user_id": [solo["user_id"]]})
    assert p.push().exit_code == 0
    (delete,) = p.sandbox.journal.filter("DELETE")
    assert (delete.path, delete.query) == (f"/people/{solo['id']}", {})


def test_a_company_delete_names_the_company_by_id(pusher: Pusher) -> None:
    p = pusher
    company = sorted(p.sandbox.store.rows("companies"), key=lambda c: c["id"])[-1]
    p.syncs["gone"] = {"object": "companies", "action": "delete", "match": "company_id",
                       "allow_deletes": True, "table": "forget"}  # fmt: skip
    p.table("forget", {"company_id": [company["company_id"]]})
    assert p.push().exit_code == 0
    (delete,) = p.sandbox.journal.filter("DELETE")
    assert delete.path == f"/company/{company['id']}" and delete.query == {}


def test_a_delete_flag_of_a_record_sync_resolves_the_same_way(pusher: Pusher) -> None:
    p = pusher
    a, b = _two_sharing(p)
    solo = _solo(p)
    extract(p)
    p.syncs["crm"] = {"object": "people", "match": "email", "table": "desired",
                      "delete_flag": "forget", "allow_deletes": True,
                      "max_delete_share": 1.0}  # fmt: skip
    p.table("desired", {"email": [SHARED, solo["email"]], "forget": [True, True]})
    report = p.push()
    assert report.exit_code == 1
    assert p.sandbox.store.get("people", a["id"]) and p.sandbox.store.get("people", b["id"])
    reason = _rejected(p, "crm")[SHARED]
    assert a["id"] in reason and b["id"] in reason
    (delete,) = p.sandbox.journal.filter("DELETE")
    assert delete.path == f"/people/{solo['id']}"


@pytest.mark.parametrize("with_extract", [True, False])
def test_a_get_by_a_shared_email_reads_nothing(pusher: Pusher, with_extract: bool) -> None:
    p = pusher
    a, b = _two_sharing(p)
    solo = _solo(p)
    if with_extract:
        extract(p)
    p.syncs["read"] = {"object": "people", "action": "get", "match": "email", "table": "who"}
    p.table("who", {"email": [SHARED, solo["email"]]})
    report = p.push()
    assert report.exit_code == 1
    reason = _rejected(p, "read")[SHARED]
    assert a["id"] in reason and b["id"] in reason
    got = p.wh.query_df("SELECT key, custify_id FROM read__records").to_dicts()
    assert got == [{"key": solo["email"], "custify_id": solo["id"]}]


def test_a_score_for_a_shared_email_is_not_given_to_either(pusher: Pusher) -> None:
    p = pusher
    a, b = _two_sharing(p)
    solo = _solo(p)
    p.syncs["nps"] = {"object": "scores", "action": "nps", "match": "email", "table": "answers"}
    p.table("answers", {"email": [SHARED, solo["email"]], "score": [9, 7]})
    report = p.push()
    assert report.exit_code == 1
    scores = p.sandbox.store.scores.get("nps", {})
    assert a["id"] not in scores and b["id"] not in scores
    assert scores[solo["id"]]["score"] == 7
    (sent,) = p.sandbox.journal.filter("POST", "/nps_score")
    assert sent.path == f"/nps_score/{solo['id']}" and "email" not in (sent.body or {})
    reason = _rejected(p, "nps")[SHARED]
    assert a["id"] in reason and b["id"] in reason

"""One warehouse-driven case per registry action: the sync, the source rows, and what the
sandbox must hold afterwards. ``test_all_actions.py`` runs them; ``CASES`` must cover every
action of ``models.registry.ACTIONS`` (a test fails otherwise).

A builder gets the pusher (sandbox + warehouse) and a scratch directory, picks real records of
the seeded sandbox, and returns a ``Case``. Checks read the sandbox's store (its state), not
what the engine reported.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reverse_etl import PushReport
from tests.reverse_etl.conftest import Pusher, person_by

Check = Callable[[Pusher, PushReport], None]


@dataclass
class Case:
    sync: dict[str, Any]
    rows: dict[str, list]
    check: Check
    exit_code: int = 0
    #: objects the real ELT extracts into the warehouse before the push
    extract: tuple[str, ...] = ()
    #: rows rejected before sending: reason fragments expected in ``s__rejected``
    rejected: list[str] = field(default_factory=list)


Builder = Callable[[Pusher, Path, str], Case]
CASES: dict[str, Builder] = {}


def case(*names: str) -> Callable[[Builder], Builder]:
    def register(fn: Builder) -> Builder:
        for name in names:
            CASES[name] = fn
        return fn

    return register


def people_with_ids(p: Pusher, n: int = 2) -> list[dict]:
    rows = [r for r in p.sandbox.store.rows("people") if r.get("user_id") and r.get("email")]
    return sorted(rows, key=lambda r: r["id"])[:n]


def companies(p: Pusher, n: int = 2) -> list[dict]:
    return sorted(p.sandbox.store.rows("companies"), key=lambda r: r["id"])[:n]


def records(p: Pusher) -> list[dict]:
    rows = p.wh.query_df("SELECT key, custify_id, record FROM s__records").to_dicts()
    return [{**r, "record": json.loads(r["record"])} for r in rows]


# -- people and companies (§2, §3) ---------------------------------------------------------


@case("people.create")
def _people_create(p: Pusher, _: Path, name: str) -> Case:
    def check(p: Pusher, _: PushReport) -> None:
        (rec,) = person_by(p.sandbox, "user_id", "ac-new-1")
        assert (rec["email"], rec["name"]) == ("ac1@ex.io", "Created Person")

    sync = {"object": "people", "action": "create", "match": "user_id"}
    return Case(sync, {"user_id": ["ac-new-1"], "email": ["ac1@ex.io"],
                       "name": ["Created Person"]}, check)  # fmt: skip


@case("people.update")
def _people_update(p: Pusher, _: Path, name: str) -> Case:
    (a,) = people_with_ids(p, 1)

    def check(p: Pusher, _: PushReport) -> None:
        assert p.sandbox.store.get("people", a["id"])["name"] == "Updated By User Id"

    # people.update takes the internal id; the rows name people by user_id (resolved)
    sync = {"object": "people", "action": "update", "match": "user_id"}
    return Case(sync, {"user_id": [a["user_id"]], "name": ["Updated By User Id"]}, check)


@case("people.upsert")
def _people_upsert(p: Pusher, _: Path, name: str) -> Case:
    (a,) = people_with_ids(p, 1)

    def check(p: Pusher, _: PushReport) -> None:
        assert p.sandbox.store.get("people", a["id"])["phone"] == "+1 555"
        assert person_by(p.sandbox, "user_id", "up-new")[0]["phone"] == "+1 556"

    sync = {"object": "people", "match": "user_id"}
    return Case(sync, {"user_id": [a["user_id"], "up-new"], "phone": ["+1 555", "+1 556"]}, check)


@case("people.get")
def _people_get(p: Pusher, _: Path, name: str) -> Case:
    a, b = people_with_ids(p, 2)

    def check(p: Pusher, _: PushReport) -> None:
        got = {r["key"]: r for r in records(p)}
        assert got[a["email"]]["custify_id"] == a["id"]
        assert got[b["email"]]["record"]["user_id"] == b["user_id"]
        assert p.sandbox.journal.count("POST") == 0  # a get changes nothing

    sync = {"object": "people", "action": "get", "match": "email"}
    return Case(sync, {"email": [a["email"], b["email"], "nobody@nowhere.io"]}, check,
                exit_code=1, rejected=["nobody@nowhere.io"])  # fmt: skip


@case("people.delete")
def _people_delete(p: Pusher, _: Path, name: str) -> Case:
    (a,) = people_with_ids(p, 1)

    def check(p: Pusher, _: PushReport) -> None:
        assert p.sandbox.store.get("people", a["id"]) is None

    sync = {"object": "people", "action": "delete", "match": "user_id", "allow_deletes": True}
    return Case(sync, {"user_id": [a["user_id"]]}, check)


@case("people.tag")
def _people_tag(p: Pusher, _: Path, name: str) -> Case:
    a, b = people_with_ids(p, 2)
    tag = next(t for t in p.sandbox.store.rows("tags") if t["category"] == "people"
               and t["id"] not in (a.get("tags") or []) + (b.get("tags") or []))  # fmt: skip

    def check(p: Pusher, _: PushReport) -> None:
        for person in (a, b):
            assert tag["id"] in p.sandbox.store.get("people", person["id"])["tags"]
        assert p.sandbox.journal.count("POST", "/people/tag") == 1  # both in one request

    sync = {"object": "people", "action": "tag", "match": "user_id"}
    return Case(sync, {"user_id": [a["user_id"], b["user_id"]], "tag": [tag["name"]] * 2}, check)


@case("companies.create", "companies.upsert")
def _companies_write(p: Pusher, _: Path, name: str) -> Case:
    (c,) = companies(p, 1)

    def check(p: Pusher, report: PushReport) -> None:
        (new,) = p.sandbox.store.find("companies", company_id="acme-new")
        assert (new["name"], new["size"]) == ("Acme New", 12)
        renamed = p.sandbox.store.get("companies", c["id"])["name"] == "Renamed Co"
        # the upsert renames the existing company; the create leaves it alone
        assert renamed is (name == "companies.upsert")

    return Case({"object": "companies", "action": "upsert", "match": "company_id"},
                {"company_id": ["acme-new", c["company_id"]], "name": ["Acme New", "Renamed Co"],
                 "size": [12, 40]}, check)  # fmt: skip


@case("companies.update")
def _companies_update(p: Pusher, _: Path, name: str) -> Case:
    (c,) = companies(p, 1)

    def check(p: Pusher, _: PushReport) -> None:
        assert p.sandbox.store.get("companies", c["id"])["industry"] == "Robotics"

    return Case({"object": "companies", "action": "update", "match": "company_id"},
                {"company_id": [c["company_id"]], "industry": ["Robotics"]}, check)  # fmt: skip


@case("companies.get")
def _companies_get(p: Pusher, _: Path, name: str) -> Case:
    (c,) = companies(p, 1)

    def check(p: Pusher, _: PushReport) -> None:
        (got,) = records(p)
        assert got["custify_id"] == c["id"] and got["record"]["name"] == c["name"]

    return Case({"object": "companies", "action": "get", "match": "company_id"},
                {"company_id": [c["company_id"]]}, check)  # fmt: skip


@case("companies.delete")
def _companies_delete(p: Pusher, _: Path, name: str) -> Case:
    c = companies(p, 3)[-1]

    def check(p: Pusher, _: PushReport) -> None:
        assert p.sandbox.store.get("companies", c["id"]) is None

    return Case({"object": "companies", "action": "delete", "match": "company_id",
                 "allow_deletes": True}, {"company_id": [c["company_id"]]}, check)  # fmt: skip


@case("events.insert")
def _events(p: Pusher, _: Path, name: str) -> Case:
    (a,) = people_with_ids(p, 1)
    before = len(p.sandbox.store.events)

    def check(p: Pusher, _: PushReport) -> None:
        (event,) = p.sandbox.store.events[before:]
        assert (event["name"], event["person"]) == ("case_event", a["id"])

    return Case({"object": "events", "match": "user_id"},
                {"user_id": [a["user_id"]], "name": ["case_event"],
                 "created_at": ["2024-01-01T00:00:00Z"]}, check)  # fmt: skip


# -- notes, tags, scores (§5, §6, §11) -------------------------------------------------------


def notes_of(p: Pusher, entity: str) -> list[dict]:
    return [n for n in p.sandbox.store.rows("notes") if n["entity"] == entity]


@case("notes.create")
def _notes_create(p: Pusher, _: Path, name: str) -> Case:
    c, d = companies(p, 2)
    (a,) = people_with_ids(p, 1)

    def check(p: Pusher, _: PushReport) -> None:
        (note,) = [n for n in notes_of(p, c["id"]) if "QBR booked" in n["text"]]
        assert note["entityModel"] == "Company" and "<!--custify-sync:" in note["text"]
        (pnote,) = [n for n in notes_of(p, a["id"]) if "Called" in n["text"]]
        assert pnote["entityModel"] == "Customer"

    # rows name the note's entity by company_id or user_id; the engine resolves both
    return Case({"object": "notes", "action": "create"},
                {"company_id": [c["company_id"], None, "no-such-company"],
                 "user_id": [None, a["user_id"], None],
                 "text": ["<p>QBR booked</p>", "<p>Called</p>", "<p>lost</p>"]}, check,
                exit_code=1, rejected=["company_id: no companies record with company_id "
                                       "'no-such-company'"])  # fmt: skip


@case("notes.update")
def _notes_update(p: Pusher, _: Path, name: str) -> Case:
    note = sorted(p.sandbox.store.rows("notes"), key=lambda n: n["id"])[0]

    def check(p: Pusher, _: PushReport) -> None:
        stored = p.sandbox.store.get("notes", note["id"])
        assert stored["text"] == "<p>Edited</p>" and stored["sticky"] is True

    return Case({"object": "notes", "action": "update", "match": "id"},
                {"id": [note["id"]], "text": ["<p>Edited</p>"], "sticky": [True]}, check)  # fmt: skip


@case("notes.upsert")
def _notes_upsert(p: Pusher, _: Path, name: str) -> Case:
    (c,) = companies(p, 1)

    def check(p: Pusher, _: PushReport) -> None:
        (note,) = [n for n in notes_of(p, c["id"]) if "Renewal plan" in n["text"]]
        assert note["entityModel"] == "Company"

    # keyed by the warehouse's own id: the first push creates, later ones update (see
    # test_notes_upsert_updates_the_note_it_created)
    return Case({"object": "notes", "action": "upsert", "key": ["plan_id"]},
                {"plan_id": ["P-1"], "company_id": [c["company_id"]],
                 "text": ["<p>Renewal plan</p>"]}, check)  # fmt: skip


def tags_named(p: Pusher, name: str, category: str) -> list[dict]:
    return [
        t for t in p.sandbox.store.rows("tags") if (t["name"], t["category"]) == (name, category)
    ]


@case("tags.create")
def _tags_create(p: Pusher, _: Path, name: str) -> Case:
    def check(p: Pusher, _: PushReport) -> None:
        assert len(tags_named(p, "Champion", "people")) == 1

    return Case({"object": "tags", "action": "create"},
                {"name": ["Champion"], "category": ["people"]}, check)  # fmt: skip


@case("tags.update")
def _tags_update(p: Pusher, _: Path, name: str) -> Case:
    def check(p: Pusher, _: PushReport) -> None:
        (tag,) = tags_named(p, "At risk", "task")
        assert tag["description"] == "tasks of accounts at risk"
        assert tags_named(p, "At risk", "people")[0]["description"] != tag["description"]

    # named by name within its category; "VIP" alone names one tag per category: rejected
    return Case({"object": "tags", "action": "update", "match": "name"},
                {"name": ["At risk", "VIP"], "category": ["task", None],
                 "description": ["tasks of accounts at risk", "ambiguous"]}, check,
                exit_code=1, rejected=["name: 12 tags records have name 'VIP'"])  # fmt: skip


@case("tags.upsert")
def _tags_upsert(p: Pusher, _: Path, name: str) -> Case:
    def check(p: Pusher, _: PushReport) -> None:
        assert tags_named(p, "Renewal", "company")[0]["description"] == "new"
        (vip,) = tags_named(p, "VIP", "note")
        assert vip["description"] == "updated in place"

    return Case({"object": "tags", "action": "upsert", "match": "name"},
                {"name": ["Renewal", "VIP"], "category": ["company", "note"],
                 "description": ["new", "updated in place"]}, check)  # fmt: skip


@case("tags.delete")
def _tags_delete(p: Pusher, _: Path, name: str) -> Case:
    (tag,) = tags_named(p, "Onboarding", "meeting")

    def check(p: Pusher, _: PushReport) -> None:
        assert p.sandbox.store.get("tags", tag["id"]) is None
        assert tags_named(p, "Onboarding", "people")

    return Case({"object": "tags", "action": "delete", "match": "name", "allow_deletes": True},
                {"name": ["Onboarding"], "category": ["meeting"]}, check)  # fmt: skip


@case("tags.entity")
def _tags_entity(p: Pusher, _: Path, name: str) -> Case:
    c, d = companies(p, 2)
    (tag,) = tags_named(p, "At risk", "company")

    def check(p: Pusher, _: PushReport) -> None:
        assert tag["id"] in p.sandbox.store.get("companies", c["id"])["tags"]
        assert tag["id"] not in p.sandbox.store.get("companies", d["id"])["tags"]

    return Case({"object": "tags", "action": "entity", "entity": "companies",
                 "match": "company_id"},
                {"company_id": [c["company_id"], d["company_id"]], "tag": ["At risk"] * 2,
                 "type": ["add", "remove"]}, check)  # fmt: skip


@case("scores.nps", "scores.csat")
def _scores(p: Pusher, _: Path, name: str) -> Case:
    a, b = people_with_ids(p, 2)

    def check(p: Pusher, _: PushReport) -> None:
        kind = name.split(".")[1]
        assert p.sandbox.store.scores[kind][a["id"]]["score"] == 4
        assert p.sandbox.store.scores[kind][b["id"]]["comment"] == "fine"

    return Case({"object": "scores", "match": "email"},
                {"email": [a["email"], b["email"]], "score": [4, 5],
                 "comment": [None, "fine"], "submittedAt": ["2024-02-01T10:00:00Z"] * 2},
                check)  # fmt: skip

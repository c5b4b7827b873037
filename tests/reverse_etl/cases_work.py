"""Cases for tickets, tasks, comments, files, financials and time tracks (see ``cases.py``)."""

from __future__ import annotations

import os
from pathlib import Path

from reverse_etl import PushReport
from tests.reverse_etl.cases import Case, case, companies, people_with_ids
from tests.reverse_etl.conftest import Pusher

UNKNOWN_ID = "0123456789abcdef01234567"


def ticket(p: Pusher, n: int = 0) -> dict:
    return sorted(p.sandbox.store.rows("tickets"), key=lambda t: t["id"])[n]


@case("tickets.create")
def _tickets_create(p: Pusher, _: Path, name: str) -> Case:
    (c,) = companies(p, 1)
    (a,) = people_with_ids(p, 1)

    def check(p: Pusher, _: PushReport) -> None:
        (t,) = p.sandbox.store.find("tickets", externalId="T-NEW-1")
        assert t["company"] == [c["id"]] and t["people"] == [{"id": a["id"]}]

    # Custify's ticket write takes YOUR company_id and user_id (§7, quirk 10)
    return Case({"object": "tickets", "match": "externalId"},
                {"externalId": ["T-NEW-1"], "title": ["Login broken"],
                 "company": [c["company_id"]], "people": [a["user_id"]]}, check)  # fmt: skip


@case("tickets.update")
def _tickets_update(p: Pusher, _: Path, name: str) -> Case:
    t = ticket(p)

    def check(p: Pusher, _: PushReport) -> None:
        assert p.sandbox.store.get("tickets", t["id"])["ticketStatus"] == "on-hold"
        assert p.sandbox.journal.count("PUT", "/ticket/ZD-404") == 0  # nothing sent for it

    return Case({"object": "tickets", "match": "externalId"},
                {"externalId": [t["externalId"], "ZD-404"], "ticketStatus": ["on-hold"] * 2},
                check, exit_code=1,
                rejected=["externalId: no tickets record with externalId 'ZD-404'"])  # fmt: skip


@case("tickets.delete")
def _tickets_delete(p: Pusher, _: Path, name: str) -> Case:
    t = ticket(p, 1)

    def check(p: Pusher, _: PushReport) -> None:
        assert p.sandbox.store.get("tickets", t["id"]) is None

    return Case({"object": "tickets", "match": "externalId", "allow_deletes": True},
                {"externalId": [t["externalId"]]}, check)  # fmt: skip


@case("tickets.reply")
def _tickets_reply(p: Pusher, _: Path, name: str) -> Case:
    t = ticket(p, 2)

    def check(p: Pusher, _: PushReport) -> None:
        replies = p.sandbox.store.get("tickets", t["id"])["replies"]
        assert [r["body"] for r in replies].count("We are on it") == 1
        assert replies[-1]["type"] == "outgoing"

    return Case({"object": "tickets", "match": "externalId"},
                {"externalId": [t["externalId"], "ZD-404"], "body": ["We are on it"] * 2,
                 "type": ["outgoing"] * 2}, check, exit_code=1,
                rejected=["no tickets record with externalId 'ZD-404'"])  # fmt: skip


@case("tasks.create")
def _tasks_create(p: Pusher, _: Path, name: str) -> Case:
    (c,) = companies(p, 1)

    def check(p: Pusher, _: PushReport) -> None:
        (task,) = p.sandbox.store.find("tasks", name="Plan the QBR")
        assert task["company"] == c["id"] and task["externalId"].startswith("custify-sync-")

    return Case({"object": "tasks", "action": "create"},
                {"name": ["Plan the QBR"], "priority": ["high"], "status": ["open"],
                 "company_id": [c["company_id"]]}, check)  # fmt: skip


def task_with_external_id(p: Pusher, external_id: str = "TASK-1") -> dict:
    task = sorted(p.sandbox.store.rows("tasks"), key=lambda t: t["id"])[0]
    return p.sandbox.store.update("tasks", task["id"], externalId=external_id)


@case("tasks.update")
def _tasks_update(p: Pusher, _: Path, name: str) -> Case:
    task = task_with_external_id(p)

    def check(p: Pusher, _: PushReport) -> None:
        stored = p.sandbox.store.get("tasks", task["id"])
        assert stored["status"] == "done" and stored["completedAt"]

    # the task update takes _id; the rows name the task by externalId (resolved)
    return Case({"object": "tasks", "action": "update", "match": "externalId"},
                {"externalId": ["TASK-1"], "status": ["done"]}, check)  # fmt: skip


def comments_on(p: Pusher, entity: str) -> list[dict]:
    return [c for c in p.sandbox.store.rows("comments") if c["entity"] == entity]


@case("comments.create")
def _comments_create(p: Pusher, _: Path, name: str) -> Case:
    note = sorted(p.sandbox.store.rows("notes"), key=lambda n: n["id"])[0]

    def check(p: Pusher, _: PushReport) -> None:
        (mine,) = [c for c in comments_on(p, note["id"]) if c["text"] == "Looks good"]
        assert mine["entityModel"] == "Note"
        assert p.sandbox.journal.count("POST", f"/comment/Note/{UNKNOWN_ID}") == 0

    return Case({"object": "comments", "action": "create"},
                {"note_id": [note["id"], UNKNOWN_ID], "text": ["Looks good", "Orphan"]}, check,
                exit_code=1, extract=("notes",),
                rejected=[f"note_id: no notes record with id '{UNKNOWN_ID}'"])  # fmt: skip


@case("comments.update")
def _comments_update(p: Pusher, _: Path, name: str) -> Case:
    old = sorted(p.sandbox.store.rows("comments"), key=lambda c: c["id"])[0]

    def check(p: Pusher, _: PushReport) -> None:
        assert p.sandbox.store.get("comments", old["id"])["text"] == "Edited comment"

    return Case({"object": "comments", "action": "update", "match": "id"},
                {"id": [old["id"]], "entity": [old["entity"]],
                 "entityModel": [old["entityModel"]], "text": ["Edited comment"]}, check)  # fmt: skip


@case("comments.upsert")
def _comments_upsert(p: Pusher, _: Path, name: str) -> Case:
    task = task_with_external_id(p, "TASK-C")

    def check(p: Pusher, _: PushReport) -> None:
        (mine,) = [c for c in comments_on(p, task["id"]) if c["text"] == "First pass"]
        assert mine["entityModel"] == "Task"

    return Case({"object": "comments", "action": "upsert", "key": ["remark_id"]},
                {"remark_id": ["R-1"], "task_external_id": ["TASK-C"], "text": ["First pass"]},
                check)  # fmt: skip


@case("files.upload")
def _files_upload(p: Pusher, tmp: Path, name: str) -> Case:
    (c,) = companies(p, 1)
    root = tmp / "exports"
    (root / "q1").mkdir(parents=True)
    (root / "q1" / "report.pdf").write_bytes(b"%PDF-1.4 quarterly")
    (tmp / "secret.txt").write_text("not for upload")
    os.symlink(tmp / "secret.txt", root / "q1" / "link.pdf")
    os.symlink(tmp, root / "escape")

    def check(p: Pusher, _: PushReport) -> None:
        (f,) = [f for f in p.sandbox.store.rows("files") if f["name"] == "report.pdf"]
        assert f["companies"] == [c["id"]] and f["size"] == len(b"%PDF-1.4 quarterly")
        assert p.sandbox.journal.count("POST", "/file") == 1  # the refused paths sent nothing

    paths = ["q1/report.pdf", "../secret.txt", str(tmp / "secret.txt"), "q1/link.pdf",
             "escape/secret.txt", "q1/missing.pdf"]  # fmt: skip
    return Case({"object": "files", "action": "upload", "files_dir": str(root)},
                {"file": paths, "company_id": [c["company_id"]] * len(paths)}, check,
                exit_code=1, rejected=["file: path outside the files directory"] * 2
                + ["file: path goes through a symbolic link"] * 2
                + ["file: path does not exist"])  # fmt: skip


def linked_file(p: Pusher) -> dict:
    return next(f for f in sorted(p.sandbox.store.rows("files"), key=lambda f: f["id"])
                if f["companies"])  # fmt: skip


@case("files.unlink")
def _files_unlink(p: Pusher, _: Path, name: str) -> Case:
    f = linked_file(p)
    company = p.sandbox.store.get("companies", f["companies"][0])

    def check(p: Pusher, _: PushReport) -> None:
        assert company["id"] not in p.sandbox.store.get("files", f["id"])["companies"]

    # the company named by the user's company_id, resolved to the Custify companyId
    return Case({"object": "files", "action": "unlink"},
                {"fileId": [f["id"]], "company_id": [company["company_id"]]}, check)  # fmt: skip


@case("files.show_in_portal")
def _files_portal(p: Pusher, _: Path, name: str) -> Case:
    f = linked_file(p)

    def check(p: Pusher, _: PushReport) -> None:
        assert p.sandbox.store.get("files", f["id"])["showInPortal"] is True

    return Case({"object": "files", "action": "show_in_portal"},
                {"id": [f["id"]], "showInPortal": [True]}, check)  # fmt: skip


FINANCIAL_FIELD = {"deals": ("status", "won"), "invoices": ("status", "paid"),
                   "subscriptions": ("plan", "Scale")}  # fmt: skip


def financials(p: Pusher, obj: str) -> list[dict]:
    return sorted(p.sandbox.store.rows(obj), key=lambda r: r["id"])


def by_external(p: Pusher, obj: str, ext: str) -> list[dict]:
    return [
        r for r in p.sandbox.store.rows(obj) if (r.get("externalIds") or {}).get("custify") == ext
    ]


def _financial(p: Pusher, name: str) -> Case:
    obj, verb = name.split(".")
    fld, value = FINANCIAL_FIELD[obj]
    first, second = financials(p, obj)[:2]
    old_ext = first["externalIds"]["custify"]
    (c,) = companies(p, 1)

    def check(p: Pusher, _: PushReport) -> None:
        if verb == "delete":
            assert p.sandbox.store.get(obj, first["id"]) is None
            assert p.sandbox.store.get(obj, second["id"]) is not None
            return
        if verb in ("update", "upsert"):
            assert p.sandbox.store.get(obj, first["id"])[fld] == value
        if verb in ("create", "upsert"):
            (new,) = by_external(p, obj, "NEW-1")
            assert new[fld] == value and new["company"] == c["id"]

    if verb == "delete":
        return Case({"object": obj, "match": "externalId", "allow_deletes": True},
                    {"externalId": [old_ext]}, check)  # fmt: skip
    exts = {"create": ["NEW-1"], "update": [old_ext], "upsert": [old_ext, "NEW-1"]}[verb]
    rows = {
        "externalId": exts,
        fld: [value] * len(exts),
        "company_id": [c["company_id"]] * len(exts),
    }
    # update takes the internal id: rows name the record by externalId (one scan resolves)
    return Case({"object": obj, "match": "externalId"}, rows, check)


for _kind in ("deals", "invoices", "subscriptions"):
    for _verb in ("create", "update", "upsert", "delete"):
        case(f"{_kind}.{_verb}")(lambda p, tmp, name: _financial(p, name))


def a_user(p: Pusher) -> dict:
    return sorted(p.sandbox.store.rows("users"), key=lambda u: u["id"])[0]


@case("time_tracks.create")
def _time_create(p: Pusher, _: Path, name: str) -> Case:
    (c,) = companies(p, 1)
    user = a_user(p)

    def check(p: Pusher, _: PushReport) -> None:
        (tt,) = p.sandbox.store.find("time_tracks", name="Case onboarding call")
        assert (tt["duration"], tt["user"], tt["company"]) == (1800, user["id"], [c["id"]])
        assert tt["startDate"].startswith("2024-03-01T09:00:00")

    return Case({"object": "time_tracks", "action": "create"},
                {"user": [user["email"]], "name": ["Case onboarding call"], "duration": [1800],
                 "startedDate": ["2024-03-01 09:00:00"], "company_id": [c["company_id"]]},
                check)  # fmt: skip


def a_time_track(p: Pusher) -> dict:
    return sorted(p.sandbox.store.rows("time_tracks"), key=lambda t: t["id"])[0]


@case("time_tracks.update")
def _time_update(p: Pusher, _: Path, name: str) -> Case:
    tt = a_time_track(p)

    def check(p: Pusher, _: PushReport) -> None:
        assert p.sandbox.store.get("time_tracks", tt["id"])["duration"] == 999

    return Case({"object": "time_tracks", "action": "update", "match": "id"},
                {"id": [tt["id"]], "duration": [999]}, check)  # fmt: skip


@case("time_tracks.delete")
def _time_delete(p: Pusher, _: Path, name: str) -> Case:
    tt = a_time_track(p)

    def check(p: Pusher, _: PushReport) -> None:
        assert p.sandbox.store.get("time_tracks", tt["id"]) is None

    return Case({"object": "time_tracks", "action": "delete", "match": "id",
                 "allow_deletes": True}, {"id": [tt["id"]]}, check)  # fmt: skip

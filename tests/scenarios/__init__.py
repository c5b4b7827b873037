"""One scenario per registry action, for the three layers that exercise every action.

Each entry of ``SCENARIOS`` (keyed by ``models.registry.ACTIONS``) carries what each layer needs:

- ``wire``: the named method's arguments and the request the client must build from the
  registry row (method, path, query, body subset), checked at the network edge against a
  scripted transport (``tests/client/test_actions.py``);
- ``check_raw``: the action's endpoint called over raw HTTP on a seeded sandbox, and the state
  it leaves there (``tests/sandbox/test_writes.py``);
- ``check_client``: the action through the client's named method on a seeded sandbox, and the
  state Custify then holds (``tests/client/test_sandbox_actions.py``).

The wire layer has no account behind it, so its arguments name a fixed id; the two sandbox
layers find their target records in the seeded account they are given, and probe different
edges of the same action (raw HTTP reaches the quirks a client never sends: alternative paths,
refusals, replaced sub-lists).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.scenarios.client_checks import (
    client_comments_create,
    client_comments_update,
    client_comments_upsert,
    client_companies_create,
    client_companies_delete,
    client_companies_get,
    client_companies_update,
    client_companies_upsert,
    client_events_insert,
    client_files_show_in_portal,
    client_files_unlink,
    client_files_upload,
    client_notes_create,
    client_notes_update,
    client_notes_upsert,
    client_people_create,
    client_people_delete,
    client_people_get,
    client_people_tag,
    client_people_update,
    client_people_upsert,
    client_scores_csat,
    client_scores_nps,
    client_tags_create,
    client_tags_delete,
    client_tags_entity,
    client_tags_update,
    client_tags_upsert,
    client_tasks_create,
    client_tasks_update,
    client_tickets_create,
    client_tickets_delete,
    client_tickets_reply,
    client_tickets_update,
    client_time_tracks_create,
    client_time_tracks_delete,
    client_time_tracks_update,
    fin_case,
)
from tests.scenarios.raw_checks import (
    raw_comment_create,
    raw_comment_update,
    raw_companies_delete,
    raw_companies_get,
    raw_company_write,
    raw_event,
    raw_file_portal,
    raw_file_unlink,
    raw_file_upload,
    raw_financial,
    raw_note_create,
    raw_note_update,
    raw_people_delete,
    raw_people_get,
    raw_people_tag,
    raw_people_write,
    raw_score,
    raw_tag_create,
    raw_tag_delete,
    raw_tag_entity,
    raw_tag_update,
    raw_task_create,
    raw_task_update,
    raw_ticket_create,
    raw_ticket_delete,
    raw_ticket_reply,
    raw_ticket_update,
    raw_tt_create,
    raw_tt_delete,
    raw_tt_update,
)
from tests.scenarios.records import FIN, ID, NOTE, ClientCheck, RawCheck


@dataclass(frozen=True)
class Wire:
    """A named method's call and the request it must put on the wire."""

    args: tuple
    kwargs: dict[str, Any]
    method: str
    path: str
    query: dict[str, str]
    body: dict[str, Any] | None  # a subset of the JSON body; None: no JSON body


@dataclass(frozen=True)
class Scenario:
    """One action's case in every layer (see the module docstring)."""

    wire: Wire
    check_raw: RawCheck
    check_client: ClientCheck


# == the table ================================================================================
SCENARIOS: dict[str, Scenario] = {
    "people.create": Scenario(
        Wire(({"email": "a@b.c"},), {}, "POST", "/people", {}, {"email": "a@b.c"}),
        check_raw=raw_people_write,
        check_client=client_people_create,
    ),
    "people.update": Scenario(
        Wire(({"id": ID, "name": "A"},), {}, "POST", "/people", {}, {"id": ID}),
        check_raw=raw_people_write,
        check_client=client_people_update,
    ),
    "people.upsert": Scenario(
        Wire(({"user_id": "u1"},), {}, "POST", "/people", {}, {"user_id": "u1"}),
        check_raw=raw_people_write,
        check_client=client_people_upsert,
    ),
    "people.get": Scenario(
        Wire((), {"email": "a@b.c"}, "GET", "/people", {"email": "a@b.c"}, None),
        check_raw=raw_people_get,
        check_client=client_people_get,
    ),
    "people.delete": Scenario(
        Wire((), {"id": ID}, "DELETE", f"/people/{ID}", {}, None),
        check_raw=raw_people_delete,
        check_client=client_people_delete,
    ),
    "people.tag": Scenario(
        Wire(
            ({"ids": [ID], "type": "add", "tag": ID},),
            {},
            "POST",
            "/people/tag",
            {},
            {"type": "add"},
        ),
        check_raw=raw_people_tag,
        check_client=client_people_tag,
    ),
    "companies.create": Scenario(
        Wire(({"company_id": "acme"},), {}, "POST", "/company", {}, {"company_id": "acme"}),
        check_raw=raw_company_write,
        check_client=client_companies_create,
    ),
    "companies.update": Scenario(
        Wire(({"id": ID, "plan": "pro"},), {}, "POST", "/company", {}, {"id": ID}),
        check_raw=raw_company_write,
        check_client=client_companies_update,
    ),
    "companies.upsert": Scenario(
        Wire(({"company_id": "acme"},), {}, "POST", "/company", {}, {"company_id": "acme"}),
        check_raw=raw_company_write,
        check_client=client_companies_upsert,
    ),
    "companies.get": Scenario(
        Wire((), {"company_id": "acme"}, "GET", "/company", {"company_id": "acme"}, None),
        check_raw=raw_companies_get,
        check_client=client_companies_get,
    ),
    "companies.delete": Scenario(
        Wire((), {"company_id": "acme"}, "DELETE", "/company", {"company_id": "acme"}, None),
        check_raw=raw_companies_delete,
        check_client=client_companies_delete,
    ),
    "events.insert": Scenario(
        Wire(
            ({"name": "login", "created_at": "2024-01-01", "email": "a@b.c"},),
            {},
            "POST",
            "/event",
            {},
            {"name": "login"},
        ),
        check_raw=raw_event,
        check_client=client_events_insert,
    ),
    "notes.create": Scenario(
        Wire((NOTE,), {}, "POST", "/note", {}, NOTE),
        check_raw=raw_note_create,
        check_client=client_notes_create,
    ),
    "notes.update": Scenario(
        Wire((ID, {"text": "x"}), {}, "POST", f"/note/{ID}", {}, {"text": "x"}),
        check_raw=raw_note_update,
        check_client=client_notes_update,
    ),
    "notes.upsert": Scenario(
        Wire(({"text": "x"},), {"id": ID}, "POST", f"/note/{ID}", {}, {"text": "x"}),
        check_raw=raw_note_update,
        check_client=client_notes_upsert,
    ),
    "tags.create": Scenario(
        Wire(({"name": "vip", "category": "company"},), {}, "POST", "/tag", {}, {"name": "vip"}),
        check_raw=raw_tag_create,
        check_client=client_tags_create,
    ),
    "tags.update": Scenario(
        Wire((ID, {"name": "VIP"}), {}, "POST", f"/tag/{ID}", {}, {"name": "VIP"}),
        check_raw=raw_tag_update,
        check_client=client_tags_update,
    ),
    "tags.upsert": Scenario(
        Wire(({"name": "vip", "category": "company"},), {}, "POST", "/tag", {}, {"name": "vip"}),
        check_raw=raw_tag_update,
        check_client=client_tags_upsert,
    ),
    "tags.delete": Scenario(
        Wire((ID,), {}, "DELETE", f"/tag/{ID}", {}, None),
        check_raw=raw_tag_delete,
        check_client=client_tags_delete,
    ),
    "tags.entity": Scenario(
        Wire(
            ({"ids": [ID], "type": "remove", "category": "company", "tag": ID},),
            {},
            "PATCH",
            "/tag/entity",
            {},
            {"type": "remove"},
        ),
        check_raw=raw_tag_entity,
        check_client=client_tags_entity,
    ),
    "scores.nps": Scenario(
        Wire(
            ({"score": 9},),
            {"email": "a@b.c"},
            "POST",
            "/nps_score",
            {"email": "a@b.c"},
            {"score": 9},
        ),
        check_raw=raw_score("nps", 0, 10),
        check_client=client_scores_nps,
    ),
    "scores.csat": Scenario(
        Wire(({"score": 4},), {"id": ID}, "POST", f"/csat_score/{ID}", {}, {"score": 4}),
        check_raw=raw_score("csat", 1, 5),
        check_client=client_scores_csat,
    ),
    "tickets.create": Scenario(
        Wire(
            ({"externalId": "T-1", "company": "acme"},),
            {},
            "POST",
            "/ticket",
            {},
            {"externalId": "T-1"},
        ),
        check_raw=raw_ticket_create,
        check_client=client_tickets_create,
    ),
    "tickets.update": Scenario(
        Wire(("T/1", {"title": "x"}), {}, "PUT", "/ticket/T%2F1", {}, {"title": "x"}),
        check_raw=raw_ticket_update,
        check_client=client_tickets_update,
    ),
    "tickets.delete": Scenario(
        Wire(("T-1",), {}, "DELETE", "/ticket/T-1", {}, None),
        check_raw=raw_ticket_delete,
        check_client=client_tickets_delete,
    ),
    "tickets.reply": Scenario(
        Wire(("T-1", {"body": "hello"}), {}, "POST", "/ticket/T-1/reply", {}, {"body": "hello"}),
        check_raw=raw_ticket_reply,
        check_client=client_tickets_reply,
    ),
    "tasks.create": Scenario(
        Wire(
            ({"name": "n", "priority": "low", "status": "open"},),
            {},
            "POST",
            "/task",
            {},
            {"name": "n"},
        ),
        check_raw=raw_task_create,
        check_client=client_tasks_create,
    ),
    "tasks.update": Scenario(
        Wire(
            (ID, {"status": "not relevant"}),
            {},
            "PUT",
            f"/task/{ID}",
            {},
            {"_id": ID, "status": "not relevant"},
        ),
        check_raw=raw_task_update,
        check_client=client_tasks_update,
    ),
    "comments.create": Scenario(
        Wire(
            ({"text": "c"},),
            {"entityModel": "Note", "entity": ID},
            "POST",
            f"/comment/Note/{ID}",
            {},
            {"text": "c"},
        ),
        check_raw=raw_comment_create,
        check_client=client_comments_create,
    ),
    "comments.update": Scenario(
        Wire(
            ({"id": "c1", "text": "c"},),
            {"entityModel": "Task", "entity": ID},
            "POST",
            f"/comment/Task/{ID}",
            {},
            {"id": "c1"},
        ),
        check_raw=raw_comment_update,
        check_client=client_comments_update,
    ),
    "comments.upsert": Scenario(
        Wire(
            ({"text": "c"},),
            {"entityModel": "Note", "entity": ID},
            "POST",
            f"/comment/Note/{ID}",
            {},
            {"text": "c"},
        ),
        check_raw=raw_comment_update,
        check_client=client_comments_upsert,
    ),
    "files.upload": Scenario(
        Wire(
            ({"companyId": ID},), {"files": {"file": ("a.txt", b"abc")}}, "POST", "/file", {}, None
        ),
        check_raw=raw_file_upload,
        check_client=client_files_upload,
    ),
    "files.unlink": Scenario(
        Wire(({"fileId": ID, "companyId": ID},), {}, "POST", "/file/unlink", {}, {"fileId": ID}),
        check_raw=raw_file_unlink,
        check_client=client_files_unlink,
    ),
    "files.show_in_portal": Scenario(
        Wire(
            (ID, {"showInPortal": True}),
            {},
            "PUT",
            f"/file/{ID}/showInPortal",
            {},
            {"showInPortal": True},
        ),
        check_raw=raw_file_portal,
        check_client=client_files_show_in_portal,
    ),
    "deals.create": Scenario(
        Wire((FIN,), {}, "POST", "/financial/deal", {}, FIN),
        check_raw=raw_financial("deal", "deals", "create"),
        check_client=fin_case("deals", "create"),
    ),
    "deals.update": Scenario(
        Wire((ID, {"value": 5}), {}, "POST", f"/financial/deal/{ID}", {}, {"value": 5}),
        check_raw=raw_financial("deal", "deals", "update"),
        check_client=fin_case("deals", "update"),
    ),
    "deals.upsert": Scenario(
        Wire((FIN,), {}, "POST", "/financial/deal", {}, FIN),
        check_raw=raw_financial("deal", "deals", "upsert"),
        check_client=fin_case("deals", "upsert"),
    ),
    "deals.delete": Scenario(
        Wire((), {"externalId": "X-1"}, "DELETE", "/financial/deal", {"externalId": "X-1"}, None),
        check_raw=raw_financial("deal", "deals", "delete"),
        check_client=fin_case("deals", "delete"),
    ),
    "invoices.create": Scenario(
        Wire((FIN,), {}, "POST", "/financial/invoice", {}, FIN),
        check_raw=raw_financial("invoice", "invoices", "create"),
        check_client=fin_case("invoices", "create"),
    ),
    "invoices.update": Scenario(
        Wire((ID, {"total": 5.5}), {}, "POST", f"/financial/invoice/{ID}", {}, {"total": 5.5}),
        check_raw=raw_financial("invoice", "invoices", "update"),
        check_client=fin_case("invoices", "update"),
    ),
    "invoices.upsert": Scenario(
        Wire((FIN,), {}, "POST", "/financial/invoice", {}, FIN),
        check_raw=raw_financial("invoice", "invoices", "upsert"),
        check_client=fin_case("invoices", "upsert"),
    ),
    "invoices.delete": Scenario(
        Wire((), {"id": ID}, "DELETE", f"/financial/invoice/{ID}", {}, None),
        check_raw=raw_financial("invoice", "invoices", "delete"),
        check_client=fin_case("invoices", "delete"),
    ),
    "subscriptions.create": Scenario(
        Wire((FIN,), {}, "POST", "/financial/subscription", {}, FIN),
        check_raw=raw_financial("subscription", "subscriptions", "create"),
        check_client=fin_case("subscriptions", "create"),
    ),
    "subscriptions.update": Scenario(
        Wire((ID, {"mrr": 9.0}), {}, "POST", f"/financial/subscription/{ID}", {}, {"mrr": 9.0}),
        check_raw=raw_financial("subscription", "subscriptions", "update"),
        check_client=fin_case("subscriptions", "update"),
    ),
    "subscriptions.upsert": Scenario(
        Wire((FIN,), {}, "POST", "/financial/subscription", {}, FIN),
        check_raw=raw_financial("subscription", "subscriptions", "upsert"),
        check_client=fin_case("subscriptions", "upsert"),
    ),
    "subscriptions.delete": Scenario(
        Wire(
            (),
            {"externalId": "X-1"},
            "DELETE",
            "/financial/subscription",
            {"externalId": "X-1"},
            None,
        ),
        check_raw=raw_financial("subscription", "subscriptions", "delete"),
        check_client=fin_case("subscriptions", "delete"),
    ),
    "time_tracks.create": Scenario(
        Wire(
            ({"name": "call", "duration": 60, "startedDate": "2024-01-01"},),
            {"user": "csm@x.io"},
            "POST",
            "/time-track",
            {"user": "csm@x.io"},
            {"duration": 60},
        ),
        check_raw=raw_tt_create,
        check_client=client_time_tracks_create,
    ),
    "time_tracks.update": Scenario(
        Wire(
            ({"duration": 90},),
            {"id": ID, "user": "csm@x.io"},
            "PUT",
            "/time-track",
            {"id": ID, "user": "csm@x.io"},
            {"duration": 90},
        ),
        check_raw=raw_tt_update,
        check_client=client_time_tracks_update,
    ),
    "time_tracks.delete": Scenario(
        Wire((), {"id": ID}, "DELETE", "/time-track", {"id": ID}, None),
        check_raw=raw_tt_delete,
        check_client=client_time_tracks_delete,
    ),
}

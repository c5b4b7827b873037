"""Registry rows of tickets, tasks, comments, files, financials, time tracks and the read-only
objects (custify-api.md §7–§10, §12–§15).

Read through ``models.registry``; the row types are in ``models.rows``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from models.catalog_crm import A_USER, EXTERNAL_ID_PATH, ID_BODY, ID_PATH
from models.rows import (
    UNREAD,
    Action,
    Constraint,
    CustifyObject,
    Finder,
    GetOne,
    Identifier,
    Link,
    ParentList,
    ReadAs,
    Recovery,
    Ref,
)
from models.types import (
    ActionKind,
    Envelope,
    FieldType,
    FilterStyle,
    IdLocation,
    ReadNorm,
    SortStyle,
    Trigger,
)

S, I, N, B, D, L, O, A, F = (  # noqa: E741 -- one-letter type table, read as a legend
    FieldType.STRING,
    FieldType.INTEGER,
    FieldType.NUMBER,
    FieldType.BOOLEAN,
    FieldType.DATETIME,
    FieldType.LIST,
    FieldType.OBJECT,
    FieldType.ATTRIBUTES,
    FieldType.FILE,
)

TICKET_BODY = {
    "externalId": S, "title": S, "description": S, "ticketStatus": S, "priority": S,
    "assignedToName": S, "openedAt": D, "lastModifiedAt": D, "replies": L, "company": S,
    "people": S,
}  # fmt: skip
REPLY_BODY = {"body": S, "from": S, "submittedAt": D, "type": S}
TASK_BODY = {
    "name": S, "priority": S, "status": S, "description": S, "dueDate": D, "company": S,
    "company_id": S, "people": S, "user_id": S, "assignedTo": S, "assignedToCustomer": B,
    "collaborators": L, "checklist": L, "tags": L, "files": L, "showInPortal": B,
    "externalId": S,
}  # fmt: skip
COMMENT_BODY = {"id": S, "text": S, "createdBy": S}
FILE_UPLOAD_BODY = {"file": F, "companyId": S, "peopleId": S}
FILE_UNLINK_BODY = {"fileId": S, "companyId": S, "peopleId": S}
FINANCIAL_LINKS = {"externalId": S, "company": S, "company_id": S, "people": S, "user_id": S}
DEAL_BODY = {
    **FINANCIAL_LINKS, "name": S, "status": S, "value": I, "addedAt": D, "wonAt": D,
    "lostAt": D,
}  # fmt: skip
INVOICE_BODY = {
    **FINANCIAL_LINKS, "status": S, "total": N, "amountPaid": N, "invoicedAt": D, "paidAt": D,
}  # fmt: skip
SUBSCRIPTION_BODY = {
    **FINANCIAL_LINKS, "plan": S, "mrr": N, "billingPeriod": I, "billingPeriodUnit": S,
    "startedAt": D, "canceledAt": D, "currentCycleStartAt": D, "currentCycleEndAt": D,
    "nextBillingAt": D, "lastInvoiceStatus": S, "lastTransactionStatus": S,
    "dueInvoicesCount": I, "dueInvoicesSince": D, "dueInvoicesTotal": N,
    "paidInvoicesCount": I, "paidInvoicesTotal": N, "metadata": O,
}  # fmt: skip
TIME_TRACK_BODY = {
    "name": S, "duration": I, "startedDate": D, "company": S, "people": S, "tags": L,
}  # fmt: skip


#: Tickets are written with YOUR company_id and a user_id or e-mail, and read with Custify
#: ids (the company array, ``{id}`` objects for people); replies land in a child table (§7).
TICKET_READ = {
    "company": ReadAs("company", ReadNorm.REF, listed=True, via=(("companies", "company_id"),)),
    "people": ReadAs("people", ReadNorm.REF, listed=True, item="id",
                     via=(("people", "user_id"), ("people", "email"))),
    "replies": UNREAD,
}  # fmt: skip
#: A task's assignee is a user id or e-mail, read as the id plus ``assignedToEmail``;
#: collaborators come back as ``collaboratorsDetailed``, the checklist in a child table (§8).
TASK_READ = {
    "assignedTo": ReadAs("assignedTo", ReadNorm.USER, email="assignedToEmail"),
    "collaborators": UNREAD, "checklist": UNREAD,
    "tags": ReadAs("tags", ReadNorm.SET), "files": ReadAs("files", ReadNorm.SET),
    "_id": ReadAs("id"),
}  # fmt: skip
TASK_RULES = {
    "status": Constraint(choices=("open", "done", "not relevant"), source="§8, quirk 9"),
    "priority": Constraint(choices=("low", "medium", "high"), source="§8"),
    "assignedTo": A_USER,
}
#: Time tracks: ``startedDate`` reads back as ``startDate``, company and people as arrays (§13).
TIME_TRACK_READ = {
    "startedDate": ReadAs("startDate"),
    "company": ReadAs("company", listed=True), "people": ReadAs("people", listed=True),
    "tags": ReadAs("tags", ReadNorm.SET),
}  # fmt: skip
#: An unlink leaves the file off the company's and person's lists (``peoples``, §10).
UNLINK_READ = {
    "fileId": ReadAs("id"),
    "companyId": ReadAs("companies", ReadNorm.UNLINKED),
    "peopleId": ReadAs("peoples", ReadNorm.UNLINKED),
}
REPLY_RULES = {"type": Constraint(choices=("note", "incoming", "outgoing"), source="§7")}
COMMENT_RULES = {"entityModel": Constraint(choices=("Note", "Task"), source="§9, quirk 11")}


#: A person or company named by Custify id in a body field, or by the user's own ids (§1.3).
def _entity_refs(company: str, person: str) -> tuple[Ref, ...]:
    return (
        Ref("company_id", company, "companies", "company_id"),
        Ref("user_id", person, "people", "user_id"),
        Ref("email", person, "people", "email"),
    )


#: A comment's parent is a note or a task (§9): by Custify id, or a task by its externalId.
COMMENT_REFS = (
    Ref("note_id", "entity", "notes", "id", {"entityModel": "Note"}),
    Ref("task_id", "entity", "tasks", "id", {"entityModel": "Task"}),
    Ref("task_external_id", "entity", "tasks", "externalId", {"entityModel": "Task"}),
    Ref("entity", "entity", "notes", "id", when={"entityModel": "Note"}),
    Ref("entity", "entity", "tasks", "id", when={"entityModel": "Task"}),
)
#: Comments, replies, files and time tracks are not deduplicated and carry no key of ours
#: (§16): an unconfirmed create is looked for by content among its parent's records.
COMMENT_RECOVERY = Recovery("/comment/{entityModel}/{entity}", match={"text": "text"})
REPLY_RECOVERY = Recovery(
    "/ticket",
    params={"externalId": "externalId"},
    match={"body": "body", "from": "from", "type": "type", "submittedAt": "submittedAt"},
    items="replies",
)
FILE_RECOVERY = Recovery(
    "/file", params={"companyId": "companyId", "peopleId": "peopleId"}, match={"file": "name"}
)
TIME_TRACK_RECOVERY = Recovery(
    "/time-track",
    params={"user": "user"},
    match={"name": "name", "duration": "duration", "startedDate": "startDate"},
)
#: Whether ``POST /ticket`` with a known externalId updates that ticket or creates a second one
#: is not documented (INF §7, §16): a ticket create is treated as one Custify may duplicate,
#: and an unconfirmed one is looked up by its externalId before it is sent again.
TICKET_RECOVERY = Recovery(
    "/ticket", params={"externalId": "externalId"}, match={"externalId": "externalId"}
)
#: The time-track path is spelled /time-track in the spec's path key and /time_track in all its
#: curl samples (DOC §13, inconsistent); the id of an update or delete goes in the query by the
#: spec's text and in the path by its delete sample (INF §13, §19 open question).
TIME_TRACK_SPELLINGS = ("/time_track",)
TIME_TRACK_ID_IN_PATH = Identifier("id", IdLocation.PATH, "/time-track/{id}")
#: Tasks take an ``externalId`` but Custify does not deduplicate on it (§8): the engine gives
#: each created task a deterministic one and looks it up before sending again.
TASK_RECOVERY = Recovery(
    "/task", params={"externalId": "externalId"}, match={"externalId": "externalId"},
    external_key="externalId",
)  # fmt: skip


#: Financials are written with ``company``/``people`` (Custify ids) or ``company_id``/``user_id``
#: (yours) and read with the Custify ids in ``company``/``people``; the externalId comes back
#: in ``externalIds.custify`` (§1.3, §12).
FINANCIAL_READ = {
    "externalId": ReadAs("externalIds.custify"),
    "company_id": ReadAs("company", ReadNorm.REF, via=(("companies", "company_id"),)),
    "user_id": ReadAs("people", ReadNorm.REF, via=(("people", "user_id"),)),
    "metadata": UNREAD,
}
#: Comments are listed under their note or task only (§9): the lists of the parents that
#: changed since the last scan, all of them on reconcile.
COMMENT_PARENTS = (
    ParentList("notes", "entity", {"entityModel": "Note"}, changed_only=True),
    ParentList("tasks", "entity", {"entityModel": "Task"}, changed_only=True),
)

#: How a task and a ticket created through the API read back (§7, §8).
TASK_NEW: MappingProxyType[str, Any] = MappingProxyType({
    "status": "open", "collaborators": [], "collaboratorsDetailed": [], "checklist": [],
    "tags": [], "files": [], "showInPortal": False, "assignedToCustomer": False,
    "completedAt": None, "completedBy": None, "completedByName": None,
    "snoozedUntilDate": None, "label": None, "createdBy": None, "createdByType": "api",
})  # fmt: skip
TICKET_NEW: MappingProxyType[str, Any] = MappingProxyType({
    "status": "active", "provider": "api", "assignedTo": None, "tags": [], "rating": None,
    "ratingAt": None, "replies": [], "company": [], "companyNames": [], "people": [],
    "peopleNames": [],
})  # fmt: skip


def _financial(kind: str, plural: str, body: Mapping[str, FieldType]) -> CustifyObject:
    """Deals, invoices and subscriptions share one shape (custify-api.md §12)."""
    base = f"/financial/{kind}"
    family = "Financials"
    return CustifyObject(
        name=plural,
        list_path=base,
        label=kind.capitalize(),
        links=(Link("people", "people", many=False), Link("company", "companies", many=False)),
        scoped_paths=(f"{base}/{{entity}}",),
        new_record=MappingProxyType({"metadata": {}, "people": None}),
        envelope=Envelope.OBJECT_OR_SINGLE,
        envelope_key=plural,
        page_size_max=50,
        sort_style=SortStyle.SORT_ORDER,
        # no timestamps are documented (§12, INF that they exist): the scan stops early only
        # on pages that carry updated_at in descending order, else it reads the whole list
        extracted=True,
        find_by={"id": Finder("scan", "id"), "externalId": Finder("scan", "externalIds.custify")},
        actions=(
            Action(
                f"{plural}.create",
                family,
                ActionKind.CREATE,
                "POST",
                base,
                (Identifier("externalId", IdLocation.BODY),),
                body,
                ("externalId",),
                read_as=FINANCIAL_READ,
            ),
            Action(
                f"{plural}.update",
                family,
                ActionKind.UPDATE,
                "POST",
                base + "/{id}",
                (ID_PATH,),
                body,
                read_as=FINANCIAL_READ,
            ),
            Action(
                f"{plural}.upsert",
                family,
                ActionKind.UPSERT,
                "POST",
                base,
                (Identifier("externalId", IdLocation.BODY),),
                body,
                ("externalId",),
                read_as=FINANCIAL_READ,
            ),
            Action(
                f"{plural}.delete",
                family,
                ActionKind.DELETE,
                "DELETE",
                base,
                (
                    Identifier("externalId", IdLocation.QUERY),
                    Identifier("id", IdLocation.PATH, base + "/{id}"),
                ),
                response=Envelope.EMPTY,
            ),
        ),  # fmt: skip
        doc="§12; no generic timestamps documented, the sandbox serves created_at/updated_at; "
        "no trigger (§17)",
    )


WORK_OBJECTS: tuple[CustifyObject, ...] = (
    CustifyObject(
        name="tickets",
        list_path="/ticket",
        label="Ticket",
        default_sort=("openedAt", True),
        filter_style=FilterStyle.ACTIVITY,
        scoped_paths=("/ticket/{entity}",),
        create_key="externalId",
        new_record=TICKET_NEW,
        envelope_key="tickets",
        page_size_max=200,
        sort_style=SortStyle.SORT_ORDER,
        triggers=(Trigger.CREATED, Trigger.UPDATED),
        extracted=True,
        child_lists=("replies",),
        find_by={"externalId": Finder("query", "externalId")},
        actions=(
            Action(
                "tickets.create",
                "Tickets",
                ActionKind.CREATE,
                "POST",
                "/ticket",
                (),
                TICKET_BODY,
                ("externalId",),
                duplicates_on_retry=True,
                recovery=TICKET_RECOVERY,
                read_as=TICKET_READ,
                doc="company = YOUR company_id, people = user_id or e-mail (§18.10)",
            ),
            Action(
                "tickets.update",
                "Tickets",
                ActionKind.UPDATE,
                "PUT",
                "/ticket/{externalId}",
                (EXTERNAL_ID_PATH,),
                TICKET_BODY,
                read_as=TICKET_READ,
                doc="works as a PATCH; replies replaces the whole array (§7)",
            ),
            Action(
                "tickets.delete",
                "Tickets",
                ActionKind.DELETE,
                "DELETE",
                "/ticket/{externalId}",
                (EXTERNAL_ID_PATH,),
            ),
            Action(
                "tickets.reply",
                "Tickets",
                ActionKind.APPEND,
                "POST",
                "/ticket/{externalId}/reply",
                (EXTERNAL_ID_PATH,),
                REPLY_BODY,
                ("body",),
                duplicates_on_retry=True,
                recovery=REPLY_RECOVERY,
                constraints=REPLY_RULES,
            ),
        ),  # fmt: skip
        doc="§7",
    ),
    CustifyObject(
        name="tasks",
        list_path="/task",
        links=(
            Link("people", "people", many=False, companions=("user_id",)),
            Link("company", "companies", many=False, companions=("company_id",)),
        ),
        label="Task",
        filter_style=FilterStyle.ACTIVITY,
        get_one=GetOne("/task/{id}", "tasks"),  # quirk 4
        new_record=TASK_NEW,
        envelope_key="tasks",
        page_size_max=50,
        triggers=(Trigger.CREATED, Trigger.UPDATED),
        extracted=True,
        tag_category="task",
        child_lists=("checklist",),
        find_by={
            "id": Finder("one", "id"),
            "_id": Finder("one", "id"),
            "externalId": Finder(
                "query",
                "externalId",
                several=True,
                source="DOC §8 (Custify does not deduplicate on externalId)",
            ),
        },
        actions=(
            Action(
                "tasks.create",
                "Tasks",
                ActionKind.CREATE,
                "POST",
                "/task",
                (),
                TASK_BODY,
                ("name", "priority", "status"),
                duplicates_on_retry=True,
                recovery=TASK_RECOVERY,
                read_as=TASK_READ,
                constraints=TASK_RULES,
            ),
            Action(
                "tasks.update",
                "Tasks",
                ActionKind.UPDATE,
                "PUT",
                "/task/{_id}",
                (Identifier("_id", IdLocation.PATH),),
                TASK_BODY,
                read_as=TASK_READ,
                constraints=TASK_RULES,
                doc="the body carries _id as well (§8, quirk 9)",
            ),
        ),  # fmt: skip
        doc="§8; GET /task/{id} answers with the tasks envelope",
    ),
    CustifyObject(
        name="comments",
        list_path="/comment/{entityModel}/{entity}",
        label="Comment",
        new_record=MappingProxyType({"createdBy": None}),
        envelope_key="comments",
        page_size_max=50,
        sort_style=SortStyle.SORT_ORDER,
        # the listing documents no timestamps (§9): each parent's list is read whole
        cursor_field=None,
        extracted=True,
        parent_lists=COMMENT_PARENTS,
        actions=(
            Action(
                "comments.create",
                "Comments",
                ActionKind.CREATE,
                "POST",
                "/comment/{entityModel}/{entity}",
                (),
                COMMENT_BODY,
                ("text",),
                parent_params=("entityModel", "entity"),
                duplicates_on_retry=True,
                refs=COMMENT_REFS,
                recovery=COMMENT_RECOVERY,
                constraints=COMMENT_RULES,
            ),
            Action(
                "comments.update",
                "Comments",
                ActionKind.UPDATE,
                "POST",
                "/comment/{entityModel}/{entity}",
                (ID_BODY,),
                COMMENT_BODY,
                ("id", "text"),
                parent_params=("entityModel", "entity"),
                refs=COMMENT_REFS,
                constraints=COMMENT_RULES,
            ),
            Action(
                "comments.upsert",
                "Comments",
                ActionKind.UPSERT,
                "POST",
                "/comment/{entityModel}/{entity}",
                (ID_BODY,),
                COMMENT_BODY,
                ("text",),
                parent_params=("entityModel", "entity"),
                duplicates_on_retry=True,
                refs=COMMENT_REFS,
                recovery=COMMENT_RECOVERY,
                constraints=COMMENT_RULES,
            ),
        ),  # fmt: skip
        doc="§9; entityModel is Note or Task; listed per parent only; no trigger (§17)",
    ),
    CustifyObject(
        name="files",
        list_path="/file",
        links=(Link("peoples", "people"), Link("companies", "companies")),
        label="File",
        envelope_key="files",
        page_size_max=50,
        sort_style=SortStyle.NONE,
        cursor_field="created_at",
        triggers=(Trigger.CREATED,),
        extracted=True,
        # whether GET /file answers without companyId/peopleId is open (§10, §19)
        scoped_by=(("companies", "companyId"), ("people", "peopleId")),
        find_by={"id": Finder("scan", "id")},
        actions=(
            Action(
                "files.upload",
                "Files",
                ActionKind.CREATE,
                "POST",
                "/file",
                (),
                FILE_UPLOAD_BODY,
                ("file",),
                multipart=True,
                duplicates_on_retry=True,
                refs=(
                    *_entity_refs("companyId", "peopleId"),
                    Ref("companyId", "companyId", "companies", "id"),
                    Ref("peopleId", "peopleId", "people", "id"),
                ),
                recovery=FILE_RECOVERY,
            ),
            Action(
                "files.unlink",
                "Files",
                ActionKind.UPDATE,
                "POST",
                "/file/unlink",
                (Identifier("fileId", IdLocation.BODY),),
                FILE_UNLINK_BODY,
                ("fileId",),
                read_as=UNLINK_READ,
                refs=(
                    *_entity_refs("companyId", "peopleId"),
                    Ref("companyId", "companyId", "companies", "id"),
                    Ref("peopleId", "peopleId", "people", "id"),
                ),
            ),
            Action(
                "files.show_in_portal",
                "Files",
                ActionKind.UPDATE,
                "PUT",
                "/file/{id}/showInPortal",
                (ID_PATH,),
                {"showInPortal": B},
                ("showInPortal",),
            ),
        ),  # fmt: skip
        doc="§10; linked people are in `peoples` (plural); no sort parameter",
    ),
    _financial("deal", "deals", DEAL_BODY),
    _financial("invoice", "invoices", INVOICE_BODY),
    _financial("subscription", "subscriptions", SUBSCRIPTION_BODY),
    CustifyObject(
        name="time_tracks",
        list_path="/time-track",
        links=(Link("people", "people"), Link("company", "companies")),
        label="Time track",
        new_record=MappingProxyType({"tags": [], "company": [], "people": []}),
        envelope_key="time_track",
        page_size_max=50,
        triggers=(Trigger.CREATED, Trigger.UPDATED),
        extracted=True,
        tag_category="time_tracker",
        find_by={"id": Finder("scan", "id")},
        path_spellings=TIME_TRACK_SPELLINGS,
        actions=(
            Action(
                "time_tracks.create",
                "Time Tracks",
                ActionKind.CREATE,
                "POST",
                "/time-track",
                (),
                TIME_TRACK_BODY,
                ("name", "duration", "startedDate"),
                query=("user",),
                duplicates_on_retry=True,
                refs=_entity_refs("company", "people"),
                recovery=TIME_TRACK_RECOVERY,
                read_as=TIME_TRACK_READ,
                constraints={"user": A_USER},
                doc="query `user` (required): the Custify user who logged the time (§13)",
            ),
            Action(
                "time_tracks.update",
                "Time Tracks",
                ActionKind.UPDATE,
                "PUT",
                "/time-track",
                (Identifier("id", IdLocation.QUERY),),
                TIME_TRACK_BODY,
                query=("user",),
                refs=_entity_refs("company", "people"),
                alternates=(TIME_TRACK_ID_IN_PATH,),
                read_as=TIME_TRACK_READ,
                constraints={"user": A_USER},
            ),
            Action(
                "time_tracks.delete",
                "Time Tracks",
                ActionKind.DELETE,
                "DELETE",
                "/time-track",
                (Identifier("id", IdLocation.QUERY),),
                alternates=(TIME_TRACK_ID_IN_PATH,),
            ),
        ),  # fmt: skip
        doc="§13; list key `time_track`; write startedDate, read startDate",
    ),
)

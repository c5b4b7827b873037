"""The object registry: one frozen row per Custify object, with its write actions.

Everything object-specific in custify-sync is read from here: the client's pagination and
action methods, the sandbox's routes, the dlt resources, the reverse-ETL validation and the
parametrised tests. A new object is a new row, not new code. Facts and their sources are in
``shared/custify-api.md`` (section numbers are given next to each row).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from models.types import ActionKind, Envelope, FieldType, IdLocation, SortStyle, Trigger

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


@dataclass(frozen=True)
class Identifier:
    """One way an action can name its target record.

    ``path`` overrides the action's path template when this identifier is used, e.g. people
    get by ``id`` is ``GET /people/{id}`` while by ``email`` it is ``GET /people?email=``.
    """

    name: str
    location: IdLocation
    path: str | None = None


@dataclass(frozen=True)
class Action:
    """One Custify write (or get) action, as the integration we mirror exposes it."""

    name: str  # "<object>.<verb>", unique, e.g. "people.upsert"
    family: str  # the design's action family ("People", "Financials", ...), for the 49 count
    kind: ActionKind
    method: str
    path: str  # template; ``{name}`` placeholders are path parameters
    identifiers: tuple[Identifier, ...] = ()
    body: Mapping[str, FieldType] = field(default_factory=dict)
    required: tuple[str, ...] = ()  # body fields that must be present
    #: query parameters that are not identifiers (e.g. time tracks' ``user``)
    query: tuple[str, ...] = ()
    #: path parameters that name a parent (comments: entityModel + entity)
    parent_params: tuple[str, ...] = ()
    response: Envelope = Envelope.ENTITY
    response_key: str | None = None
    #: ``POST /batch`` job type that can carry this action's payload, if any (§15)
    batch_job: str | None = None
    multipart: bool = False
    #: Custify does not deduplicate this create (notes, tasks, comments, replies, files, ...)
    duplicates_on_retry: bool = False
    #: fixed body values this action always sends (e.g. tag type add/remove is a row field)
    doc: str = ""

    @property
    def object(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def verb(self) -> str:
        return self.name.split(".", 1)[1]

    @property
    def path_params(self) -> tuple[str, ...]:
        import string

        return tuple(f for _, f, _, _ in string.Formatter().parse(self.path) if f)


@dataclass(frozen=True)
class ListVariant:
    """One extra query a list needs to cover the whole object (segments of both types)."""

    params: Mapping[str, str]
    label: str


@dataclass(frozen=True)
class CustifyObject:
    """One Custify object: how to list it, how to page and sort it, and how to write it."""

    name: str  # registry key and warehouse table name
    list_path: str | None
    envelope: Envelope = Envelope.OBJECT
    envelope_key: str | None = None
    page_size_max: int = 50
    sort_style: SortStyle = SortStyle.SORTING_JSON
    id_field: str = "id"
    #: field the incremental scan orders and filters on; None = not incrementally listable
    cursor_field: str | None = "updated_at"
    created_field: str = "created_at"
    triggers: tuple[Trigger, ...] = ()
    #: extracted by the ELT source into a warehouse table of the same name
    extracted: bool = False
    #: listed per parent record: the parent object and the query parameter that names it
    per_parent: tuple[str, str] | None = None
    variants: tuple[ListVariant, ...] = ()
    #: fixed list parameters (e.g. ``includeCounts=false`` to save Custify work)
    list_params: Mapping[str, str] = field(default_factory=dict)
    #: tag category of this object's tags (custify-api.md §1.6)
    tag_category: str | None = None
    #: fields holding lists of objects that the ELT source lands as ``<table>__<field>``
    child_lists: tuple[str, ...] = ()
    #: fields that Custify computes; the reverse ETL refuses to write them
    read_only: tuple[str, ...] = ()
    actions: tuple[Action, ...] = ()
    doc: str = ""

    @property
    def sort_field(self) -> str | None:
        return self.cursor_field

    def action(self, verb: str) -> Action:
        for action in self.actions:
            if action.verb == verb:
                return action
        raise KeyError(f"object {self.name!r} has no action {verb!r}")


# --------------------------------------------------------------------------------------------
# Body field sets (custify-api.md §2–§13)
# --------------------------------------------------------------------------------------------

PEOPLE_BODY = {
    "id": S, "user_id": S, "email": S, "name": S, "phone": S, "signed_up_at": D,
    "session_count": I, "unsubscribed_from_emails": B, "unsubscribed_from_calls": B,
    "custom_attributes": A, "companies": L, "$unset": L,
}  # fmt: skip
COMPANY_BODY = {
    "id": S, "company_id": S, "name": S, "signed_up_at": D, "size": I, "website": S,
    "industry": S, "plan": S, "monthly_revenue": I, "churned": B, "owners_csm": S,
    "owners_account": S, "parent_companies": L, "custom_attributes": A, "$unset": L,
}  # fmt: skip
EVENT_BODY = {
    "name": S, "created_at": D, "user_id": S, "email": S, "company_id": S,
    "deduplication_id": S, "metadata": O,
}  # fmt: skip
NOTE_BODY = {
    "text": S, "entity": S, "entityModel": S, "sticky": B, "showInPortal": B, "tags": L,
    "files": L, "metadata": O, "subject": S,
}  # fmt: skip
TAG_BODY = {"name": S, "category": S, "description": S}
TAG_ENTITY_BODY = {"ids": L, "type": S, "category": S, "tag": S}
PEOPLE_TAG_BODY = {"ids": L, "type": S, "tag": S}
SCORE_BODY = {"score": I, "comment": S, "submittedAt": D, "surveyId": S}
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

ID_PATH = Identifier("id", IdLocation.PATH)
ID_BODY = Identifier("id", IdLocation.BODY)
EXTERNAL_ID_PATH = Identifier("externalId", IdLocation.PATH)


def _financial(kind: str, plural: str, body: Mapping[str, FieldType]) -> CustifyObject:
    """Deals, invoices and subscriptions share one shape (custify-api.md §12)."""
    base = f"/financial/{kind}"
    family = "Financials"
    return CustifyObject(
        name=plural,
        list_path=base,
        envelope=Envelope.OBJECT_OR_SINGLE,
        envelope_key=plural,
        page_size_max=50,
        sort_style=SortStyle.SORT_ORDER,
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
            ),
            Action(
                f"{plural}.update",
                family,
                ActionKind.UPDATE,
                "POST",
                base + "/{id}",
                (ID_PATH,),
                body,
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
        doc="§12; no generic timestamps documented, the sandbox serves created_at/updated_at",
    )


OBJECTS: tuple[CustifyObject, ...] = (
    CustifyObject(
        name="people",
        list_path="/people/all",
        envelope=Envelope.ARRAY_WRAPPED,
        envelope_key="people",
        page_size_max=200,
        triggers=(Trigger.CREATED, Trigger.UPDATED),
        extracted=True,
        tag_category="people",
        read_only=("segments", "tags", "created_at", "updated_at"),
        actions=(
            Action(
                "people.create",
                "People",
                ActionKind.CREATE,
                "POST",
                "/people",
                (Identifier("user_id", IdLocation.BODY), Identifier("email", IdLocation.BODY)),
                PEOPLE_BODY,
                batch_job="people",
            ),
            Action(
                "people.update",
                "People",
                ActionKind.UPDATE,
                "POST",
                "/people",
                (ID_BODY,),
                PEOPLE_BODY,
                ("id",),
                batch_job="people",
            ),
            Action(
                "people.upsert",
                "People",
                ActionKind.UPSERT,
                "POST",
                "/people",
                (
                    ID_BODY,
                    Identifier("user_id", IdLocation.BODY),
                    Identifier("email", IdLocation.BODY),
                ),
                PEOPLE_BODY,
                batch_job="people",
                doc="lookup order id -> user_id -> email; an email match with another "
                "user_id creates a NEW person (§2)",
            ),
            Action(
                "people.get",
                "People",
                ActionKind.GET,
                "GET",
                "/people",
                (
                    Identifier("id", IdLocation.PATH, "/people/{id}"),
                    Identifier("user_id", IdLocation.QUERY),
                    Identifier("email", IdLocation.QUERY),
                ),
                response=Envelope.ARRAY_WRAPPED,
                response_key="people",
                doc="by id: bare object; by user_id/email: [{people: [...]}] (§18.2)",
            ),
            Action(
                "people.delete",
                "People",
                ActionKind.DELETE,
                "DELETE",
                "/people",
                (
                    Identifier("id", IdLocation.PATH, "/people/{id}"),
                    Identifier("user_id", IdLocation.QUERY),
                    Identifier("email", IdLocation.QUERY),
                ),
            ),
            Action(
                "people.tag",
                "People",
                ActionKind.TAG,
                "POST",
                "/people/tag",
                (),
                PEOPLE_TAG_BODY,
                ("ids", "type", "tag"),
            ),
        ),  # fmt: skip
        doc="§2",
    ),
    CustifyObject(
        name="companies",
        list_path="/company/all",
        envelope=Envelope.OBJECT,
        envelope_key="companies",
        page_size_max=200,
        extracted=True,
        tag_category="company",
        read_only=("metrics", "segments", "tags", "created_at", "updated_at"),
        actions=(
            Action(
                "companies.create",
                "Companies",
                ActionKind.CREATE,
                "POST",
                "/company",
                (Identifier("company_id", IdLocation.BODY),),
                COMPANY_BODY,
                ("company_id",),
                batch_job="company",
            ),
            Action(
                "companies.update",
                "Companies",
                ActionKind.UPDATE,
                "POST",
                "/company",
                (ID_BODY, Identifier("company_id", IdLocation.BODY)),
                COMPANY_BODY,
                batch_job="company",
            ),
            Action(
                "companies.upsert",
                "Companies",
                ActionKind.UPSERT,
                "POST",
                "/company",
                (ID_BODY, Identifier("company_id", IdLocation.BODY)),
                COMPANY_BODY,
                batch_job="company",
                doc="company_id is immutable through the API (§18.13)",
            ),
            Action(
                "companies.get",
                "Companies",
                ActionKind.GET,
                "GET",
                "/company",
                (
                    Identifier("id", IdLocation.PATH, "/company/{id}"),
                    Identifier("company_id", IdLocation.QUERY),
                ),
                response=Envelope.OBJECT,
                response_key="companies",
                doc="both forms answer with the companies envelope (§18.1)",
            ),
            Action(
                "companies.delete",
                "Companies",
                ActionKind.DELETE,
                "DELETE",
                "/company",
                (
                    Identifier("id", IdLocation.PATH, "/company/{id}"),
                    Identifier("company_id", IdLocation.QUERY),
                ),
            ),
        ),  # fmt: skip
        doc="§3; no trigger, extracted because everything links to companies",
    ),
    CustifyObject(
        name="events",
        list_path=None,
        envelope=Envelope.EMPTY,
        cursor_field=None,
        actions=(
            Action(
                "events.insert",
                "People",
                ActionKind.APPEND,
                "POST",
                "/event",
                (
                    Identifier("user_id", IdLocation.BODY),
                    Identifier("email", IdLocation.BODY),
                    Identifier("company_id", IdLocation.BODY),
                ),
                EVENT_BODY,
                ("name", "created_at"),
                response=Envelope.EMPTY,
                batch_job="event",
                doc="202 empty body; deduplication_id makes retries safe (§4)",
            ),
        ),  # fmt: skip
        doc="§4; write-only",
    ),
    CustifyObject(
        name="notes",
        list_path="/note",
        envelope_key="notes",
        page_size_max=50,  # no documented max; the MCP uses 50 (§1.7)
        sort_style=SortStyle.SORT_ORDER,
        triggers=(Trigger.CREATED, Trigger.UPDATED),
        extracted=True,
        tag_category="note",
        actions=(
            Action(
                "notes.create",
                "Notes",
                ActionKind.CREATE,
                "POST",
                "/note",
                (),
                NOTE_BODY,
                ("text", "entity", "entityModel"),
                duplicates_on_retry=True,
            ),
            Action(
                "notes.update",
                "Notes",
                ActionKind.UPDATE,
                "POST",
                "/note/{id}",
                (ID_PATH,),
                NOTE_BODY,
            ),
            Action(
                "notes.upsert",
                "Notes",
                ActionKind.UPSERT,
                "POST",
                "/note/{id}",
                (ID_PATH,),
                NOTE_BODY,
                duplicates_on_retry=True,
                doc="POST /note/{id} when an id is known, else POST /note (§16)",
            ),
        ),  # fmt: skip
        doc="§6; text is HTML",
    ),
    CustifyObject(
        name="tags",
        list_path="/tag",
        envelope_key="tags",
        page_size_max=100,  # no documented max; the MCP uses 100 (§1.7)
        sort_style=SortStyle.SORT_ORDER,
        actions=(
            Action(
                "tags.create",
                "Tags",
                ActionKind.CREATE,
                "POST",
                "/tag",
                (),
                TAG_BODY,
                ("name", "category"),
                duplicates_on_retry=True,
            ),
            Action(
                "tags.update", "Tags", ActionKind.UPDATE, "POST", "/tag/{id}", (ID_PATH,), TAG_BODY
            ),
            Action(
                "tags.upsert",
                "Tags",
                ActionKind.UPSERT,
                "POST",
                "/tag/{id}",
                (ID_PATH,),
                TAG_BODY,
                duplicates_on_retry=True,
                doc="no upsert by name: look the name up in the list first (§5)",
            ),
            Action("tags.delete", "Tags", ActionKind.DELETE, "DELETE", "/tag/{id}", (ID_PATH,)),
            Action(
                "tags.entity",
                "Tags",
                ActionKind.TAG,
                "PATCH",
                "/tag/entity",
                (),
                TAG_ENTITY_BODY,
                ("ids", "type", "category", "tag"),
                doc="up to 100 ids a request (§5)",
            ),
        ),  # fmt: skip
        doc="§5",
    ),
    CustifyObject(
        name="scores",
        list_path=None,
        cursor_field=None,
        actions=(
            Action(
                "scores.nps",
                "Scores",
                ActionKind.APPEND,
                "POST",
                "/nps_score",
                (
                    Identifier("id", IdLocation.PATH, "/nps_score/{id}"),
                    Identifier("email", IdLocation.QUERY),
                    Identifier("user_id", IdLocation.QUERY),
                ),
                SCORE_BODY,
                ("score",),
                doc="only the newest score by submittedAt is kept per person (§11)",
            ),
            Action(
                "scores.csat",
                "Scores",
                ActionKind.APPEND,
                "POST",
                "/csat_score",
                (
                    Identifier("id", IdLocation.PATH, "/csat_score/{id}"),
                    Identifier("email", IdLocation.QUERY),
                    Identifier("user_id", IdLocation.QUERY),
                ),
                SCORE_BODY,
                ("score",),
            ),
        ),  # fmt: skip
        doc="§11; write-only (the survey responses carry the scores back)",
    ),
    CustifyObject(
        name="tickets",
        list_path="/ticket",
        envelope_key="tickets",
        page_size_max=200,
        sort_style=SortStyle.SORT_ORDER,
        triggers=(Trigger.CREATED, Trigger.UPDATED),
        extracted=True,
        child_lists=("replies",),
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
            ),
        ),  # fmt: skip
        doc="§7",
    ),
    CustifyObject(
        name="tasks",
        list_path="/task",
        envelope_key="tasks",
        page_size_max=50,
        triggers=(Trigger.CREATED, Trigger.UPDATED),
        extracted=True,
        tag_category="task",
        child_lists=("checklist",),
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
            ),
            Action(
                "tasks.update",
                "Tasks",
                ActionKind.UPDATE,
                "PUT",
                "/task/{_id}",
                (Identifier("_id", IdLocation.PATH),),
                TASK_BODY,
                doc="the body carries _id as well (§8, quirk 9)",
            ),
        ),  # fmt: skip
        doc="§8; GET /task/{id} answers with the tasks envelope",
    ),
    CustifyObject(
        name="comments",
        list_path="/comment/{entityModel}/{entity}",
        envelope_key="comments",
        page_size_max=50,
        sort_style=SortStyle.SORT_ORDER,
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
            ),
        ),  # fmt: skip
        doc="§9; entityModel is Note or Task; listed per parent only",
    ),
    CustifyObject(
        name="files",
        list_path="/file",
        envelope_key="files",
        page_size_max=50,
        sort_style=SortStyle.NONE,
        cursor_field="created_at",
        triggers=(Trigger.CREATED,),
        extracted=True,
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
        envelope_key="time_track",
        page_size_max=50,
        triggers=(Trigger.CREATED, Trigger.UPDATED),
        extracted=True,
        tag_category="time_tracker",
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
            ),
            Action(
                "time_tracks.delete",
                "Time Tracks",
                ActionKind.DELETE,
                "DELETE",
                "/time-track",
                (Identifier("id", IdLocation.QUERY),),
            ),
        ),  # fmt: skip
        doc="§13; list key `time_track`; write startedDate, read startDate",
    ),
    CustifyObject(
        name="surveys",
        list_path="/survey",
        envelope=Envelope.BARE_ARRAY,
        page_size_max=50,
        sort_style=SortStyle.NONE,
        cursor_field="created_at",
        triggers=(Trigger.CREATED,),
        extracted=True,
        tag_category="survey",
        doc="§11; a bare array, no total",
    ),
    CustifyObject(
        name="meetings",
        list_path="/calendar/meeting",
        envelope_key="meetings",
        page_size_max=50,
        triggers=(Trigger.CREATED, Trigger.UPDATED),
        extracted=True,
        tag_category="meeting",
        child_lists=("participants",),
        doc="§14",
    ),
    CustifyObject(
        name="health_scores",
        list_path="/health_score",
        envelope_key="health_scores",
        page_size_max=50,
        triggers=(Trigger.CREATED, Trigger.UPDATED),
        extracted=True,
        tag_category="health_score",
        doc="§14; definitions, not values",
    ),
    CustifyObject(
        name="segments",
        list_path="/segment",
        envelope_key="segments",
        page_size_max=50,
        triggers=(Trigger.CREATED, Trigger.UPDATED),
        extracted=True,
        tag_category="segment",
        variants=(
            ListVariant(MappingProxyType({"type": "people"}), "people"),
            ListVariant(MappingProxyType({"type": "company"}), "company"),
        ),
        doc="§14; default type is people, so both types are polled (quirk 17)",
    ),
    CustifyObject(
        name="lifecycles",
        list_path="/lifecycle",
        envelope_key="lifecycles",
        page_size_max=200,
        triggers=(Trigger.CREATED, Trigger.UPDATED),
        extracted=True,
        tag_category="lifecycle",
        child_lists=("goals",),
        doc="§14",
    ),
    CustifyObject(
        name="playbooks",
        list_path="/playbook",
        envelope_key="playbooks",
        page_size_max=200,
        triggers=(Trigger.CREATED, Trigger.UPDATED),
        extracted=True,
        tag_category="playbook",
        list_params=MappingProxyType({"includeCounts": "false"}),
        variants=(
            ListVariant(MappingProxyType({"type": "companies"}), "companies"),
            ListVariant(MappingProxyType({"type": "people"}), "people"),
        ),
        doc="§14; default type is companies, so both types are polled (quirk 17)",
    ),
    CustifyObject(
        name="customer_objectives",
        list_path="/objective",
        envelope_key="objectives",
        page_size_max=50,
        triggers=(Trigger.CREATED, Trigger.UPDATED),
        extracted=True,
        per_parent=("companies", "company"),
        doc="§14; no global list: one scan per company, 400 without company (quirk 18)",
    ),
    CustifyObject(
        name="batch_jobs",
        list_path=None,
        cursor_field=None,
        actions=(),
        doc="§15; POST /batch (202 + job id, at most 100 jobs), GET /batch/{id} for status",
    ),
)

#: ``POST /batch`` limits (custify-api.md §15).
BATCH_PATH = "/batch"
BATCH_STATUS_PATH = "/batch/{id}"
BATCH_MAX_JOBS = 100
BATCH_MAX_SYNC_JOBS = 3
#: ``PATCH /tag/entity`` takes at most this many ids (§5, the MCP's cap).
TAG_ENTITY_MAX_IDS = 100
#: Custify's published rate limit (§1.8).
RATE_LIMIT_REQUESTS = 100
RATE_LIMIT_WINDOW_S = 10.0

#: The design's action families and their sizes (design.md "What must be covered").
ACTION_FAMILIES: Mapping[str, int] = MappingProxyType(
    {
        "People": 7, "Companies": 5, "Notes": 3, "Tags": 5, "Scores": 2, "Tickets": 4,
        "Tasks": 2, "Comments": 3, "Files": 3, "Financials": 12, "Time Tracks": 3,
    }
)  # fmt: skip

REGISTRY: Mapping[str, CustifyObject] = MappingProxyType({o.name: o for o in OBJECTS})
ACTIONS: Mapping[str, Action] = MappingProxyType({a.name: a for o in OBJECTS for a in o.actions})
EXTRACTED: tuple[CustifyObject, ...] = tuple(o for o in OBJECTS if o.extracted)
#: Triggers we mirror: every (object, created|updated) pair of an extracted object.
TRIGGERS: tuple[tuple[str, Trigger], ...] = tuple(
    (o.name, t) for o in EXTRACTED for t in o.triggers
)


def get_object(name: str) -> CustifyObject:
    """The registry row for ``name``, or a KeyError that lists the known names."""
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise KeyError(f"unknown Custify object {name!r}; known objects: {known}") from None


def get_action(name: str) -> Action:
    """The action called ``name`` (``<object>.<verb>``), or a KeyError listing the known ones."""
    try:
        return ACTIONS[name]
    except KeyError:
        known = ", ".join(sorted(ACTIONS))
        raise KeyError(f"unknown Custify action {name!r}; known actions: {known}") from None

"""Registry rows of people, companies, events, notes, tags and scores (custify-api.md §2–§6, §11).

Read through ``models.registry``; the row types are in ``models.rows``.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from models.rows import (
    UNREAD,
    Action,
    Constraint,
    CustifyObject,
    Finder,
    GetOne,
    Identifier,
    KeyedList,
    Link,
    ReadAs,
    ReadBack,
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
    ValueFormat,
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

ID_PATH = Identifier("id", IdLocation.PATH)
ID_BODY = Identifier("id", IdLocation.BODY)
EXTERNAL_ID_PATH = Identifier("externalId", IdLocation.PATH)

#: Several people may share an e-mail: an e-mail match whose stored user_id differs creates a
#: NEW person (DOC §2, upsert rule 4). Whether a user_id is unique is not documented, and
#: RudderStack's delete answer reads "All users associated with X were deleted" (INF §2).
EMAIL_SEVERAL = "DOC §2 (upsert rule 4: an e-mail match with another user_id creates a person)"
USER_ID_SEVERAL = "INF §2 (uniqueness undocumented; delete answers 'All users associated with X')"
#: A score names its person by Custify id, or by e-mail/user_id in the query (§11); rows naming
#: the person by e-mail or user_id are resolved to one id first (several people may share them).
SCORE_REFS = (
    Ref("email", "id", "people", "email"),
    Ref("user_id", "id", "people", "user_id"),
)
#: A score tied to a survey reads back as its person's response to that survey (§11); Custify
#: keeps only the newest score by ``submittedAt``, so a set-back wins only without an older date.
SCORE_READ_BACK = ReadBack(
    "survey_responses", {"surveyId": "survey"}, ("id", "people"),
    {"score": "score", "comment": "comment"},
)  # fmt: skip
#: Custify's longest stored string on people and companies (§1.4).
PROFILE_STRING_MAX = 255
#: Tag categories (§1.6): the spec's enum plus ``time_tracker`` and ``meeting`` from its prose.
TAG_CATEGORIES = (
    "people", "company", "task", "note", "segment", "playbook", "lifecycle", "health_score",
    "survey", "calculated_metric", "time_tracker", "meeting",
)  # fmt: skip
EMAIL = Constraint(format=ValueFormat.EMAIL, source="§2")
A_USER = Constraint(format=ValueFormat.USER, source="§1.5")
#: People read ``companies`` back as Custify company ids; rows link them by either id (§2).
COMPANY_LINKS = ReadAs("companies", ReadNorm.LINKS, via=(("companies", "company_id"),))
PEOPLE_READ = {"companies": COMPANY_LINKS, "$unset": UNREAD}
#: Owners are written as a user's e-mail (or id) and read as the id plus ``_email`` (§1.5).
COMPANY_READ = {
    "owners_csm": ReadAs("owners_csm", ReadNorm.USER, email="owners_csm_email"),
    "owners_account": ReadAs("owners_account", ReadNorm.USER, email="owners_account_email"),
    "parent_companies": ReadAs("parent_companies", ReadNorm.LINKS,
                               via=(("companies", "company_id"),)),
    "$unset": UNREAD,
}  # fmt: skip
COMPANY_RULES = {"owners_csm": A_USER, "owners_account": A_USER}
#: Notes read tags and files back as id lists; ``metadata`` and the MCP's ``subject`` are not
#: documented in the read shape (§6), so only the confirmed write tells.
NOTE_READ = {
    "tags": ReadAs("tags", ReadNorm.SET), "files": ReadAs("files", ReadNorm.SET),
    "metadata": UNREAD, "subject": UNREAD,
}  # fmt: skip
NOTE_RULES = {"entityModel": Constraint(choices=("Company", "Customer"), source="§6, quirk 11")}
TAG_RULES = {"category": Constraint(choices=TAG_CATEGORIES, source="§1.6")}
#: A note names its person or company by Custify id; rows may name it by the user's ids (§6).
NOTE_REFS = (
    Ref("company_id", "entity", "companies", "company_id", {"entityModel": "Company"}),
    Ref("user_id", "entity", "people", "user_id", {"entityModel": "Customer"}),
    Ref("email", "entity", "people", "email", {"entityModel": "Customer"}),
    Ref("entity", "entity", "companies", "id", when={"entityModel": "Company"}),
    Ref("entity", "entity", "people", "id", when={"entityModel": "Customer"}),
)
#: Notes are not deduplicated (§16): each carries a hidden token in its HTML text, and an
#: unconfirmed create is looked for among the notes of its entity before it is sent again.
NOTE_RECOVERY = Recovery("/note/{entity}", marker="text")
#: Tag names are unique per category (§1.6): an unconfirmed create is found by name.
TAG_RECOVERY = Recovery(
    "/tag", params={"category": "category"}, match={"name": "name", "category": "category"}
)

#: How a person, a company and a note created through the API read back (§2, §3, §6).
PEOPLE_NEW: MappingProxyType[str, Any] = MappingProxyType({
    "unsubscribed_from_emails": False, "unsubscribed_from_calls": False, "session_count": 0,
    "last_seen_at": None, "custom_attributes": {}, "companies": [], "tags": [],
})  # fmt: skip
COMPANY_NEW: MappingProxyType[str, Any] = MappingProxyType({
    **{f"{owner}{part}": None for owner in ("owners_csm", "owners_account")
       for part in ("", "_email", "_name")},
    "churned": False, "parent_companies": [], "custom_attributes": {}, "tags": [],
    "metrics": {"health_scores": {}, "calculated_metrics": {}, "people_count": 0},
})  # fmt: skip
NOTE_NEW: MappingProxyType[str, Any] = MappingProxyType({
    "tags": [], "files": [], "sticky": False, "showInPortal": False, "status": "active",
    "createdBy": None, "createdByType": "api", "externalProvider": None, "externalId": None,
    "metadata": {"mentionedUsers": []},
})  # fmt: skip

#: A company's health-score values, one row per score: ``companies__health_scores`` (§3).
HEALTH_SCORE_VALUES = KeyedList(
    "metrics.health_scores", "health_scores", "health_score_id", ("score", "value"),
    names_from="health_scores",
)  # fmt: skip
#: Its calculated-metric values (plain numbers keyed by metric id, §3), the same way.
CALCULATED_METRIC_VALUES = KeyedList(
    "metrics.calculated_metrics", "calculated_metrics", "calculated_metric_id",
    names_from="calculated_metrics",
)  # fmt: skip

CRM_OBJECTS: tuple[CustifyObject, ...] = (
    CustifyObject(
        name="people",
        list_path="/people/all",
        links=(Link("companies", "companies"),),
        label="User",
        default_sort=("signed_up_at", True),
        filter_style=FilterStyle.ENTITY,
        scoped_paths=("/company/people/{company}",),
        new_record=PEOPLE_NEW,
        accepts_properties=True,
        envelope=Envelope.ARRAY_WRAPPED,
        envelope_key="people",
        page_size_max=200,
        triggers=(Trigger.CREATED, Trigger.UPDATED),
        extracted=True,
        tag_category="people",
        read_only=("segments", "tags", "created_at", "updated_at"),
        unsettable=(
            "name",
            "phone",
            "signed_up_at",
            "session_count",
            "unsubscribed_from_emails",
            "unsubscribed_from_calls",
        ),
        string_max=PROFILE_STRING_MAX,
        find_by={
            "id": Finder("get", "id"),
            "user_id": Finder(
                "get", "user_id", several=True, filter_type="String", source=USER_ID_SEVERAL
            ),
            "email": Finder(
                "get", "email", several=True, filter_type="String", source=EMAIL_SEVERAL
            ),
        },
        attributes_path="/customer/attributes",
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
                read_as=PEOPLE_READ,
                constraints={"email": EMAIL},
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
                read_as=PEOPLE_READ,
                constraints={"email": EMAIL},
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
                read_as=PEOPLE_READ,
                constraints={"email": EMAIL},
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
                constraints={"type": Constraint(choices=("add", "remove"), source="§2")},
            ),
        ),  # fmt: skip
        doc="§2",
    ),
    CustifyObject(
        name="companies",
        list_path="/company/all",
        links=(Link("parent_companies", "companies"),),
        label="Company",
        default_sort=("signed_up_at", True),
        filter_style=FilterStyle.ENTITY,
        new_record=COMPANY_NEW,
        accepts_properties=True,
        envelope=Envelope.OBJECT,
        envelope_key="companies",
        page_size_max=200,
        extracted=True,
        tag_category="company",
        read_only=("metrics", "segments", "tags", "created_at", "updated_at"),
        keyed_lists=(HEALTH_SCORE_VALUES, CALCULATED_METRIC_VALUES),
        unsettable=(
            "name",
            "plan",
            "signed_up_at",
            "owners_csm",
            "owners_account",
            "size",
            "website",
            "industry",
            "monthly_revenue",
        ),
        string_max=PROFILE_STRING_MAX,
        find_by={"id": Finder("get", "id"), "company_id": Finder("get", "company_id")},
        attributes_path="/company/attributes",
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
                read_as=COMPANY_READ,
                constraints=COMPANY_RULES,
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
                read_as=COMPANY_READ,
                constraints=COMPANY_RULES,
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
                read_as=COMPANY_READ,
                constraints=COMPANY_RULES,
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
        string_max=100,  # event strings and metadata values (§4)
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
                constraints={"email": EMAIL, "metadata": Constraint(max_len=10_000, source="§4")},
                response=Envelope.EMPTY,
                batch_job="event",
                dedup_key="deduplication_id",
                doc="202 empty body; deduplication_id makes retries safe (§4)",
            ),
        ),  # fmt: skip
        doc="§4; write-only",
    ),
    CustifyObject(
        name="notes",
        list_path="/note",
        links=(Link("people", "people"), Link("company", "companies")),
        label="Note",
        default_sort=("created_at", True),
        filter_style=FilterStyle.ACTIVITY,
        scoped_paths=("/note/{entity}",),
        new_record=NOTE_NEW,
        envelope_key="notes",
        page_size_max=50,  # no documented max; the MCP uses 50 (§1.7)
        page_size_params=("limit", "itemsPerPage"),  # §1.7 limitParam; both are harmless
        sort_style=SortStyle.SORT_ORDER,
        triggers=(Trigger.CREATED, Trigger.UPDATED),
        extracted=True,
        tag_category="note",
        find_by={"id": Finder("scan", "id")},  # no GET /note/{id}: the list, once per run
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
                refs=NOTE_REFS,
                recovery=NOTE_RECOVERY,
                read_as=NOTE_READ,
                constraints=NOTE_RULES,
            ),
            Action(
                "notes.update",
                "Notes",
                ActionKind.UPDATE,
                "POST",
                "/note/{id}",
                (ID_PATH,),
                NOTE_BODY,
                refs=NOTE_REFS,
                read_as=NOTE_READ,
                constraints=NOTE_RULES,
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
                refs=NOTE_REFS,
                recovery=NOTE_RECOVERY,
                read_as=NOTE_READ,
                constraints=NOTE_RULES,
                doc="POST /note/{id} when an id is known, else POST /note (§16)",
            ),
        ),  # fmt: skip
        doc="§6; text is HTML",
    ),
    CustifyObject(
        name="tags",
        list_path="/tag",
        label="Tag",
        default_sort=("position", False),
        get_one=GetOne("/tag/{id}"),
        new_record=MappingProxyType(
            {"description": "", "color": "#3498db", "color_text": "#ffffff"}
        ),
        envelope_key="tags",
        page_size_max=100,  # no documented max; the MCP uses 100 (§1.7)
        page_size_params=("limit", "itemsPerPage"),  # §1.7 limitParam; both are harmless
        sort_style=SortStyle.SORT_ORDER,
        # sorting by updated_at through ``sort`` is not documented (default: position, §1.7):
        # the scan stops early only while the pages it read were in that order
        extracted=True,
        find_by={
            "id": Finder("scan", "id"),
            "name": Finder("scan", "name", within=("category",)),
        },
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
                recovery=TAG_RECOVERY,
                constraints=TAG_RULES,
            ),
            Action(
                "tags.update",
                "Tags",
                ActionKind.UPDATE,
                "POST",
                "/tag/{id}",
                (ID_PATH,),
                TAG_BODY,
                constraints=TAG_RULES,
            ),  # fmt: skip
            Action(
                "tags.upsert",
                "Tags",
                ActionKind.UPSERT,
                "POST",
                "/tag/{id}",
                (ID_PATH,),
                TAG_BODY,
                duplicates_on_retry=True,
                recovery=TAG_RECOVERY,
                constraints=TAG_RULES,
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
                constraints={
                    "type": Constraint(choices=("add", "remove"), source="§5"),
                    **TAG_RULES,
                },
                doc="up to 100 ids a request (§5)",
            ),
        ),  # fmt: skip
        doc="§5; no trigger (§17), extracted to name the tag ids other objects carry",
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
                refs=SCORE_REFS,
                read_back=SCORE_READ_BACK,
                constraints={"score": Constraint(lo=0, hi=10, source="§11"), "email": EMAIL},
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
                refs=SCORE_REFS,
                read_back=SCORE_READ_BACK,
                constraints={"score": Constraint(lo=1, hi=5, source="§11"), "email": EMAIL},
            ),
        ),  # fmt: skip
        doc="§11; write-only (the survey responses carry the scores back)",
    ),
)

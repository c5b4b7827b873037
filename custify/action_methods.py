"""The registry's actions as typed ``CustifyClient`` methods (generated: do not edit).

Rendered by ``custify.action_codegen`` from ``models.registry.ACTIONS``; regenerate with
``python -m custify.action_codegen`` after a registry change (a test checks it is current).

- ``client.<object>_<verb>(payload)``, e.g. ``client.people_upsert({...})``;
- an action whose only identifier is a path segment takes it first, positionally:
  ``client.tickets_reply(external_id, {...})``, ``client.tasks_update(task_id, {...})``;
- other identifiers, parent params and query params are keywords:
  ``client.people_get(email="a@b.c")``, ``client.deals_delete(externalId="D-1")``,
  ``client.comments_create({...}, entityModel="Note", entity=note_id)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from custify.named_actions import NamedActions

Payload = Mapping[str, Any] | None


class ActionMethods(NamedActions):
    """One method per registry action; each sends through ``NamedActions.named``."""

    def people_create(
        self,
        payload: Payload = None,
        /,
        *,
        user_id: Any = None,
        email: Any = None,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """People: people.create -> POST /people.

        Identifiers: user_id (body), email (body).
        """
        return self.named(
            "people.create",
            payload,
            positional=None,
            ids={"user_id": user_id, "email": email},
            parent={},
            extra_query={},
            query=query,
            files=files,
        )

    def people_update(
        self,
        payload: Payload = None,
        /,
        *,
        id: Any = None,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """People: people.update -> POST /people.

        Identifiers: id (body).
        """
        return self.named(
            "people.update",
            payload,
            positional=None,
            ids={"id": id},
            parent={},
            extra_query={},
            query=query,
            files=files,
        )

    def people_upsert(
        self,
        payload: Payload = None,
        /,
        *,
        id: Any = None,
        user_id: Any = None,
        email: Any = None,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """People: people.upsert -> POST /people.

        Identifiers: id (body), user_id (body), email (body).

        lookup order id -> user_id -> email; an email match with another user_id creates a NEW person (§2)
        """
        return self.named(
            "people.upsert",
            payload,
            positional=None,
            ids={"id": id, "user_id": user_id, "email": email},
            parent={},
            extra_query={},
            query=query,
            files=files,
        )

    def people_get(
        self,
        payload: Payload = None,
        /,
        *,
        id: Any = None,
        user_id: Any = None,
        email: Any = None,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """People: people.get -> GET /people.

        Identifiers: id (path), user_id (query), email (query).

        by id: bare object; by user_id/email: [{people: [...]}] (§18.2)
        """
        return self.named(
            "people.get",
            payload,
            positional=None,
            ids={"id": id, "user_id": user_id, "email": email},
            parent={},
            extra_query={},
            query=query,
            files=files,
        )

    def people_delete(
        self,
        payload: Payload = None,
        /,
        *,
        id: Any = None,
        user_id: Any = None,
        email: Any = None,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """People: people.delete -> DELETE /people.

        Identifiers: id (path), user_id (query), email (query).
        """
        return self.named(
            "people.delete",
            payload,
            positional=None,
            ids={"id": id, "user_id": user_id, "email": email},
            parent={},
            extra_query={},
            query=query,
            files=files,
        )

    def people_tag(
        self,
        payload: Payload = None,
        /,
        *,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """People: people.tag -> POST /people/tag.

        Identifiers: none.
        """
        return self.named(
            "people.tag",
            payload,
            positional=None,
            ids={},
            parent={},
            extra_query={},
            query=query,
            files=files,
        )

    def companies_create(
        self,
        payload: Payload = None,
        /,
        *,
        company_id: Any = None,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Companies: companies.create -> POST /company.

        Identifiers: company_id (body).
        """
        return self.named(
            "companies.create",
            payload,
            positional=None,
            ids={"company_id": company_id},
            parent={},
            extra_query={},
            query=query,
            files=files,
        )

    def companies_update(
        self,
        payload: Payload = None,
        /,
        *,
        id: Any = None,
        company_id: Any = None,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Companies: companies.update -> POST /company.

        Identifiers: id (body), company_id (body).
        """
        return self.named(
            "companies.update",
            payload,
            positional=None,
            ids={"id": id, "company_id": company_id},
            parent={},
            extra_query={},
            query=query,
            files=files,
        )

    def companies_upsert(
        self,
        payload: Payload = None,
        /,
        *,
        id: Any = None,
        company_id: Any = None,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Companies: companies.upsert -> POST /company.

        Identifiers: id (body), company_id (body).

        company_id is immutable through the API (§18.13)
        """
        return self.named(
            "companies.upsert",
            payload,
            positional=None,
            ids={"id": id, "company_id": company_id},
            parent={},
            extra_query={},
            query=query,
            files=files,
        )

    def companies_get(
        self,
        payload: Payload = None,
        /,
        *,
        id: Any = None,
        company_id: Any = None,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Companies: companies.get -> GET /company.

        Identifiers: id (path), company_id (query).

        both forms answer with the companies envelope (§18.1)
        """
        return self.named(
            "companies.get",
            payload,
            positional=None,
            ids={"id": id, "company_id": company_id},
            parent={},
            extra_query={},
            query=query,
            files=files,
        )

    def companies_delete(
        self,
        payload: Payload = None,
        /,
        *,
        id: Any = None,
        company_id: Any = None,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Companies: companies.delete -> DELETE /company.

        Identifiers: id (path), company_id (query).
        """
        return self.named(
            "companies.delete",
            payload,
            positional=None,
            ids={"id": id, "company_id": company_id},
            parent={},
            extra_query={},
            query=query,
            files=files,
        )

    def events_insert(
        self,
        payload: Payload = None,
        /,
        *,
        user_id: Any = None,
        email: Any = None,
        company_id: Any = None,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """People: events.insert -> POST /event.

        Identifiers: user_id (body), email (body), company_id (body).

        202 empty body; deduplication_id makes retries safe (§4)
        """
        return self.named(
            "events.insert",
            payload,
            positional=None,
            ids={"user_id": user_id, "email": email, "company_id": company_id},
            parent={},
            extra_query={},
            query=query,
            files=files,
        )

    def notes_create(
        self,
        payload: Payload = None,
        /,
        *,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Notes: notes.create -> POST /note.

        Identifiers: none.
        Not retried after it may have reached Custify (duplicates on retry).
        """
        return self.named(
            "notes.create",
            payload,
            positional=None,
            ids={},
            parent={},
            extra_query={},
            query=query,
            files=files,
        )

    def notes_update(
        self,
        id: Any,
        payload: Payload = None,
        /,
        *,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Notes: notes.update -> POST /note/{id}.

        Identifiers: id (path). 'id' is the first positional argument.
        """
        return self.named(
            "notes.update",
            payload,
            positional=("id", id),
            ids={},
            parent={},
            extra_query={},
            query=query,
            files=files,
        )

    def notes_upsert(
        self,
        payload: Payload = None,
        /,
        *,
        id: Any = None,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Notes: notes.upsert -> POST /note/{id}.

        Identifiers: id (path).
        Not retried after it may have reached Custify (duplicates on retry).

        POST /note/{id} when an id is known, else POST /note (§16)
        """
        return self.named(
            "notes.upsert",
            payload,
            positional=None,
            ids={"id": id},
            parent={},
            extra_query={},
            query=query,
            files=files,
        )

    def tags_create(
        self,
        payload: Payload = None,
        /,
        *,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Tags: tags.create -> POST /tag.

        Identifiers: none.
        Not retried after it may have reached Custify (duplicates on retry).
        """
        return self.named(
            "tags.create",
            payload,
            positional=None,
            ids={},
            parent={},
            extra_query={},
            query=query,
            files=files,
        )

    def tags_update(
        self,
        id: Any,
        payload: Payload = None,
        /,
        *,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Tags: tags.update -> POST /tag/{id}.

        Identifiers: id (path). 'id' is the first positional argument.
        """
        return self.named(
            "tags.update",
            payload,
            positional=("id", id),
            ids={},
            parent={},
            extra_query={},
            query=query,
            files=files,
        )

    def tags_upsert(
        self,
        payload: Payload = None,
        /,
        *,
        id: Any = None,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Tags: tags.upsert -> POST /tag/{id}.

        Identifiers: id (path).
        Not retried after it may have reached Custify (duplicates on retry).

        no upsert by name: look the name up in the list first (§5)
        """
        return self.named(
            "tags.upsert",
            payload,
            positional=None,
            ids={"id": id},
            parent={},
            extra_query={},
            query=query,
            files=files,
        )

    def tags_delete(
        self,
        id: Any,
        payload: Payload = None,
        /,
        *,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Tags: tags.delete -> DELETE /tag/{id}.

        Identifiers: id (path). 'id' is the first positional argument.
        """
        return self.named(
            "tags.delete",
            payload,
            positional=("id", id),
            ids={},
            parent={},
            extra_query={},
            query=query,
            files=files,
        )

    def tags_entity(
        self,
        payload: Payload = None,
        /,
        *,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Tags: tags.entity -> PATCH /tag/entity.

        Identifiers: none.

        up to 100 ids a request (§5)
        """
        return self.named(
            "tags.entity",
            payload,
            positional=None,
            ids={},
            parent={},
            extra_query={},
            query=query,
            files=files,
        )

    def scores_nps(
        self,
        payload: Payload = None,
        /,
        *,
        id: Any = None,
        email: Any = None,
        user_id: Any = None,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Scores: scores.nps -> POST /nps_score.

        Identifiers: id (path), email (query), user_id (query).

        only the newest score by submittedAt is kept per person (§11)
        """
        return self.named(
            "scores.nps",
            payload,
            positional=None,
            ids={"id": id, "email": email, "user_id": user_id},
            parent={},
            extra_query={},
            query=query,
            files=files,
        )

    def scores_csat(
        self,
        payload: Payload = None,
        /,
        *,
        id: Any = None,
        email: Any = None,
        user_id: Any = None,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Scores: scores.csat -> POST /csat_score.

        Identifiers: id (path), email (query), user_id (query).
        """
        return self.named(
            "scores.csat",
            payload,
            positional=None,
            ids={"id": id, "email": email, "user_id": user_id},
            parent={},
            extra_query={},
            query=query,
            files=files,
        )

    def tickets_create(
        self,
        payload: Payload = None,
        /,
        *,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Tickets: tickets.create -> POST /ticket.

        Identifiers: none.
        Not retried after it may have reached Custify (duplicates on retry).

        company = YOUR company_id, people = user_id or e-mail (§18.10)
        """
        return self.named(
            "tickets.create",
            payload,
            positional=None,
            ids={},
            parent={},
            extra_query={},
            query=query,
            files=files,
        )

    def tickets_update(
        self,
        externalId: Any,
        payload: Payload = None,
        /,
        *,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Tickets: tickets.update -> PUT /ticket/{externalId}.

        Identifiers: externalId (path). 'externalId' is the first positional argument.

        works as a PATCH; replies replaces the whole array (§7)
        """
        return self.named(
            "tickets.update",
            payload,
            positional=("externalId", externalId),
            ids={},
            parent={},
            extra_query={},
            query=query,
            files=files,
        )

    def tickets_delete(
        self,
        externalId: Any,
        payload: Payload = None,
        /,
        *,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Tickets: tickets.delete -> DELETE /ticket/{externalId}.

        Identifiers: externalId (path). 'externalId' is the first positional argument.
        """
        return self.named(
            "tickets.delete",
            payload,
            positional=("externalId", externalId),
            ids={},
            parent={},
            extra_query={},
            query=query,
            files=files,
        )

    def tickets_reply(
        self,
        externalId: Any,
        payload: Payload = None,
        /,
        *,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Tickets: tickets.reply -> POST /ticket/{externalId}/reply.

        Identifiers: externalId (path). 'externalId' is the first positional argument.
        Not retried after it may have reached Custify (duplicates on retry).
        """
        return self.named(
            "tickets.reply",
            payload,
            positional=("externalId", externalId),
            ids={},
            parent={},
            extra_query={},
            query=query,
            files=files,
        )

    def tasks_create(
        self,
        payload: Payload = None,
        /,
        *,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Tasks: tasks.create -> POST /task.

        Identifiers: none.
        Not retried after it may have reached Custify (duplicates on retry).
        """
        return self.named(
            "tasks.create",
            payload,
            positional=None,
            ids={},
            parent={},
            extra_query={},
            query=query,
            files=files,
        )

    def tasks_update(
        self,
        _id: Any,
        payload: Payload = None,
        /,
        *,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Tasks: tasks.update -> PUT /task/{_id}.

        Identifiers: _id (path). '_id' is the first positional argument.

        the body carries _id as well (§8, quirk 9)
        """
        return self.named(
            "tasks.update",
            payload,
            positional=("_id", _id),
            ids={},
            parent={},
            extra_query={},
            query=query,
            files=files,
        )

    def comments_create(
        self,
        payload: Payload = None,
        /,
        *,
        entityModel: Any = None,
        entity: Any = None,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Comments: comments.create -> POST /comment/{entityModel}/{entity}.

        Identifiers: none.
        Parent keywords: entityModel, entity.
        Not retried after it may have reached Custify (duplicates on retry).
        """
        return self.named(
            "comments.create",
            payload,
            positional=None,
            ids={},
            parent={"entityModel": entityModel, "entity": entity},
            extra_query={},
            query=query,
            files=files,
        )

    def comments_update(
        self,
        payload: Payload = None,
        /,
        *,
        id: Any = None,
        entityModel: Any = None,
        entity: Any = None,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Comments: comments.update -> POST /comment/{entityModel}/{entity}.

        Identifiers: id (body).
        Parent keywords: entityModel, entity.
        """
        return self.named(
            "comments.update",
            payload,
            positional=None,
            ids={"id": id},
            parent={"entityModel": entityModel, "entity": entity},
            extra_query={},
            query=query,
            files=files,
        )

    def comments_upsert(
        self,
        payload: Payload = None,
        /,
        *,
        id: Any = None,
        entityModel: Any = None,
        entity: Any = None,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Comments: comments.upsert -> POST /comment/{entityModel}/{entity}.

        Identifiers: id (body).
        Parent keywords: entityModel, entity.
        Not retried after it may have reached Custify (duplicates on retry).
        """
        return self.named(
            "comments.upsert",
            payload,
            positional=None,
            ids={"id": id},
            parent={"entityModel": entityModel, "entity": entity},
            extra_query={},
            query=query,
            files=files,
        )

    def files_upload(
        self,
        payload: Payload = None,
        /,
        *,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Files: files.upload -> POST /file.

        Identifiers: none.
        Not retried after it may have reached Custify (duplicates on retry).
        """
        return self.named(
            "files.upload",
            payload,
            positional=None,
            ids={},
            parent={},
            extra_query={},
            query=query,
            files=files,
        )

    def files_unlink(
        self,
        payload: Payload = None,
        /,
        *,
        fileId: Any = None,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Files: files.unlink -> POST /file/unlink.

        Identifiers: fileId (body).
        """
        return self.named(
            "files.unlink",
            payload,
            positional=None,
            ids={"fileId": fileId},
            parent={},
            extra_query={},
            query=query,
            files=files,
        )

    def files_show_in_portal(
        self,
        id: Any,
        payload: Payload = None,
        /,
        *,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Files: files.show_in_portal -> PUT /file/{id}/showInPortal.

        Identifiers: id (path). 'id' is the first positional argument.
        """
        return self.named(
            "files.show_in_portal",
            payload,
            positional=("id", id),
            ids={},
            parent={},
            extra_query={},
            query=query,
            files=files,
        )

    def deals_create(
        self,
        payload: Payload = None,
        /,
        *,
        externalId: Any = None,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Financials: deals.create -> POST /financial/deal.

        Identifiers: externalId (body).
        """
        return self.named(
            "deals.create",
            payload,
            positional=None,
            ids={"externalId": externalId},
            parent={},
            extra_query={},
            query=query,
            files=files,
        )

    def deals_update(
        self,
        id: Any,
        payload: Payload = None,
        /,
        *,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Financials: deals.update -> POST /financial/deal/{id}.

        Identifiers: id (path). 'id' is the first positional argument.
        """
        return self.named(
            "deals.update",
            payload,
            positional=("id", id),
            ids={},
            parent={},
            extra_query={},
            query=query,
            files=files,
        )

    def deals_upsert(
        self,
        payload: Payload = None,
        /,
        *,
        externalId: Any = None,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Financials: deals.upsert -> POST /financial/deal.

        Identifiers: externalId (body).
        """
        return self.named(
            "deals.upsert",
            payload,
            positional=None,
            ids={"externalId": externalId},
            parent={},
            extra_query={},
            query=query,
            files=files,
        )

    def deals_delete(
        self,
        payload: Payload = None,
        /,
        *,
        externalId: Any = None,
        id: Any = None,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Financials: deals.delete -> DELETE /financial/deal.

        Identifiers: externalId (query), id (path).
        """
        return self.named(
            "deals.delete",
            payload,
            positional=None,
            ids={"externalId": externalId, "id": id},
            parent={},
            extra_query={},
            query=query,
            files=files,
        )

    def invoices_create(
        self,
        payload: Payload = None,
        /,
        *,
        externalId: Any = None,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Financials: invoices.create -> POST /financial/invoice.

        Identifiers: externalId (body).
        """
        return self.named(
            "invoices.create",
            payload,
            positional=None,
            ids={"externalId": externalId},
            parent={},
            extra_query={},
            query=query,
            files=files,
        )

    def invoices_update(
        self,
        id: Any,
        payload: Payload = None,
        /,
        *,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Financials: invoices.update -> POST /financial/invoice/{id}.

        Identifiers: id (path). 'id' is the first positional argument.
        """
        return self.named(
            "invoices.update",
            payload,
            positional=("id", id),
            ids={},
            parent={},
            extra_query={},
            query=query,
            files=files,
        )

    def invoices_upsert(
        self,
        payload: Payload = None,
        /,
        *,
        externalId: Any = None,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Financials: invoices.upsert -> POST /financial/invoice.

        Identifiers: externalId (body).
        """
        return self.named(
            "invoices.upsert",
            payload,
            positional=None,
            ids={"externalId": externalId},
            parent={},
            extra_query={},
            query=query,
            files=files,
        )

    def invoices_delete(
        self,
        payload: Payload = None,
        /,
        *,
        externalId: Any = None,
        id: Any = None,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Financials: invoices.delete -> DELETE /financial/invoice.

        Identifiers: externalId (query), id (path).
        """
        return self.named(
            "invoices.delete",
            payload,
            positional=None,
            ids={"externalId": externalId, "id": id},
            parent={},
            extra_query={},
            query=query,
            files=files,
        )

    def subscriptions_create(
        self,
        payload: Payload = None,
        /,
        *,
        externalId: Any = None,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Financials: subscriptions.create -> POST /financial/subscription.

        Identifiers: externalId (body).
        """
        return self.named(
            "subscriptions.create",
            payload,
            positional=None,
            ids={"externalId": externalId},
            parent={},
            extra_query={},
            query=query,
            files=files,
        )

    def subscriptions_update(
        self,
        id: Any,
        payload: Payload = None,
        /,
        *,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Financials: subscriptions.update -> POST /financial/subscription/{id}.

        Identifiers: id (path). 'id' is the first positional argument.
        """
        return self.named(
            "subscriptions.update",
            payload,
            positional=("id", id),
            ids={},
            parent={},
            extra_query={},
            query=query,
            files=files,
        )

    def subscriptions_upsert(
        self,
        payload: Payload = None,
        /,
        *,
        externalId: Any = None,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Financials: subscriptions.upsert -> POST /financial/subscription.

        Identifiers: externalId (body).
        """
        return self.named(
            "subscriptions.upsert",
            payload,
            positional=None,
            ids={"externalId": externalId},
            parent={},
            extra_query={},
            query=query,
            files=files,
        )

    def subscriptions_delete(
        self,
        payload: Payload = None,
        /,
        *,
        externalId: Any = None,
        id: Any = None,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Financials: subscriptions.delete -> DELETE /financial/subscription.

        Identifiers: externalId (query), id (path).
        """
        return self.named(
            "subscriptions.delete",
            payload,
            positional=None,
            ids={"externalId": externalId, "id": id},
            parent={},
            extra_query={},
            query=query,
            files=files,
        )

    def time_tracks_create(
        self,
        payload: Payload = None,
        /,
        *,
        user: Any = None,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Time Tracks: time_tracks.create -> POST /time-track.

        Identifiers: none.
        Query keywords: user.
        Not retried after it may have reached Custify (duplicates on retry).

        query `user` (required): the Custify user who logged the time (§13)
        """
        return self.named(
            "time_tracks.create",
            payload,
            positional=None,
            ids={},
            parent={},
            extra_query={"user": user},
            query=query,
            files=files,
        )

    def time_tracks_update(
        self,
        payload: Payload = None,
        /,
        *,
        id: Any = None,
        user: Any = None,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Time Tracks: time_tracks.update -> PUT /time-track.

        Identifiers: id (query).
        Query keywords: user.
        """
        return self.named(
            "time_tracks.update",
            payload,
            positional=None,
            ids={"id": id},
            parent={},
            extra_query={"user": user},
            query=query,
            files=files,
        )

    def time_tracks_delete(
        self,
        payload: Payload = None,
        /,
        *,
        id: Any = None,
        query: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Time Tracks: time_tracks.delete -> DELETE /time-track.

        Identifiers: id (query).
        """
        return self.named(
            "time_tracks.delete",
            payload,
            positional=None,
            ids={"id": id},
            parent={},
            extra_query={},
            query=query,
            files=files,
        )

"""Resolving the identifiers Custify accepts to stored records.

Custify mixes its own ids with "yours" (``company_id``, ``user_id``, e-mail) depending on the
endpoint (§1.3, quirk 10); these helpers answer "which record is that" through the tables'
hash indexes, so they stay fast on a million people.
"""

from __future__ import annotations

from sandbox.store import Store
from sandbox.util import not_found


def one(store: Store, obj: str, fld: str, value: object) -> dict | None:
    """The oldest record whose ``fld`` equals ``value`` (deterministic when several match)."""
    if value is None or value == "":
        return None
    table = store.table(obj)
    if fld == "id":
        return table.rows.get(str(value))
    ids = table.lookup(fld, value)
    return table.rows[min(ids)] if ids else None


def company(store: Store, *, id: str | None = None, company_id: str | None = None) -> dict | None:
    return (
        one(store, "companies", "id", id)
        if id
        else one(store, "companies", "company_id", company_id)
    )


def person(store: Store, *, id: str | None = None, user_id: str | None = None,
           email: str | None = None) -> dict | None:  # fmt: skip
    """By id, else user_id, else e-mail (the order §4 gives for events)."""
    if id:
        return one(store, "people", "id", id)
    if user_id:
        return one(store, "people", "user_id", user_id)
    return one(store, "people", "email", email)


def user(store: Store, value: str | None) -> dict | None:
    """A Custify team member by id or e-mail (owners, assignees, time-track ``user``)."""
    if not value:
        return None
    return one(store, "users", "id", value) or one(store, "users", "email", value)


def company_or_404(store: Store, **ident: str | None) -> dict:
    rec = company(store, **ident)
    if rec is None:
        raise not_found(f"Company: {next((v for v in ident.values() if v), '')} not found")
    return rec


def person_or_404(store: Store, **ident: str | None) -> dict:
    rec = person(store, **ident)
    if rec is None:
        raise not_found(f"User: {next((v for v in ident.values() if v), '')} not found")
    return rec


def company_or_person(store: Store, entity: str) -> tuple[str, dict]:
    """``("company", rec)`` or ``("people", rec)`` for a Custify id; 404 for neither (§7)."""
    rec = store.table("companies").rows.get(entity)
    if rec is not None:
        return "company", rec
    rec = store.table("people").rows.get(entity)
    if rec is not None:
        return "people", rec
    raise not_found(f"Entity: {entity} not found")

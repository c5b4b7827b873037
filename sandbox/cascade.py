"""What a hard delete takes with it (§2, §3, §5, §11).

People and company deletes are "hard, permanent GDPR" deletes "including the person's events
and other data" (§2, §3). Here that means: a person's events, scores, survey responses,
custom data and notes written on them go; so do a company's events, customer objectives,
custom data and notes on it (its health-score and metric values live in its own record).
Every other record that names the deleted one drops the reference: the registry's ``links``
(people's ``companies``, parents, the ``company``/``people`` fields of files, meetings, time
tracks, tasks, financials, survey responses and notes on another entity), and, written out
here because their shape differs, tickets' id objects and names, meeting participants and
objective assignees and collaborators.
INF: a record that loses a reference to a deleted person or company is changed, so its
``updated_at`` moves (knob ``cascade_bumps_updated_at``, default True; False keeps it, as on a
tag delete). Deleting a record removes the records listed under it (the registry's
``parent_lists``: a note's or task's comments, a survey's responses), and deleting a tag
pulls it from every entity without touching them (§5).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from models.rows import CustifyObject, Link

if TYPE_CHECKING:
    from sandbox.store import Store, Table


class Cascade:
    """What a delete takes along in an account serving ``objects`` (their ``links`` and
    ``parent_lists``); called by ``Store.delete`` with the removed record."""

    def __init__(self, objects: Iterable[CustifyObject]) -> None:
        rows = tuple(objects)
        #: target object -> (table, link) of every field naming its records
        self.links: dict[str, list[tuple[str, Link]]] = {}
        #: parent object -> (child table, path parameter naming the parent)
        self.children: dict[str, list[tuple[str, str]]] = {}
        for obj in rows:
            for link in obj.links:
                self.links.setdefault(link.object, []).append((obj.name, link))
            for parent in obj.parent_lists:
                self.children.setdefault(parent.object, []).append((obj.name, parent.param))

    def __call__(self, store: Store, obj: str, old: dict) -> None:
        """Apply what deleting ``old`` (already removed from ``obj``) takes with it."""
        rid = old["id"]
        if obj == "people":
            _person(self, store, rid)
        elif obj == "companies":
            _company(self, store, rid)
        elif obj == "tags":
            pull_tag(store, rid)
        for child, param in self.children.get(obj, ()):
            _drop(self, store, child, param, rid)

    def unlink(self, store: Store, target: str, rid: str, stamp: str | None) -> None:
        """Take ``rid`` (a record of ``target``) out of every linked field."""
        links = self.links.get(target, [])
        for table, link in (t for t in links if t[1].many):
            _pull(store.table(table), link.field, rid, stamp)
        for table, link in (t for t in links if not t[1].many):
            _clear(store.table(table), link.field, rid, link.companions, stamp)


def _stamp(store: Store) -> str | None:
    """The ``updated_at`` for records losing a reference, or None to keep theirs."""
    return store.stamp() if store.cascade_bumps() else None


def _stamped(rec: dict, stamp: str | None) -> dict:
    return {**rec, "updated_at": stamp} if stamp else rec


def _person(cascade: Cascade, store: Store, pid: str) -> None:
    stamp = _stamp(store)
    store.events[:] = [e for e in store.events if e.get("person") != pid]
    for kept in store.scores.values():
        kept.pop(pid, None)
    _drop_custom_data(store, "people", pid)
    _drop(cascade, store, "survey_responses", "people", pid)
    _drop(cascade, store, "notes", "entity", pid, lambda r: r.get("entityModel") == "Customer")
    meetings = store.table("meetings")
    for mid in [m for m, r in meetings.rows.items() if _has_participant(r, pid)]:
        rec = meetings.rows[mid]
        parts = [p for p in rec["participants"] if p.get("people") != pid]
        meetings.put(_stamped({**rec, "participants": parts}, stamp))
    cascade.unlink(store, "people", pid, stamp)
    tickets = store.table("tickets")
    for tid in list(tickets.lookup("people", pid)):
        rec = tickets.rows[tid]
        keep = [i for i, p in enumerate(rec.get("people") or []) if _ref(p) != pid]
        names = rec.get("peopleNames") or []
        tickets.put(_stamped({**rec, "people": [rec["people"][i] for i in keep],
                              "peopleNames": [names[i] for i in keep if i < len(names)]},
                             stamp))  # fmt: skip
    objectives = store.table("customer_objectives")
    _clear(objectives, "assignedTo", pid, ("assignedToName",), stamp)
    for rec in list(objectives.rows.values()):
        if any(c.get("entity") == pid for c in rec.get("collaborators") or []):
            collab = [c for c in rec["collaborators"] if c.get("entity") != pid]
            objectives.put(_stamped({**rec, "collaborators": collab}, stamp))


def _company(cascade: Cascade, store: Store, cid: str) -> None:
    stamp = _stamp(store)
    store.events[:] = [e for e in store.events if e.get("company") != cid]
    _drop_custom_data(store, "companies", cid)
    _drop(cascade, store, "customer_objectives", "company", cid)
    _drop(cascade, store, "notes", "entity", cid, lambda r: r.get("entityModel") == "Company")
    cascade.unlink(store, "companies", cid, stamp)
    tickets = store.table("tickets")
    for tid in list(tickets.lookup("company", cid)):
        rec = tickets.rows[tid]
        names = [n for n in rec.get("companyNames") or [] if _ref(n) != cid]
        tickets.put(_stamped({**rec, "company": [c for c in rec["company"] if c != cid],
                              "companyNames": names}, stamp))  # fmt: skip


def pull_tag(store: Store, tag_id: str) -> None:
    """A deleted tag disappears from every entity that carried it (§5)."""
    for name, table in store.tables.items():
        if name != "tags":
            _pull(table, "tags", tag_id)


def _ref(item: object) -> object:
    return item.get("id") if isinstance(item, dict) else item


def _has_participant(rec: dict, pid: str) -> bool:
    return any(p.get("people") == pid for p in rec.get("participants") or ())


def _pull(table: Table, fld: str, value: str, stamp: str | None = None) -> None:
    for rid in list(table.lookup(fld, value)):
        rec = table.rows[rid]
        kept = [v for v in rec.get(fld) or [] if _ref(v) != value]
        table.put(_stamped({**rec, fld: kept}, stamp))


def _clear(table: Table, fld: str, value: str, companions: tuple[str, ...],
           stamp: str | None) -> None:  # fmt: skip
    for rid in list(table.lookup(fld, value)):
        table.put(_stamped({**table.rows[rid], fld: None, **dict.fromkeys(companions)}, stamp))


def _drop(cascade: Cascade, store: Store, obj: str, fld: str, value: str,
          only: Callable[[dict], bool] | None = None) -> None:  # fmt: skip
    """Delete the records of ``obj`` whose ``fld`` names ``value`` (with their own cascade)."""
    table = store.table(obj)
    for rid in list(table.lookup(fld, value)):
        rec = table.rows.get(rid)
        if rec is not None and (only is None or only(rec)):
            table.remove(rid)
            cascade(store, obj, rec)


def _drop_custom_data(store: Store, model: str, owner: str) -> None:
    for key in [k for k in store.custom_data if k[0] == model and k[1] == owner]:
        del store.custom_data[key]

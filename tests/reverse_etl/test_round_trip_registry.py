"""Push -> extract -> push sends nothing, for every action that writes state Custify reads
back, parametrised from the registry; and still nothing after someone edits ANOTHER field of
the same records in Custify and the warehouse re-extracts them.

The edit matters: it makes the extract newer than this sync's confirmed write, so the diff
must compare the written values with their read-back form (the registry's ``ReadAs``: renamed
fields, your ids read as Custify ids, owners read as ids plus e-mails, lists as sets, links
and unlinks as membership). The sandbox models every such asymmetry of the notes, so a
mismatch shows up as a resend in its journal.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import tests.reverse_etl.cases_work  # noqa: F401 -- registers the second half of CASES
from models.clock import ECHO_SKEW_S
from models.registry import ACTIONS, EXTRACTED, REGISTRY
from models.types import ActionKind, FieldType, ReadNorm
from pipelines.run import run_extract
from reverse_etl.config import SyncConfig, parse_sync
from tests.reverse_etl.cases import CASES, companies, people_with_ids
from tests.reverse_etl.conftest import Pusher

WRITES = (ActionKind.CREATE, ActionKind.UPDATE, ActionKind.UPSERT, ActionKind.TAG)
#: fields Custify (or the sandbox) maintains itself: not "another field" a person edits
SYSTEM = {"id", "created_at", "updated_at", "account", "extension", "mimeType", "createdBy",
          "createdByType", "entityName", "assignedToModel", "provider", "label"}  # fmt: skip


def _reads_back(name: str) -> bool:
    """Actions whose writes the ELT extracts again (the tagged entity for tag actions)."""
    action = ACTIONS[name]
    obj = REGISTRY[action.object]
    return action.kind in WRITES and (obj.extracted or action.kind is ActionKind.TAG)


READ_BACK = sorted(n for n in ACTIONS if _reads_back(n))


def _asymmetric(action_name: str) -> list[str]:
    """Body fields that read back in another name or form (registry ``ReadAs``), or as dates
    (time zones and formats differ on the way back)."""
    action = ACTIONS[action_name]
    out = []
    for name, ftype in action.body.items():
        read = action.read_of(name)
        plain = read.norm is ReadNorm.SAME and not read.listed and read.field == name
        if read.field is not None and (not plain or ftype is FieldType.DATETIME):
            out.append(name)
    return out


def _value(p: Pusher, cfg: SyncConfig, name: str, rows: dict[str, list]) -> Any:
    """A valid value for an asymmetric field, from the sandbox's records; None: this case
    cannot carry one (an unlink of a person from a file that has none)."""
    action, store = cfg.action, p.sandbox.store
    read, ftype = action.read_of(name), action.body[name]
    users = sorted(store.rows("users"), key=lambda u: u["id"])
    if ftype is FieldType.DATETIME:
        return "2024-03-01T10:30:00+01:00"  # sent as 09:30 UTC, read back in UTC
    if read.norm is ReadNorm.USER:
        return users[1]["email"]  # read back as the user's id plus e-mail
    if read.norm is ReadNorm.REF:
        obj, ident = read.via[0]
        record = companies(p, 3)[1] if obj == "companies" else people_with_ids(p, 3)[1]
        return record[ident]
    if read.norm is ReadNorm.LINKS:
        taken = set(rows.get("company_id") or [])
        other = next(c for c in companies(p, 6) if c["company_id"] not in taken)
        return json.dumps([{"company_id": other["company_id"]}])
    if read.norm is ReadNorm.SET and name == "tags":
        tags = [t["id"] for t in sorted(store.rows("tags"), key=lambda t: t["id"])
                if t["category"] == cfg.target.tag_category]  # fmt: skip
        return json.dumps(list(reversed(tags[:2])))
    if read.norm is ReadNorm.SET and name == "files":
        return json.dumps([f["id"] for f in sorted(store.rows("files"), key=lambda f: f["id"])[:2]])
    if read.norm is ReadNorm.UNLINKED:
        linked = store.get("files", rows["fileId"][0])[read.field]
        return linked[0] if linked else None
    if read.listed:
        record = companies(p, 3)[2] if name == "company" else people_with_ids(p, 3)[2]
        return record["id"]
    raise AssertionError(f"{action.name}.{name}: no test value for {read}")


def _with_asymmetric_fields(p: Pusher, cfg: SyncConfig, rows: dict[str, list]) -> dict:
    """The case's rows plus every asymmetric field they do not set already."""
    filled = {r.field for r in cfg.action.refs if r.column in rows}
    n = len(next(iter(rows.values())))
    out = dict(rows)
    for name in _asymmetric(cfg.action.name):
        if name in rows or name in filled or name in {i.name for i in cfg.action.identifiers}:
            continue
        value = _value(p, cfg, name, rows)
        if value is not None:
            out[name] = [value] * n
    return out


def _extract_all(p: Pusher) -> None:
    """Every extracted object, reconciling: objects listed by created_at only (files) are
    read in full, so their flags and links are re-read too (§10)."""
    p.close()
    run_extract(p.settings(), objects=[o.name for o in EXTRACTED], warehouse_cfg=p.wh_cfg,
                client=p.client, clock=p.clock, reconcile=True)  # fmt: skip
    p.sandbox.journal.clear()


def _writes(p: Pusher) -> list[str]:
    return [f"{e.method} {e.path}" for e in p.sandbox.journal if e.method != "GET"]


def _written_fields(cfg, columns: list[str]) -> set[str]:
    """Read fields the sync's columns land on (what the edit must leave alone)."""
    out: set[str] = set()
    action = cfg.action
    for column in columns:
        top = column.split("__")[0]
        read = action.read_of(top)
        out |= {f for f in (top, read.field, read.email) if f}
    out |= {i.name for i in action.identifiers} | set(cfg.target.find_by)
    for ref in action.refs:
        out |= {ref.field, ref.column, *ref.sets}
    return out


def _another_field(record: dict, written: set[str], texts: set[str]) -> str | None:
    """A text field of the record the sync does not write (set, or empty and a string in
    the object's write body); None when the sync writes every one of them."""
    free = [k for k in sorted(record) if k not in written and k not in SYSTEM]
    names = [k for k in free if isinstance(record[k], str)]
    names += [k for k in free if record[k] is None and k in texts]
    preferred = [n for n in ("name", "title", "description", "phone") if n in names]
    return (preferred or names or [None])[0]


def _texts(cfg) -> set[str]:
    return {n for n, t in cfg.action.body.items() if t is FieldType.STRING}


def _records(p: Pusher, sync: str) -> list[str]:
    rows = p.wh.query_rows(
        "SELECT custify_id FROM _custify_sync_state WHERE sync = %s AND op <> 'delete' "
        "AND custify_id IS NOT NULL",
        (sync,),
    )
    return sorted({r[0] for r in rows})


@pytest.mark.parametrize("name", READ_BACK)
def test_push_extract_push_sends_nothing_even_after_a_foreign_edit(
    pusher: Pusher, tmp_path: Path, name: str
) -> None:
    p = pusher
    c = CASES[name](p, tmp_path, name)
    section = {**c.sync, "action": name, "table": "src"}
    cfg = parse_sync("s", section)
    _extract_all(p)
    rows = _with_asymmetric_fields(p, cfg, c.rows)
    p.syncs["s"] = section
    p.table("src", rows)
    first = p.push()
    assert first.exit_code == c.exit_code, first.syncs[0]
    p.clock.advance(ECHO_SKEW_S * 4)
    _extract_all(p)
    second = p.push()
    assert _writes(p) == [], (second.syncs[0], _writes(p))

    target = cfg.target.name
    ids = _records(p, "s")
    assert ids, "the sync confirmed no record to edit"
    written = _written_fields(cfg, list(rows))
    p.clock.advance(ECHO_SKEW_S * 4)
    for rid in ids:
        record = p.sandbox.store.get(target, rid)
        if record is None:  # a record the case's own rows deleted or never made
            continue
        field = _another_field(record, written, _texts(cfg))
        if field is None:  # every text field is the sync's: a change of nothing it reads
            p.sandbox.store.touch(target, rid)
        else:
            p.sandbox.store.update(target, rid, **{field: f"edited in Custify {rid[-4:]}"})
    p.clock.advance(ECHO_SKEW_S * 4)
    _extract_all(p)
    third = p.push()
    assert _writes(p) == [], (third.syncs[0], _writes(p))
    assert third.syncs[0].failed == 0


def test_the_asymmetries_of_the_notes_are_in_the_registry() -> None:
    """§18's read/write differences, as registry facts the test above exercises."""
    assert "startedDate" in _asymmetric("time_tracks.update")  # read as startDate
    assert {"company", "people"} <= set(_asymmetric("tickets.update"))  # your ids -> ids
    assert {"owners_csm", "owners_account", "parent_companies"} <= set(
        _asymmetric("companies.upsert")
    )
    assert "companies" in _asymmetric("people.upsert")  # links -> Custify company ids
    assert {"companyId", "peopleId"} <= set(_asymmetric("files.unlink"))  # companies, peoples
    assert "assignedTo" in _asymmetric("tasks.update")


def test_every_family_that_reads_back_is_covered() -> None:
    families = {ACTIONS[n].family for n in READ_BACK}
    # scores are appended, and read back as survey responses (test_read_back.py)
    assert families == {"People", "Companies", "Notes", "Tags", "Tickets", "Tasks", "Files",
                        "Time Tracks", "Comments", "Financials"}  # fmt: skip

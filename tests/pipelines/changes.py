"""Random changes "made in Custify" (straight into the sandbox store), and what they imply."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from models.registry import EXTRACTED, REGISTRY
from models.types import Trigger
from pipelines.events import event_type


@dataclass
class Changes:
    created: dict[str, set[str]] = field(default_factory=dict)
    updated: dict[str, set[str]] = field(default_factory=dict)

    def expected_events(self) -> set[tuple[str, str, str]]:
        """(object, record id, event type): a create then update is ONE created event."""
        out = set()
        for name, ids in self.created.items():
            if Trigger.CREATED in REGISTRY[name].triggers:
                out |= {(name, i, event_type(name, Trigger.CREATED)) for i in ids}
        for name, ids in self.updated.items():
            if Trigger.UPDATED in REGISTRY[name].triggers:
                fresh = ids - self.created.get(name, set())
                out |= {(name, i, event_type(name, Trigger.UPDATED)) for i in fresh}
        return out


def _new_fields(sb: Any, name: str, rng: random.Random) -> dict[str, Any]:
    if name == "customer_objectives":
        company = rng.choice(sorted(r["id"] for r in sb.store.rows("companies")))
        return {"company": company, "name": f"new objective {rng.random():.6f}"}
    if name == "tickets":
        return {"title": "new", "replies": [{"body": "hi", "type": "incoming"}]}
    if name == "comments":  # listed per parent: the note changes too (see make_changes)
        note = rng.choice(sorted(r["id"] for r in sb.store.rows("notes")))
        return {"entity": note, "entityModel": "Note", "text": f"<p>new {rng.random():.6f}</p>"}
    if name == "survey_responses":  # listed per survey, newest response first (§11)
        survey = rng.choice(sorted(r["id"] for r in sb.store.rows("surveys")))
        return {"survey": survey, "score": rng.randint(1, 5), "responseDate": sb.store.stamp()}
    if name == "segments":  # listed per type: both types are polled (§18.17)
        return {"name": "new segment", "type": rng.choice(["people", "company"])}
    if name == "calculated_metrics":
        return {"name": "new metric", "type": rng.choice(["company", "people"])}
    if name == "playbooks":
        return {"name": "new playbook", "type": rng.choice(["people", "companies"])}
    return {"name": f"new {name} {rng.random():.6f}"}


def _update_fields(name: str, rng: random.Random) -> dict[str, Any]:
    if name == "tickets":  # a list that empties: its child rows must disappear
        return {"replies": []}
    if name == "tasks":
        return {"checklist": [{"name": "only step", "completed": True}]}
    if name == "people":
        return {"custom_attributes": {"role": "Changed", "seats_used": rng.randint(1, 99)}}
    return {"name": f"changed {rng.random():.6f}"}


#: objects whose cursor is updated_at: an incremental run sees their updates. Files and surveys
#: list only created_at (§10, §11): their updates are seen by full scans (reconcile, refresh).
UPDATED_CURSOR = [o.name for o in EXTRACTED if o.cursor_field == "updated_at"]


def make_changes(sb: Any, clock: Any, rng: random.Random, per_object: int = 2) -> Changes:
    """Creates on every extracted object; updates and create-then-updates where an
    incremental scan can see them (``UPDATED_CURSOR``)."""
    changes = Changes()
    for obj in EXTRACTED:
        name = obj.name
        existing = sorted(r["id"] for r in sb.store.rows(name))
        created = changes.created.setdefault(name, set())
        updated = changes.updated.setdefault(name, set())
        for _ in range(per_object):
            rec = sb.store.create(name, **_new_fields(sb, name, rng))
            created.add(rec["id"])
            _touch_parent(sb, obj, rec, changes)
        if name not in UPDATED_CURSOR:
            continue
        for rid in rng.sample(existing, min(per_object, len(existing))):
            sb.store.update(name, rid, **_update_fields(name, rng))
            updated.add(rid)
        rec = sb.store.create(name, **_new_fields(sb, name, rng))
        clock.advance(5)
        sb.store.update(name, rec["id"], **_update_fields(name, rng))
        created.add(rec["id"])
        updated.add(rec["id"])
        clock.advance(1)
    return changes


def _touch_parent(sb: Any, obj: Any, rec: dict[str, Any], changes: Changes) -> None:
    """Comments are read under the notes and tasks that changed (§9 has no global list):
    the parent is edited too, as a user who comments often does. Whether a comment alone
    moves its parent's ``updated_at`` is not documented; such a comment shows at the next
    reconcile (tests/pipelines/test_new_objects.py)."""
    for parent in obj.parent_lists:
        if parent.changed_only and all(rec.get(k) == v for k, v in parent.fixed.items()):
            sb.store.update(parent.object, rec[parent.param])  # updated_at moves
            changes.updated.setdefault(parent.object, set()).add(rec[parent.param])


def snapshot(sb: Any) -> dict[str, dict[str, str]]:
    """object -> id -> updated_at (or created_at)."""
    out = {}
    for obj in EXTRACTED:
        out[obj.name] = {
            r["id"]: r.get("updated_at") or r.get("created_at") for r in sb.store.rows(obj.name)
        }
    return out

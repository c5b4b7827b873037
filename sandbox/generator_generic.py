"""Seeded rows for an object no hand-written generator knows, from its registry row alone.

The fields are the ones its create/upsert actions write (under their read names,
``Action.read_of``), plus the row's ``new_record`` defaults; each value follows the field's
type and constraint: a choice among the enum's values, a number within its range, a
string within ``string_max``, a date within the two years before now. A field that names
another record (``Action.refs``) holds the id of a seeded record of that object. Counts
scale linearly from ``CustifyObject.seed_rows``; ``sizes`` overrides them.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from typing import Any

from models.rows import Action, Constraint, CustifyObject
from models.types import ActionKind, FieldType, ValueFormat
from sandbox.seeding import Gen
from sandbox.util import iso_ms

#: request fields that steer a write and are never stored as such
STEERING = frozenset({"id", "_id", "$unset"})
_WRITES = (ActionKind.CREATE, ActionKind.UPSERT)

Value = Callable[[random.Random, float, int], Any]


def seed(g: Gen, obj: CustifyObject) -> None:
    """Load ``g.count(obj.name, obj.seed_rows)`` rows into ``obj``'s table."""
    rng = g.rng(obj.name)
    n = g.count(obj.name, obj.seed_rows, minimum=0)
    stamp = g.stamper(rng, max(n, 1))
    makers = field_makers(g, obj)
    rows = []
    for i in range(n):
        created, updated = stamp()
        rec: dict[str, Any] = {"id": g.new_id(created)}
        for name, make in makers.items():
            rec[name] = make(rng, created, i)
        rec.update(copy.deepcopy(dict(obj.new_record)))
        rec.update(created_at=iso_ms(created), updated_at=iso_ms(updated))
        rows.append(rec)
    g.store.table(obj.name).load(rows)


def field_makers(g: Gen, obj: CustifyObject) -> dict[str, Value]:
    """Read field -> how to make its value, from the object's create and upsert actions."""
    out: dict[str, Value] = {}
    for action in (a for a in obj.actions if a.kind in _WRITES):
        refs = {r.field: r.object for r in action.refs if r.take == "id"}
        for name, ftype in action.body.items():
            read = action.read_of(name).field
            if name in STEERING or read is None or read in out or "." in read:
                continue
            if name in refs and refs[name] in g.store.tables:
                out[read] = _ref(g, refs[name])
            else:
                out[read] = _value(obj, name, ftype, action.constraints.get(name), action)
    return out


def _ref(g: Gen, other: str) -> Value:
    ids = sorted(g.store.table(other).rows)
    return lambda rng, t, i: ids[int(rng.random() * len(ids))] if ids else None


def _value(obj: CustifyObject, name: str, ftype: FieldType, rule: Constraint | None,
           action: Action) -> Value:  # fmt: skip
    if rule is not None and rule.choices:
        choices = rule.choices
        return lambda rng, t, i: choices[int(rng.random() * len(choices))]
    lo = rule.lo if rule is not None and rule.lo is not None else 0.0
    hi = rule.hi if rule is not None and rule.hi is not None else 1000.0
    if ftype is FieldType.INTEGER:
        return lambda rng, t, i: int(lo + rng.random() * (hi - lo + 1)) if hi > lo else int(lo)
    if ftype is FieldType.NUMBER:
        return lambda rng, t, i: round(lo + rng.random() * (hi - lo), 2)
    if ftype is FieldType.BOOLEAN:
        return lambda rng, t, i: rng.random() < 0.5
    if ftype is FieldType.DATETIME:
        return lambda rng, t, i: iso_ms(t)
    if ftype is FieldType.LIST:
        return lambda rng, t, i: []
    if ftype in (FieldType.OBJECT, FieldType.ATTRIBUTES):
        return lambda rng, t, i: {}
    if ftype is FieldType.STRING:
        return _string(obj, name, rule)
    return lambda rng, t, i: None


def _string(obj: CustifyObject, name: str, rule: Constraint | None) -> Value:
    limit = (rule.max_len if rule is not None else None) or obj.string_max
    fmt = rule.format if rule is not None else None
    if fmt is ValueFormat.EMAIL:
        return lambda rng, t, i: f"{obj.name}.{i + 1}@seeded.example"[:limit]
    prefix = obj.record_label if name == "name" else name
    return lambda rng, t, i: f"{prefix} {i + 1}"[:limit]

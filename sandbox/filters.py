"""The ``filters`` query parameter, in its two documented dialects (§1.7).

Which dialect a list understands is its registry row's ``filter_style``.

* Entity style (people, company, objective, lifecycle, playbook): a JSON array of
  ``{fieldName, fieldType, filterType, filterValue}``; conditions AND together.
* Activity style (task, note, ticket): a JSON array of ``{field, values}``; the values of one
  field OR together, different fields AND together.

Date filters ``after``/``on``/``before`` compare whole UTC days, as Custify does: that is why
an incremental pull cannot rely on them alone (§1.7, §17).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from models.registry import CustifyObject
from models.types import FilterStyle
from sandbox.store import get_path
from sandbox.util import DAY_S, bad_request, day_start, parse_date

Predicate = Callable[[dict], bool]


def parse(obj: CustifyObject, raw: str | None, now: float) -> tuple[Predicate | None, str | None]:
    """A predicate for ``raw`` (None when absent) plus a canonical key for caching."""
    if not raw:
        return None, None
    try:
        conds = json.loads(raw)
    except ValueError:
        raise bad_request("filters: invalid JSON") from None
    if isinstance(conds, dict):
        conds = [conds]
    if not isinstance(conds, list) or not all(isinstance(c, dict) for c in conds):
        raise bad_request("filters: expected a JSON array of objects")
    key = json.dumps(conds, sort_keys=True)
    if obj.filter_style is FilterStyle.ACTIVITY:
        preds = [_activity(c) for c in _group_activity(conds)]
    elif obj.filter_style is FilterStyle.ENTITY:
        preds = [_entity(c, now) for c in conds]
    else:
        raise bad_request(f"filters: not supported on this list ({obj.name})")
    return (lambda rec: all(p(rec) for p in preds)), key


def _group_activity(conds: list[dict]) -> list[tuple[str, list]]:
    grouped: dict[str, list] = {}
    for c in conds:
        fld, values = c.get("field"), c.get("values")
        if not isinstance(fld, str) or not isinstance(values, list):
            raise bad_request("filters: each item needs 'field' (string) and 'values' (array)")
        grouped.setdefault(fld, []).extend(values)
    return list(grouped.items())


def _activity(item: tuple[str, list]) -> Predicate:
    fld, values = item
    wanted = {json.dumps(v) for v in values}

    def pred(rec: dict) -> bool:
        v = get_path(rec, fld)
        items = v if isinstance(v, list) else [v]
        items = [i.get("id") if isinstance(i, dict) else i for i in items]
        return any(json.dumps(i) in wanted for i in items)

    return pred


def _entity(c: dict, now: float) -> Predicate:
    fld, ftype, op, val = (
        c.get(k) for k in ("fieldName", "fieldType", "filterType", "filterValue")
    )
    if not isinstance(fld, str) or not isinstance(ftype, str) or not isinstance(op, str):
        raise bad_request("filters: each item needs fieldName, fieldType and filterType")
    if op == "is_unknown":
        return lambda r: get_path(r, fld) in (None, "", [])
    if op == "any_value":
        return lambda r: get_path(r, fld) not in (None, "", [])
    builder = _BUILDERS.get(ftype.lower())
    if builder is None:
        raise bad_request(f"filters: unknown fieldType {ftype!r}")
    return builder(fld, op, val, now)


def _date(fld: str, op: str, val: Any, now: float) -> Predicate:
    """Whole-day UTC comparisons; ``after D`` starts at D+1 00:00, ``before D`` ends at D 00:00."""

    def ts(rec: dict) -> float | None:
        return parse_date(get_path(rec, fld))

    def between(lo: float, hi: float) -> Predicate:
        return lambda r: (t := ts(r)) is not None and lo <= t < hi

    try:
        if op in ("after", "on", "before"):
            d = day_start(str(val))
            lo, hi = {"after": (d + DAY_S, float("inf")), "on": (d, d + DAY_S),
                      "before": (float("-inf"), d)}[op]  # fmt: skip
            return between(lo, hi)
        if op == "between":
            a, b = (day_start(str(v)) for v in val)
            return between(a, b + DAY_S)
        if op in ("more_than", "exactly", "less_than"):
            today = now - now % DAY_S
            d = today - float(val) * DAY_S
            lo, hi = {"more_than": (float("-inf"), d), "exactly": (d, d + DAY_S),
                      "less_than": (d + DAY_S, float("inf"))}[op]  # fmt: skip
            return between(lo, hi)
    except (ValueError, TypeError):
        raise bad_request(f"filters: {fld}: {op} needs a YYYY-MM-DD value (got {val!r})") from None
    raise bad_request(f"filters: unknown Date filterType {op!r}")


def _string(fld: str, op: str, val: Any, now: float) -> Predicate:
    if fld == "parent_companies" and op in ("is_in", "is_descendant"):
        return lambda r: val in (get_path(r, fld) or [])
    s = "" if val is None else str(val)
    tests: dict[str, Callable[[str], bool]] = {
        "is": lambda v: v == s, "is_not": lambda v: v != s,
        "starts_with": lambda v: v.startswith(s), "ends_with": lambda v: v.endswith(s),
        "contains": lambda v: s.lower() in v.lower(),
        "does_not_contain": lambda v: s.lower() not in v.lower(),
    }  # fmt: skip
    test = tests.get(op)
    if test is None:
        raise bad_request(f"filters: unknown String filterType {op!r}")
    negative = op in ("is_not", "does_not_contain")

    def pred(r: dict) -> bool:
        v = get_path(r, fld)
        return negative if v is None else test(str(v))

    return pred


def _number(fld: str, op: str, val: Any, now: float) -> Predicate:
    try:
        x = float(val)
    except (TypeError, ValueError):
        raise bad_request(f"filters: {fld}: {op} needs a number (got {val!r})") from None
    tests = {"greater": lambda v: v > x, "lower": lambda v: v < x, "is": lambda v: v == x,
             "is_not": lambda v: v != x}  # fmt: skip
    test = tests.get(op)
    if test is None:
        raise bad_request(f"filters: unknown Number filterType {op!r}")

    def pred(r: dict) -> bool:
        v = get_path(r, fld)
        if isinstance(v, dict):  # health-score entries, currency attributes
            v = v.get("score", v.get("value"))
        return isinstance(v, int | float) and not isinstance(v, bool) and test(v)

    return pred


def _boolean(fld: str, op: str, val: Any, now: float) -> Predicate:
    if op not in ("true", "false"):
        raise bad_request(f"filters: unknown Boolean filterType {op!r}")
    want = op == "true"
    return lambda r: get_path(r, fld) is want


def _membership(fld: str, op: str, val: Any, now: float) -> Predicate:
    """Tag, Company and User filters: membership of ids in a field."""
    vals = set(val) if isinstance(val, list) else {val}

    def have(r: dict) -> set:
        v = get_path(r, fld)
        return set(v) if isinstance(v, list) else ({v} if v is not None else set())

    tests = {"is_in": lambda h: bool(h & vals), "is": lambda h: bool(h & vals),
             "is_any_of": lambda h: bool(h & vals), "is_all_of": lambda h: vals <= h,
             "is_not_in": lambda h: not (h & vals), "is_none_of": lambda h: not (h & vals)}  # fmt: skip
    test = tests.get(op)
    if test is None:
        raise bad_request(f"filters: unknown filterType {op!r} for {fld}")
    return lambda r: test(have(r))


_BUILDERS = {
    "date": _date, "string": _string, "number": _number, "boolean": _boolean,
    "tag": _membership, "company": _membership, "user": _membership,
}  # fmt: skip

"""Custom attribute types: the first value ever sent fixes an attribute's type (§1.4, §1.5).

Detection tries Date, then Number, then Boolean, else String; numbers and booleans may arrive
as strings ("7", "5.4", "FALSE"), a name ending in ``_at`` is always a Date, and a Currency
attribute takes a ``{value, currency}`` object. Types are kept per scope: ``people``,
``companies`` and ``events`` (event metadata keys). What Custify does with a later value of
another type is undocumented, so the ``attribute_type_mismatch`` knob chooses: ``reject``
(400 naming the attribute), ``coerce`` (stored as its string form) or ``ignore`` (200, the
value is not stored). ``GET /company/attributes`` and ``GET /customer/attributes`` list what
was detected (§1.5 "Discovering attributes").
"""

from __future__ import annotations

import json
import re
from typing import Any

from models.registry import OBJECTS
from sandbox.util import bad_request, parse_date

#: the objects whose records carry ``custom_attributes`` (those with an ``attributes_path``)
RECORD_SCOPES = tuple(o.name for o in OBJECTS if o.attributes_path)
#: every scope with typed values: those records, and event metadata keys (§4)
SCOPES = (*RECORD_SCOPES, "events")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
#: records looked at per table when the generated data fixes the types (its keys are uniform)
OBSERVE_SAMPLE = 200


def detect(name: str, value: Any) -> str:
    """The type a first value fixes (§1.4 order: Date, Number, Boolean, String)."""
    if name.endswith("_at"):
        return "Date"
    if isinstance(value, dict):
        return "Currency"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int | float):
        return "Number"
    text = str(value).strip()
    if parse_date(text) is not None:
        return "Date"
    if _NUMBER.match(text):
        return "Number"
    if text.lower() in ("true", "false"):
        return "Boolean"
    return "String"


def fits(kind: str, name: str, value: Any) -> bool:
    """Can ``value`` be read as an attribute of type ``kind``? Any scalar reads as a String."""
    if kind == "String":
        return not isinstance(value, dict)
    if kind == "Date":
        return parse_date(value) is not None
    return detect(name, value) == kind


def string_form(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return str(value)


def enforce(known: dict[str, str], mode: str, values: dict,
            label: str) -> tuple[dict, dict[str, str]]:  # fmt: skip
    """The values to store under the knob ``mode``, and the types this write would fix.

    ``known`` holds the scope's fixed types; ``label`` prefixes the name in a 400
    (``custom_attributes`` or ``metadata``). Nothing is remembered here: the caller commits
    the new types once its write has gone through.
    """
    out: dict = {}
    new: dict[str, str] = {}
    for name, value in values.items():
        if value is None:  # null clears the value (§1.4); it fixes no type
            out[name] = value
            continue
        kind = known.get(name) or ("Date" if name.endswith("_at") else None)
        if kind is None:
            new[name] = detect(name, value)
        elif not fits(kind, name, value):
            if mode == "reject":
                raise bad_request(f"{label}.{name} is a {kind} attribute (its first value fixed "
                                  f"the type); got {value!r}")  # fmt: skip
            if mode == "ignore":
                continue
            value = string_form(value)
        elif name not in known:
            new[name] = kind
        out[name] = value
    return out, new


def commit(known: dict[str, str], new: dict[str, str]) -> None:
    for name, kind in new.items():
        known.setdefault(name, kind)


def observe(known: dict[str, str], values: dict | None) -> None:
    """Fix the types of keys seen for the first time in a change made in Custify itself."""
    for name, value in (values or {}).items():
        if value is not None and name not in known:
            known[name] = detect(name, value)

"""Request validation: 400 answers whose ``error`` names the field (§1.4, §1.5, §5–§13).

Types come from the registry's action body schemas (``Action.body``), enums and ranges from
its ``Constraint`` rows, string limits and ``$unset`` rules from the object rows: the facts the
reverse ETL validates with. The custom attribute rules are Custify's documented ones. Unknown
top-level fields are ignored, as a JSON API typically does (INF). Formats (e-mail syntax) are
not enforced: what Custify answers to a malformed e-mail is not documented.
"""

from __future__ import annotations

from typing import Any

from models.registry import REGISTRY, TAG_ENTITY_MAX_IDS, Action
from models.types import FieldType
from sandbox.util import bad_request, parse_date

INT32 = (-(2**31), 2**31 - 1)
MAX_ATTRIBUTES = 250


def check(action: Action, body: dict, string_max: int | None = None) -> None:
    """Required fields, types and enums of ``body`` against the registry action; strings
    hold at most ``string_max`` characters (the object's limit, §1.4)."""
    for name in action.required:
        if body.get(name) in (None, "") and name not in action.path_params:
            raise bad_request(f"{name} is required")
    for name, value in body.items():
        ftype = action.body.get(name)
        if ftype is None or value is None:
            continue
        check_type(name, ftype, value, string_max)
        check_rule(action, name, value)


def check_rule(action: Action, name: str, value: Any) -> None:
    """The registry's enum and range of one request field (§1.6, §8, §11, ...)."""
    rule = action.constraints.get(name)
    if rule is None or value is None:
        return
    if rule.choices and value not in rule.choices:
        raise bad_request(f"{name} must be one of {', '.join(rule.choices)} (got {value!r})")
    lo = rule.lo if rule.lo is not None else float("-inf")
    hi = rule.hi if rule.hi is not None else float("inf")
    if isinstance(value, int | float) and not isinstance(value, bool) and not lo <= value <= hi:
        raise bad_request(f"{name} must be between {lo:g} and {hi:g} (got {value!r})")


def check_type(name: str, ftype: FieldType, value: Any, limit: int | None = None) -> None:
    ok = {
        FieldType.STRING: lambda v: isinstance(v, str),
        FieldType.INTEGER: lambda v: (
            isinstance(v, int) and not isinstance(v, bool) and INT32[0] <= v <= INT32[1]
        ),
        FieldType.NUMBER: lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        FieldType.BOOLEAN: lambda v: isinstance(v, bool),
        FieldType.DATETIME: lambda v: parse_date(v) is not None,
        FieldType.LIST: lambda v: isinstance(v, list),
        FieldType.OBJECT: lambda v: isinstance(v, dict),
        FieldType.ATTRIBUTES: lambda v: isinstance(v, dict),
        FieldType.FILE: lambda v: True,
    }[ftype]
    if not ok(value):
        want = "a date (ISO-8601)" if ftype == FieldType.DATETIME else f"of type {ftype.value}"
        raise bad_request(f"{name} must be {want} (got {value!r})")
    if limit and isinstance(value, str) and len(value) > limit:
        raise bad_request(f"{name} is longer than {limit} characters")
    if ftype == FieldType.ATTRIBUTES:
        check_attributes(value)


def check_attributes(attrs: dict, existing: dict | None = None) -> None:
    """Custom attribute rules (§1.5, quirk 14)."""
    for key, value in attrs.items():
        if "." in key or "$" in key:
            raise bad_request(f"custom_attributes.{key}: keys may not contain '.' or '$'")
        if len(key) > 190:
            raise bad_request(f"custom_attributes.{key[:20]}...: keys hold at most 190 characters")
        if key.isdigit():
            raise bad_request(f"custom_attributes.{key}: keys may not be digits only")
        if isinstance(value, dict):
            if (
                set(value) != {"value", "currency"}
                or not isinstance(value["value"], int | float)
                or not isinstance(value["currency"], str)
            ):
                raise bad_request(f"custom_attributes.{key}: objects are rejected "
                                  "(only a Currency {value, currency} is allowed)")  # fmt: skip
        elif isinstance(value, list):
            raise bad_request(f"custom_attributes.{key}: arrays are rejected")
        elif isinstance(value, str) and len(value) > 255:
            raise bad_request(f"custom_attributes.{key}: strings hold at most 255 characters")
    merged = {**(existing or {}), **attrs}
    if sum(1 for v in merged.values() if v is not None) > MAX_ATTRIBUTES:
        raise bad_request(f"custom_attributes: at most {MAX_ATTRIBUTES} fields")


def check_unset(obj: str, body: dict) -> list[str]:
    """The ``$unset`` paths, checked: known fields only, none also being set (§1.5)."""
    paths = body.get("$unset")
    if paths is None:
        return []
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise bad_request("$unset must be an array of field paths")
    attrs = body.get("custom_attributes") or {}
    for path in paths:
        head, _, key = path.partition(".")
        if head == "custom_attributes" and key:
            if key in attrs:
                raise bad_request(f"$unset: {path} is also being set")
        elif path in REGISTRY[obj].unsettable:
            if path in body:
                raise bad_request(f"$unset: {path} is also being set")
        else:
            raise bad_request(f"$unset: {path} cannot be unset")
    return paths


def either(choices: tuple[str, ...]) -> str:
    """``a, b or c``: the choices as an answer names them."""
    return " or ".join(filter(None, (", ".join(choices[:-1]), choices[-1])))


def check_tag_patch(action: Action, body: dict) -> None:
    """``PATCH /tag/entity`` and ``POST /people/tag`` bodies (§5): every body field of the
    action present, the registry's choices of ``type`` and ``category``."""
    with_category = "category" in action.body
    names = ("ids", "type", "category", "tag") if with_category else ("ids", "type", "tag")
    for name in names:
        if body.get(name) in (None, "", []):
            raise bad_request(f"{name} is required")
    ids = body["ids"]
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise bad_request("ids must be an array of ids")
    if len(ids) > TAG_ENTITY_MAX_IDS:
        raise bad_request(f"ids: at most {TAG_ENTITY_MAX_IDS} per request")
    kinds = action.constraints["type"].choices
    if body["type"] not in kinds:
        raise bad_request(f"type must be {either(kinds)} (got {body['type']!r})")
    categories = action.constraints["category"].choices if with_category else ()
    if with_category and body["category"] not in categories:
        raise bad_request(f"category must be one of {', '.join(categories)}")


def check_event(body: dict) -> None:
    """Event limits (§4): 50 metadata keys, 10,000 characters, strings of 100."""
    meta = body.get("metadata") or {}
    if not isinstance(meta, dict):
        raise bad_request("metadata must be an object")
    if len(meta) > 50:
        raise bad_request("metadata: at most 50 keys")
    if len(str(meta)) > 10_000:
        raise bad_request("metadata: at most 10,000 characters")
    for k, v in meta.items():
        if isinstance(v, str) and len(v) > 100:
            raise bad_request(f"metadata.{k}: strings hold at most 100 characters")
        if isinstance(v, dict | list):
            raise bad_request(f"metadata.{k}: metadata is a flat object")

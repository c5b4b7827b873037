"""Build one HTTP request from a registry action (custify-api.md §16) — endpoints are data.

An action row names its method, path template, identifiers (name + path/query/body location,
with an optional path override), non-identifier query params, parent path params and whether
it is multipart. ``prepare`` turns ``(action, payload, by, value, parent, query, files)`` into a
``Prepared`` request; the client sends it and parses the answer with ``custify.envelopes``.

Rules (each one a quirk of the API, not of an object):

- ``by``/``value`` pick the identifier; without ``by``, a lone ``value`` names the first
  identifier, and otherwise the first identifier present in the payload is used.
- PATH identifiers fill the template (or the identifier's override path, e.g. ``GET
  /people/{id}`` vs ``GET /people?email=``) and leave the body, except ``_id``, which task updates
  must carry in the body too (§8, quirk 9). QUERY identifiers go to the query string. BODY
  identifiers stay in (or are added to) the JSON body.
- An upsert whose path needs an id that is not known falls back to the object's create path
  (``POST /note/{id}`` vs ``POST /note``, §16).
- Parent params (comments' ``entityModel``/``entity``, §9) come from ``parent`` or the payload.
- Multipart (``files.upload``, §10): the ``file`` field is a local path or ``(name, bytes)``;
  other fields travel as form data. File bytes are read once, so a retry resends them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.registry import Action, Identifier, get_action, get_object
from models.types import ActionKind, Envelope, IdLocation

#: identifiers that must travel in the body as well as in the path (tasks.update, §8 quirk 9)
_ALSO_IN_BODY = frozenset({"_id"})


@dataclass(frozen=True)
class Prepared:
    """Everything ``HttpSession.send`` needs, plus how to read the answer."""

    action: Action
    method: str
    path: str
    params: dict[str, Any]
    json: Any
    files: dict[str, Any] | None
    data: dict[str, Any] | None
    #: False for creates Custify does not deduplicate (registry ``duplicates_on_retry``)
    replay_safe: bool
    identifier: Identifier | None


def resolve_action(action: str | Action) -> Action:
    return get_action(action) if isinstance(action, str) else action


def choose_identifier(
    action: Action, payload: Mapping[str, Any], by: str | None, value: Any
) -> Identifier | None:
    """Which identifier names the target: ``by``, else ``value``'s first, else the payload's."""
    if by is not None:
        for ident in action.identifiers:
            if ident.name == by:
                return ident
        names = ", ".join(i.name for i in action.identifiers) or "none"
        raise ValueError(f"{action.name} cannot identify by {by!r}; identifiers: {names}")
    if not action.identifiers:
        if value is not None:
            raise ValueError(f"{action.name} takes no identifier value")
        return None
    if value is not None:
        return action.identifiers[0]
    for ident in action.identifiers:
        if payload.get(ident.name) not in (None, ""):
            return ident
    return None


def identifier_optional(act: Action) -> bool:
    """Only upserts keyed on the internal ``id`` may omit it: no id means create (§16)."""
    return act.kind is ActionKind.UPSERT and all(i.name == "id" for i in act.identifiers)


def prepare(
    action: str | Action,
    payload: Mapping[str, Any] | None = None,
    *,
    by: str | None = None,
    value: Any = None,
    parent: Mapping[str, Any] | None = None,
    query: Mapping[str, Any] | None = None,
    files: Mapping[str, Any] | None = None,
) -> Prepared:
    """The request for one action call; raises ValueError for what Custify would refuse."""
    act = resolve_action(action)
    body = dict(payload or {})
    ident = choose_identifier(act, body, by, value)
    template = act.path
    params: dict[str, Any] = {}
    path_values: dict[str, Any] = {}
    for name in act.parent_params:
        found = (parent or {}).get(name, body.pop(name, None))
        if found in (None, ""):
            raise ValueError(f"{act.name} needs parent {name!r} (parent={{...}}), §9")
        path_values[name] = found
    if ident is not None:
        template = _place_identifier(act, ident, body, value, params, path_values)
    elif act.identifiers and not identifier_optional(act):
        names = ", ".join(i.name for i in act.identifiers)
        raise ValueError(f"{act.name} needs one of {names} (in the payload or by=/value=)")
    template = _fallback_path(act, template, path_values)
    for name in act.query:
        if name in body and name not in act.body:
            params[name] = body.pop(name)
    params.update(query or {})
    path = template.format(**{k: _segment(v) for k, v in path_values.items()})
    json_body, form, upload = _encode_body(act, body, files)
    return Prepared(
        action=act,
        method=act.method,
        path=path,
        params=params,
        json=json_body,
        files=upload,
        data=form,
        replay_safe=replay_safe(act, body),
        identifier=ident,
    )


def replay_safe(act: Action, body: Mapping[str, Any]) -> bool:
    """May the request be sent again after it may have reached Custify?

    Not for creates Custify does not deduplicate (registry ``duplicates_on_retry``), nor for
    an event without a ``deduplication_id`` (the registry's "retries are safe" needs one, §4).
    """
    if act.duplicates_on_retry:
        return False
    return act.dedup_key is None or bool(body.get(act.dedup_key))


def _place_identifier(
    act: Action,
    ident: Identifier,
    body: dict[str, Any],
    value: Any,
    params: dict[str, Any],
    path_values: dict[str, Any],
) -> str:
    """Put the identifier where the registry says; returns the path template to use."""
    if value is None:
        value = body.get(ident.name)
    if value in (None, ""):
        if identifier_optional(act):
            return act.path  # an upsert without an id creates (§16)
        raise ValueError(f"{act.name} needs {ident.name!r} (by={ident.name!r}, value=...)")
    template = ident.path or act.path
    if ident.location is IdLocation.PATH:
        path_values[ident.name] = value
        if ident.name in _ALSO_IN_BODY:
            body[ident.name] = value
        else:
            body.pop(ident.name, None)
    elif ident.location is IdLocation.QUERY:
        params[ident.name] = value
        body.pop(ident.name, None)
    else:
        body[ident.name] = value
    return template


def _fallback_path(act: Action, template: str, path_values: Mapping[str, Any]) -> str:
    """An upsert with no id for its path creates through the create path (§16 notes/tags)."""
    missing = [p for p in _placeholders(template) if p not in path_values]
    if not missing:
        return template
    if act.kind is ActionKind.UPSERT:
        create = get_object(act.object).action("create")
        if not [p for p in _placeholders(create.path) if p not in path_values]:
            return create.path
    raise ValueError(f"{act.name} needs {', '.join(missing)} for {template}")


def _placeholders(template: str) -> list[str]:
    import string

    return [f for _, f, _, _ in string.Formatter().parse(template) if f]


def _segment(value: Any) -> str:
    """A path segment: ids may hold characters that must be escaped (e.g. ``/`` in externalId)."""
    from urllib.parse import quote

    return quote(str(value), safe="@:")


def _encode_body(
    act: Action, body: dict[str, Any], files: Mapping[str, Any] | None
) -> tuple[Any, dict[str, Any] | None, dict[str, Any] | None]:
    """(json, form data, multipart files); GET/DELETE with nothing to say send no body."""
    if act.multipart:
        upload = dict(files or {})
        if "file" in body:
            upload["file"] = body.pop("file")
        if "file" not in upload:
            raise ValueError(f"{act.name} needs a file (files={{'file': path}}), §10")
        form = {k: str(v) for k, v in body.items() if v is not None}
        return None, form, {k: _file_part(v) for k, v in upload.items()}
    if files:
        raise ValueError(f"{act.name} is not a multipart upload")
    if act.method in ("GET", "DELETE") and not body:
        return None, None, None
    return body, None, None


def _file_part(value: Any) -> Any:
    """A local path becomes ``(name, bytes)`` read once, so that a retry can resend it."""
    if isinstance(value, str | Path):
        path = Path(value)
        return (path.name, path.read_bytes())
    if hasattr(value, "read"):
        name = Path(getattr(value, "name", "upload")).name
        return (name, value.read())
    return value


def response_envelope(act: Action) -> tuple[Envelope, str | None]:
    """How the action's answer is wrapped (registry ``response``/``response_key``)."""
    return act.response, act.response_key

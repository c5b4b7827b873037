"""Find the record an unconfirmed create made, before sending it again (exactly-once creates).

Custify does not deduplicate notes, tasks, comments, replies, files or time tracks (§16): a
create whose answer never reached the ledger (a crash, a lost answer) may or may not exist.
Resending blindly duplicates it; never resending loses it. So an attempt left ``pending`` or
``sent`` is looked for first, the way the registry's ``Recovery`` row says:

- list the candidates (the note's entity, the comment's parent, the ticket, the person's or
  company's files, the user's time tracks, the tasks with our external key);
- keep those created since the earlier attempt (minus a clock-skew allowance) that this sync
  has not already claimed for another row;
- match them on the hidden marker (notes), the deterministic external key (tasks), or the
  content the request set (comments, replies, files by name and size, time tracks).

Found: the row is confirmed with that record's id, nothing is sent. Not found: the create is
sent. The limits of content matching are in the README ("Exactly-once creates").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from models.registry import REGISTRY, Action, Recovery
from models.types import SortStyle
from reverse_etl.diff.payload import marker

#: Custify's clock and ours may differ; a record created this long "before" the attempt
#: still counts as the attempt's
SKEW_S = 120.0


def find_created(
    client: Any,
    action: Action,
    payload: dict[str, Any],
    *,
    since: dt.datetime | None,
    claimed: set[str],
    token: str,
    upload: tuple[str, int] | None = None,
) -> str | None:
    """The Custify id of the record this create already made, or None."""
    rec = action.recovery
    if rec is None:
        return None
    obj = REGISTRY[action.object]
    parent = {p: payload.get(p) for p in _placeholders(rec.list_path)}
    if any(v in (None, "") for v in parent.values()):
        return None
    params = {q: payload[f] for q, f in rec.params.items() if payload.get(f) not in (None, "")}
    listed = replace(obj, list_path=rec.list_path, per_parent=None, variants=(), list_params={})
    ordered = obj.sort_style is not SortStyle.NONE and rec.items is None
    pages = client.iter_pages(
        listed, parent_id=parent or None, params=params,
        sort_by=obj.created_field if ordered else None,
    )  # fmt: skip
    floor = since.timestamp() - SKEW_S if since is not None else None
    fallback: str | None = None
    for page in pages:
        recent = False
        for row in page.rows:
            created = _epoch(row.get(obj.created_field))
            if rec.items is None and floor is not None and created is not None and created < floor:
                continue
            recent = True
            found, exact = _match(rec, row, payload, token, upload, claimed)
            if found and exact:
                return found
            fallback = fallback or found
        if ordered and not recent and floor is not None:
            # newest first, so the next pages are older still. Stop on a whole page, not on
            # the first old row: a list scoped to one entity puts sticky notes first whatever
            # their age (§6), and one old sticky note must not hide the attempt's note.
            return fallback
    return fallback


def _match(
    rec: Recovery,
    row: dict[str, Any],
    payload: dict[str, Any],
    token: str,
    upload: tuple[str, int] | None,
    claimed: set[str],
) -> tuple[str | None, bool]:
    """``(id, exact)``: exact = the marker matched; otherwise a content match (or nothing)."""
    rid = str(row.get(obj_id(row)) or "")
    if rec.items is not None:
        items = row.get(rec.items) or []
        hit = any(_same_content(rec, item, payload, upload) for item in items)
        return (rid if hit else None), hit
    if not rid or rid in claimed:
        return None, False
    if rec.marker:
        text = str(row.get(rec.marker) or "")
        if marker(token) in text:
            return rid, True
        mine = str(payload.get(rec.marker) or "").replace(marker(token), "")
        return (rid if text == mine else None), False  # the server may strip comments
    return (rid if _same_content(rec, row, payload, upload) else None), True


def obj_id(row: dict[str, Any]) -> str:
    return "id" if "id" in row else "_id"


def _same_content(
    rec: Recovery, row: dict[str, Any], payload: dict[str, Any], upload: tuple[str, int] | None
) -> bool:
    for sent, read in rec.match.items():
        if upload is not None and sent == "file":
            if row.get(read) != upload[0] or row.get("size") not in (None, upload[1]):
                return False
            continue
        if sent in payload and not same(payload[sent], row.get(read)):
            return False
    return True


def same(mine: Any, theirs: Any) -> bool:
    """Equal as Custify stores it: dates as instants, numbers as numbers."""
    if mine == theirs:
        return True
    if isinstance(mine, str) and isinstance(theirs, str):
        a, b = _epoch(mine), _epoch(theirs)
        return a is not None and a == b
    if isinstance(mine, int | float) and isinstance(theirs, int | float):
        return float(mine) == float(theirs)
    return False


def _epoch(value: Any) -> float | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.timestamp()


def _placeholders(template: str) -> list[str]:
    import string

    return [f for _, f, _, _ in string.Formatter().parse(template) if f]

"""Does Custify hold the wanted value of one field? Against the extract and the snapshot.

Two witnesses can say what Custify holds: the extract (the field as Custify reads it back,
``identify.extract``) and this sync's confirmed write (the payload in ``_custify_sync_state``). Each
comparison here answers True (holds it), False (holds something else) or null (this witness
does not know), column-wise:

- ``extract_same`` follows the registry's ``ReadAs``: the same value in the field's type
  (``fields.compare_expr``: dates in UTC, ``7`` = ``7.0`` = ``"7"``), a user by id or e-mail,
  the user's own id of a linked record mapped to its Custify id, lists as sets, links and
  unlinks as membership;
- ``snapshot_same`` compares in the write form both sides share.

The hidden recovery marker a create adds to its text (``payload.marker``) is not part of the
value on either side.
"""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from models.registry import Action
from models.types import FieldType, ReadNorm
from reverse_etl.config.fields import Field, compare_expr
from reverse_etl.identify import X_EMAIL, X_PREFIX

#: ``payload.marker``'s form; the hidden token is not part of a note's text
MARKER = r"<!--custify-sync:[0-9a-f]+-->"
SNAPSHOT = "s_payload"
_NESTED = (FieldType.LIST, FieldType.OBJECT)


def marker_field(action: Action) -> str | None:
    rec = action.recovery
    return rec.marker if rec is not None else None


def _strip_marker(expr: pl.Expr, fld: Field, marker: str | None) -> pl.Expr:
    if marker is None or fld.path != marker:
        return expr
    return expr.cast(pl.String).str.replace_all(MARKER, "")


def extract_same(
    fld: Field, schema: pl.Schema, refs: dict[str, str] | None, marker: str | None = None
) -> pl.Expr | None:
    """Whether the extract shows the wanted value; None when the extract cannot tell (the
    field is never read back, its column is missing, or the value has no read form)."""
    theirs_col = X_PREFIX + fld.path
    if theirs_col not in schema:
        return None
    read, path = fld.read, fld.path
    mine, theirs = pl.col(path), pl.col(theirs_col)
    mine_t, theirs_t = schema[path], schema[theirs_col]
    if read.norm is ReadNorm.USER:
        text = mine.cast(pl.String).str.strip_chars()
        same = (text == theirs.cast(pl.String)).fill_null(False)
        if X_EMAIL + path in schema:
            mail = pl.col(X_EMAIL + path).cast(pl.String).str.to_lowercase()
            same = same | (text.str.to_lowercase() == mail).fill_null(False)
        return same
    if read.norm is ReadNorm.SET:
        return _set_text(mine, mine_t) == _set_text(theirs, theirs_t)
    if read.norm is ReadNorm.UNLINKED:
        return ~theirs.list.contains(mine.cast(pl.String)).fill_null(False)
    if read.norm is ReadNorm.LINKS:
        return _links_same(mine, theirs, refs or {})
    if read.norm is ReadNorm.REF or read.listed:
        value = mine.cast(pl.String)
        if read.norm is ReadNorm.REF:
            value = value.replace_strict(refs or {}, default=None, return_dtype=pl.String)
        return theirs.list.contains(value) if read.listed else value == theirs.cast(pl.String)
    if fld.ftype in _NESTED:
        return None  # a list or object read back as it is: only the snapshot can tell
    theirs = _strip_marker(theirs, fld, marker)
    return compare_expr(fld, mine, mine_t) == compare_expr(fld, theirs, theirs_t)


def _set_text(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """A list as sorted, distinct text (order carries no meaning)."""
    if dtype == pl.String:
        expr = expr.str.json_decode(pl.List(pl.String))
    elif not isinstance(dtype, pl.List | pl.Array):
        return pl.lit(None, dtype=pl.String)
    items = expr.list.eval(pl.element().cast(pl.String)).list.unique().list.sort()
    return items.list.join("\x1f")


def _links_same(mine: pl.Expr, theirs: pl.Expr, refs: dict[str, str]) -> pl.Expr:
    """``[{company_id | id, remove?}]``: every linked record is in the read list, every
    removed one is not (§2, §3); an identifier nothing maps is unknown (sent)."""

    def same(row: dict[str, Any]) -> bool | None:
        held = set(row["theirs"] or [])
        for link in row["mine"] or []:
            if not isinstance(link, dict):
                return None
            named = link.get("id") or link.get("company_id")
            rid = refs.get(str(named)) if named is not None else None
            if rid is None:
                return None
            if bool(link.get("remove")) == (rid in held):
                return False
        return True

    both = pl.struct(mine.alias("mine"), theirs.alias("theirs"))
    return both.map_elements(same, return_dtype=pl.Boolean)


def _json_path(path: str) -> str | None:
    parts = path.split(".")
    if any("'" in p or "\\" in p for p in parts):
        return None
    return "$" + "".join(f"['{p}']" for p in parts)


def snapshot_value(fld: Field) -> pl.Expr:
    """The field's value in this sync's confirmed payload, as text (null when it had none)."""
    where = _json_path(fld.path)
    if where is None:
        return pl.lit(None, dtype=pl.String)
    return pl.col(SNAPSHOT).str.json_path_match(where)


def snapshot_same(fld: Field, schema: pl.Schema, marker: str | None = None) -> pl.Expr:
    """Whether this sync's confirmed write set the wanted value (null: it did not set it)."""
    theirs = snapshot_value(fld)
    mine = pl.col(fld.path)
    if fld.ftype in _NESTED or isinstance(schema[fld.path], pl.List | pl.Struct | pl.Array):
        return _json_same(mine, theirs)
    theirs = _strip_marker(theirs, fld, marker)
    mine_t = schema[fld.path]
    same = compare_expr(fld, mine, mine_t) == compare_expr(fld, theirs, pl.String())
    return pl.when(theirs.is_not_null()).then(same)


def _canonical(value: Any) -> Any:
    """JSON without nulls inside objects, keys sorted: the same value however it was built."""
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in sorted(value.items()) if v is not None}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return value


def _json_same(mine: pl.Expr, theirs: pl.Expr) -> pl.Expr:
    def same(row: dict[str, Any]) -> bool | None:
        if row["theirs"] is None:
            return None
        wanted = row["mine"]
        if isinstance(wanted, str):
            try:
                wanted = json.loads(wanted)
            except ValueError:
                return False
        held = json.loads(row["theirs"])
        return json.dumps(_canonical(wanted), sort_keys=True) == json.dumps(
            _canonical(held), sort_keys=True
        )

    both = pl.struct(mine.alias("mine"), theirs.alias("theirs"))
    return both.map_elements(same, return_dtype=pl.Boolean)


def held_text(fld: Field, schema: pl.Schema, marker: str | None = None) -> pl.Expr:
    """What the extract shows for the field, as text for a reader (the dry-run plan)."""
    col = X_PREFIX + fld.path
    if col not in schema:
        return pl.lit(None, dtype=pl.String)
    value = pl.col(col)
    if isinstance(schema[col], pl.List | pl.Array | pl.Struct):
        value = pl.struct(value.alias("v")).struct.json_encode().str.slice(5).str.strip_suffix("}")
    value = _strip_marker(value.cast(pl.String), fld, marker)
    if X_EMAIL + fld.path in schema:
        value = pl.coalesce(pl.col(X_EMAIL + fld.path).cast(pl.String), value)
    return value


def wanted_text(fld: Field, schema: pl.Schema) -> pl.Expr:
    """The value that will be sent, as text."""
    value = pl.col(fld.path)
    if isinstance(schema[fld.path], pl.List | pl.Array | pl.Struct):
        return pl.struct(value.alias("v")).struct.json_encode().str.slice(5).str.strip_suffix("}")
    return value.cast(pl.String)

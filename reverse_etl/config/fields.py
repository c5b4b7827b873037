"""Writable fields of a registry action, and how their values look in a payload and a diff.

Everything here is read from the registry row (``Action.body`` types, ``CustifyObject.read_only``,
``unsettable`` and ``string_max`` for §1.4/§1.5) so that a new action works without new code;
the custom-attribute key rules and date forms below are API-wide.

Two value forms matter:

- the *payload form* (``body_value``): what goes into the JSON body (ISO-8601 UTC strings for
  dates, real booleans and numbers), built column-wise with polars;
- the *comparison form* (``compare_expr``): one string per value, equal on both sides when
  Custify already holds the value, whatever types the warehouse and the extract used (an int
  ``7`` and a float ``7.0``, a timestamp and the same date as a string).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from dlt.common.normalizers.naming.snake_case import NamingConvention

from models.registry import UNREAD, Action, Constraint, CustifyObject, ReadAs
from models.types import FieldType

#: Custom-attribute key rules (custify-api.md §1.5).
ATTR_KEY_MAX = 190
ATTR_MAX_KEYS = 250
INT32 = (-(2**31), 2**31 - 1)
#: Date forms Custify parses (custify-api.md §1.4); anything else it would keep as a string.
DATE_FORMATS = (
    "%Y-%m-%dT%H:%M:%S%.fZ",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S%.f%:z",
    "%Y-%m-%dT%H:%M:%S%:z",
)
ISO_OUT = "%Y-%m-%dT%H:%M:%S%.3fZ"
_NAMING = NamingConvention()


def snake(name: str) -> str:
    """The column the ELT (dlt's snake_case naming) lands a field in: ``externalId`` ->
    ``external_id``."""
    return _NAMING.normalize_identifier(name)


@dataclass(frozen=True)
class Field:
    """One mapped target path, e.g. ``email`` or ``custom_attributes.plan``."""

    path: str
    top: str
    sub: str | None
    #: the value's type; None for a custom attribute or metadata value (typed by Custify)
    ftype: FieldType | None
    read_only: bool = False
    unsettable: bool = False
    max_len: int | None = None
    #: part of the request (False: a column naming a record the engine resolves, e.g. a
    #: note's ``company_id``, which becomes ``entity``)
    send: bool = True
    #: names the target or its parent (path/query parameter, resolved id): never compared
    #: with the extract, which stores it elsewhere or not at all
    ident: bool = False
    #: where Custify reads the field back (registry ``ReadAs``; ``field`` None: never)
    read: ReadAs = UNREAD
    #: range, enum or format beyond the type (registry ``Constraint``)
    rule: Constraint | None = None

    @property
    def nested(self) -> bool:
        return self.sub is not None

    @property
    def extracted_column(self) -> str | None:
        """Column of the ELT's table holding the read field (dlt's snake_case flattening of
        its dot path), or None when Custify never reads the field back."""
        return read_column(self.read.field)


def read_column(path: str | None) -> str | None:
    """The ELT's column for a read-shape dot path: ``custom_attributes.plan`` ->
    ``custom_attributes__plan``, ``startDate`` -> ``start_date``."""
    if path is None:
        return None
    return "__".join(_NAMING.normalize_identifier(part) for part in path.split("."))


def writable_paths(action: Action) -> list[str]:
    """Top-level body fields a mapping may target (``$unset`` is the engine's own)."""
    return [name for name in action.body if name != "$unset"]


def request_names(action: Action) -> list[str]:
    """Request fields outside the body: identifiers, parent path parameters, query parameters."""
    names = [i.name for i in action.identifiers] + list(action.parent_params) + list(action.query)
    return [n for n in dict.fromkeys(names) if n not in action.body]


def _lookup_names(obj: CustifyObject, action: Action) -> list[str]:
    """Columns that only name a record: refs' columns and identifiers the engine resolves."""
    narrowing = [w for finder in obj.find_by.values() for w in finder.within]
    names = [r.column for r in action.refs] + list(obj.find_by) + narrowing
    return [n for n in dict.fromkeys(names) if n not in action.body]


def resolve(obj: CustifyObject, action: Action, path: str) -> Field:
    """The ``Field`` for ``path``, or ValueError saying why it cannot be written.

    Read-only paths (health scores, segments, metrics) resolve with ``read_only=True`` so that
    validation can refuse the rows that carry a value, with a reason, instead of failing the run.
    """
    top, _, sub = path.partition(".")
    sub_or_none = sub or None
    max_len = obj.string_max
    rule = action.constraints.get(path)
    if top in obj.read_only or path in obj.read_only:
        return Field(path, top, sub_or_none, None, read_only=True)
    if path in request_names(action):
        return Field(path, path, None, FieldType.STRING, ident=True, read=action.read_of(path),
                     rule=rule)  # fmt: skip
    if path in _lookup_names(obj, action):
        return Field(path, path, None, FieldType.STRING, send=False, ident=True,
                     read=ReadAs(path), rule=rule)  # fmt: skip
    if top not in action.body or top == "$unset":
        known = ", ".join(writable_paths(action) + request_names(action))
        raise ValueError(f"{path!r} is not a field of {action.name} (fields: {known})")
    ftype = action.body[top]
    read = action.read_of(top)
    if sub_or_none is not None:
        if ftype not in (FieldType.ATTRIBUTES, FieldType.OBJECT):
            raise ValueError(f"{path!r}: {top} is not an object field of {action.name}")
        unset = "$unset" in action.body and ftype is FieldType.ATTRIBUTES
        sub_read = ReadAs(f"{read.field}.{sub}") if read.field else UNREAD
        return Field(path, top, sub, None, unsettable=unset, max_len=max_len, read=sub_read,
                     rule=rule)  # fmt: skip
    if ftype is FieldType.FILE:  # a path under the sync's files_dir, checked per row
        return Field(path, top, None, ftype)
    if ftype is FieldType.ATTRIBUTES:  # one struct/JSON column holding many attributes
        return Field(path, top, None, ftype)
    unset = "$unset" in action.body and top in obj.unsettable
    str_max = max_len if ftype is FieldType.STRING else None
    return Field(path, top, None, ftype, unsettable=unset, max_len=str_max, read=read, rule=rule)


# --------------------------------------------------------------------------------------------
# value forms
# --------------------------------------------------------------------------------------------


def iso_expr(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """ISO-8601 UTC text with milliseconds, or null when the value is not a date Custify reads."""
    if isinstance(dtype, pl.Datetime):
        dt_expr = expr.dt.replace_time_zone("UTC") if dtype.time_zone is None else expr
        return dt_expr.dt.convert_time_zone("UTC").dt.strftime(ISO_OUT)
    if dtype == pl.Date:
        return expr.cast(pl.Datetime("us", "UTC")).dt.strftime(ISO_OUT)
    if dtype == pl.String:
        tries = [
            expr.str.strptime(pl.Datetime("us", "UTC"), fmt, strict=False, exact=True)
            for fmt in DATE_FORMATS
        ]
        date_only = expr.str.strptime(pl.Date, "%Y-%m-%d", strict=False, exact=True)
        tries.append(date_only.cast(pl.Datetime("us", "UTC")))
        return pl.coalesce(tries).dt.strftime(ISO_OUT)
    return pl.lit(None, dtype=pl.String)


def bool_expr(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """Booleans, also from "true"/"FALSE" strings (custify-api.md §1.4 type detection)."""
    if dtype == pl.Boolean:
        return expr
    if dtype == pl.String:
        low = expr.str.strip_chars().str.to_lowercase()
        return pl.when(low == "true").then(True).when(low == "false").then(False)
    return pl.lit(None, dtype=pl.Boolean)


def _int_expr(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if dtype.is_float():
        return pl.when(expr == expr.round(0)).then(expr.cast(pl.Int64, strict=False))
    if dtype == pl.String:
        return expr.str.strip_chars().cast(pl.Int64, strict=False)
    if dtype.is_integer():
        return expr.cast(pl.Int64)
    return pl.lit(None, dtype=pl.Int64)


def _float_expr(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if dtype.is_numeric() or dtype == pl.String:
        return expr.cast(pl.Float64, strict=False)
    return pl.lit(None, dtype=pl.Float64)


def _is_nested(dtype: pl.DataType) -> bool:
    return isinstance(dtype, (pl.List, pl.Array, pl.Struct, pl.Object))


def body_value(field: Field, expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """``expr`` converted to what the JSON body carries; null where the value is unusable."""
    ftype = field.ftype
    if ftype is None:  # custom attribute / metadata value: keep its type, dates as ISO text
        if isinstance(dtype, (pl.Datetime, pl.Date)):
            return iso_expr(expr, dtype)
        return expr
    if ftype is FieldType.STRING:
        return pl.lit(None, dtype=pl.String) if _is_nested(dtype) else expr.cast(pl.String)
    if ftype is FieldType.INTEGER:
        return _int_expr(expr, dtype)
    if ftype is FieldType.NUMBER:
        return _float_expr(expr, dtype)
    if ftype is FieldType.BOOLEAN:
        return bool_expr(expr, dtype)
    if ftype is FieldType.DATETIME:
        return iso_expr(expr, dtype)
    return expr  # lists and objects given as JSON text are decoded in schema.validate


def compare_expr(field: Field, expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """One string per value, equal when Custify holds the same value (see the module doc)."""
    if field.ftype is None:
        return _dynamic_compare(expr, dtype)
    value = body_value(field, expr, dtype)
    if field.ftype in (FieldType.LIST, FieldType.OBJECT):
        return pl.lit(None, dtype=pl.String)  # not comparable with the extract (child tables)
    return value.cast(pl.String)


def _dynamic_compare(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """Custom attributes: Custify types them by the first value (§1.4), so "7", 7 and 7.0 agree."""
    if isinstance(dtype, (pl.Datetime, pl.Date)):
        return iso_expr(expr, dtype)
    if dtype == pl.Boolean:
        return expr.cast(pl.String)
    if dtype.is_integer():
        return expr.cast(pl.String)
    if dtype.is_float():
        integral = expr == expr.round(0)
        return (
            pl.when(integral)
            .then(expr.cast(pl.Int64, strict=False).cast(pl.String))
            .otherwise(expr.cast(pl.String))
        )
    if dtype == pl.String:
        as_date = iso_expr(expr, dtype)
        low = expr.str.to_lowercase()
        as_bool = pl.when(low.is_in(["true", "false"])).then(low)
        as_num = _dynamic_compare(expr.cast(pl.Float64, strict=False), pl.Float64())
        return pl.coalesce(as_date, as_bool, as_num, expr)
    if isinstance(dtype, pl.Struct):
        return pl.struct(expr).struct.json_encode()
    return pl.lit(None, dtype=pl.String)

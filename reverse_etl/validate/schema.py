"""pandera (polars) schemas generated from the registry, and the split into valid and rejected.

The schema is built from the action's body field types (``Action.body``), its required fields,
the sync's identifier, the object's read-only fields and string limits, the registry's
``Constraint`` rows (ranges, enums, e-mail and user formats) and Custify's custom-attribute
rules, including the type each attribute already has (custify-api.md §1.4, §1.5,
``validate.attributes``): no per-object schema is written by hand, so the next action gets
validation for free. Checks work on whatever types the warehouse delivers (a ``user_id`` that is
an integer column, dates as strings): each check asks "can this value be sent as the field's
type?", and the valid rows are then converted to exactly that type.

A row that fails any check goes to ``<sync>__rejected`` with every reason; the others still go.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandera.polars as pa
import polars as pl
from pandera.errors import SchemaErrors

from models.registry import Constraint
from models.types import FieldType, ValueFormat
from reverse_etl.config import Kind, SyncConfig
from reverse_etl.config.fields import (
    ATTR_KEY_MAX,
    ATTR_MAX_KEYS,
    INT32,
    Field,
    body_value,
    bool_expr,
    iso_expr,
)
from reverse_etl.source.desired import KEY_PREFIX, ROW, Desired
from reverse_etl.validate import attributes, uploads

ExprFn = Callable[[pl.Expr], pl.Expr]
_METADATA_MAX_KEYS = 50  # custify-api.md §4
#: a sane e-mail: one ``@``, no spaces, a dotted domain (syntax only; nothing is resolved)
EMAIL_PATTERN = r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$"
#: a Custify id (§1.3)
OBJECT_ID_PATTERN = r"^[0-9a-fA-F]{24}$"


def _check(name: str, ok: ExprFn) -> pa.Check:
    """A vectorised column check: ``ok`` is evaluated on the column; nulls always pass."""

    def run(data: pa.PolarsData) -> pl.LazyFrame:
        col = pl.col(data.key)
        return data.lazyframe.select((col.is_null() | ok(col)).fill_null(False))

    return pa.Check(run, name=name, error=name)


def _nested(dtype: pl.DataType) -> bool:
    return isinstance(dtype, (pl.List, pl.Array, pl.Struct, pl.Object))


def _rule_checks(fld: Field, dtype: pl.DataType) -> list[pa.Check]:
    """The registry's ``Constraint`` of the field: range, enum, format."""
    rule: Constraint | None = fld.rule
    if rule is None or _nested(dtype):
        return []
    where = f" ({rule.source})" if rule.source else ""
    checks: list[pa.Check] = []
    if rule.lo is not None or rule.hi is not None:
        lo = rule.lo if rule.lo is not None else float("-inf")
        hi = rule.hi if rule.hi is not None else float("inf")
        number = lambda c: body_value(fld, c, dtype).cast(pl.Float64)  # noqa: E731
        checks.append(_check(f"outside {lo:g} to {hi:g}{where}",
                             lambda c: number(c).is_null() | number(c).is_between(lo, hi)))  # fmt: skip
    if rule.choices:
        allowed = list(rule.choices)
        checks.append(_check(f"must be one of {', '.join(allowed)}{where}",
                             lambda c: c.cast(pl.String).is_in(allowed)))  # fmt: skip
    if rule.max_len is not None and dtype == pl.String:
        limit = rule.max_len
        checks.append(_check(f"longer than {limit:,} characters{where}",
                             lambda c: c.str.len_chars() <= limit))  # fmt: skip
    if rule.format is ValueFormat.EMAIL:
        checks.append(_check("not an e-mail address", _matches(EMAIL_PATTERN)))
    elif rule.format is ValueFormat.USER:
        either = lambda c: _matches(EMAIL_PATTERN)(c) | _matches(OBJECT_ID_PATTERN)(c)  # noqa: E731
        checks.append(_check(f"not a Custify user id or e-mail{where}", either))
    return checks


def _matches(pattern: str) -> ExprFn:
    return lambda c: c.cast(pl.String).str.strip_chars().str.contains(pattern)


def _type_checks(fld: Field, dtype: pl.DataType, kind: tuple[str, str] | None) -> list[pa.Check]:
    """Can the column's values be sent as the field's registry type, within its rules?"""
    ftype = fld.ftype
    if fld.read_only:
        return [_check("read-only: Custify computes this field", lambda c: c.is_null())]
    if ftype is None:
        return _dynamic_checks(fld, dtype, kind)
    return _static_checks(fld, dtype) + _rule_checks(fld, dtype)


def _static_checks(fld: Field, dtype: pl.DataType) -> list[pa.Check]:
    ftype = fld.ftype
    if ftype is FieldType.STRING:
        checks = [_check("not a string", lambda c: pl.lit(not _nested(dtype)))]
        if fld.max_len and not _nested(dtype):
            limit = fld.max_len
            checks.append(
                _check(f"longer than {limit} characters",
                       lambda c: c.cast(pl.String).str.len_chars() <= limit)
            )  # fmt: skip
        return checks
    if ftype is FieldType.INTEGER:
        lo, hi = INT32
        as_int = lambda c: body_value(fld, c, dtype)  # noqa: E731
        return [
            _check("not an integer", lambda c: as_int(c).is_not_null()),
            _check(
                "outside the int32 range",
                lambda c: as_int(c).is_null() | as_int(c).is_between(lo, hi),
            ),
        ]
    if ftype is FieldType.NUMBER:
        return [_check("not a number", lambda c: body_value(fld, c, dtype).is_not_null())]
    if ftype is FieldType.BOOLEAN:
        return [_check("not a boolean", lambda c: bool_expr(c, dtype).is_not_null())]
    if ftype is FieldType.DATETIME:
        return [
            _check("not a date Custify reads (§1.4)", lambda c: iso_expr(c, dtype).is_not_null())
        ]
    if ftype is FieldType.LIST:
        ok = isinstance(dtype, (pl.List, pl.Array)) or dtype == pl.String
        return [_check("not a list", lambda c: pl.lit(ok)), *_json_check(dtype, list)]
    if ftype is FieldType.OBJECT:
        ok = isinstance(dtype, pl.Struct) or dtype == pl.String
        return [_check("not an object", lambda c: pl.lit(ok)), *_json_check(dtype, dict)]
    return []


def _json_check(dtype: pl.DataType, kind: type) -> list[pa.Check]:
    """A list/object given as text must be JSON of that kind (it is decoded for sending)."""
    if dtype != pl.String:
        return []

    def ok(value: str) -> bool:
        try:
            return isinstance(json.loads(value), kind)
        except ValueError:
            return False

    what = "a JSON array" if kind is list else "a JSON object"
    return [_check(f"not {what}", lambda c: c.map_elements(ok, return_dtype=pl.Boolean))]


def _dynamic_checks(
    fld: Field, dtype: pl.DataType, kind: tuple[str, str] | None = None
) -> list[pa.Check]:
    """Custom attributes and event metadata (custify-api.md §1.5, §4); ``kind``: the type
    Custify already holds the attribute as, and who says so (``validate.attributes``)."""
    checks: list[pa.Check] = []
    if kind is not None and not _nested(dtype):
        name, source = kind
        checks.append(_check(attributes.reason(fld.path, name, source),
                             lambda c: attributes.fits(name, c, dtype)))  # fmt: skip
    key = fld.sub or ""
    if fld.top == "custom_attributes":
        bad = "." in key or "$" in key or len(key) > ATTR_KEY_MAX or key.isdigit() or not key
        if bad:
            reason = (f"custom attribute key {key!r} breaks Custify's rules (no . or $, at most "
                      f"{ATTR_KEY_MAX} characters, not only digits)")  # fmt: skip
            checks.append(_check(reason, lambda c: pl.lit(False)))
    if isinstance(dtype, (pl.List, pl.Array)):
        checks.append(_check("arrays are not allowed as attribute values", lambda c: pl.lit(False)))
    elif isinstance(dtype, pl.Struct):
        names = {f.name for f in dtype.fields}
        ok = names == {"value", "currency"}
        checks.append(
            _check(
                "objects are not allowed, except Currency {value, currency}", lambda c: pl.lit(ok)
            )
        )
    elif dtype == pl.String and fld.max_len:
        limit = fld.max_len
        checks.append(
            _check(f"longer than {limit} characters", lambda c: c.str.len_chars() <= limit)
        )
    return checks


def _file_checks(root: Path) -> list[pa.Check]:
    """A path column for an upload: inside ``files_dir``, no symlink, a plain file."""

    def check(reason: str) -> pa.Check:
        def ok(c: pl.Expr) -> pl.Expr:
            return c.cast(pl.String).map_elements(
                lambda v: uploads.refusal(root, v) != reason, return_dtype=pl.Boolean
            )

        return _check(f"path {reason}", ok)

    return [check(reason) for reason in uploads.REASONS]


def _required_check(name: str) -> pa.Check:
    return _check(f"{name} is required", lambda c: c.cast(pl.String).str.strip_chars() != "")


def _row_checks(cfg: SyncConfig, frame: pl.DataFrame) -> list[pa.Check]:
    """Per-row limits that span columns: at most 250 attributes, 50 metadata keys, metadata
    of at most 10,000 characters (§1.5, §4)."""
    checks: list[pa.Check] = []
    for top, rule in cfg.action.constraints.items():
        cols = [c for c in frame.columns if c.startswith(f"{top}.")]
        max_len = rule.max_len
        if not cols or max_len is None or cfg.action.body.get(top) is not FieldType.OBJECT:
            continue
        bound: int = max_len

        def size(data: pa.PolarsData, cols: list[str] = cols, limit: int = bound):
            parts = [pl.col(c).alias(c.partition(".")[2]) for c in cols]
            text = pl.struct(parts).struct.json_encode()
            return data.lazyframe.select(text.str.len_chars() <= limit)

        name = f"{top} longer than {rule.max_len:,} characters ({rule.source})"
        checks.append(pa.Check(size, name=name, error=name))
    for top, limit in (("custom_attributes", ATTR_MAX_KEYS), ("metadata", _METADATA_MAX_KEYS)):
        cols = [c for c in frame.columns if c.startswith(f"{top}.")]
        if len(cols) <= limit:
            continue

        def run(data: pa.PolarsData, cols: list[str] = cols, limit: int = limit) -> pl.LazyFrame:
            count = pl.sum_horizontal([pl.col(c).is_not_null().cast(pl.Int32) for c in cols])
            return data.lazyframe.select(count <= limit)

        name = f"more than {limit} {top} keys"
        checks.append(pa.Check(run, name=name, error=name))
    return checks


def key_columns(cfg: SyncConfig) -> list[str]:
    """Columns that name one record / pair / appended item: the row's identity in the ledger.

    Empty for a create with no identifier and no ``key``: its content is its identity."""
    if cfg.kind == Kind.TAG:
        return [cfg.match or "", "tag"]
    if cfg.kind == Kind.APPEND or (cfg.kind == Kind.GET and cfg.key):
        # a get keyed by ``key`` (e.g. the triggering event) reads its record again for
        # every new key: each event sees the record as it is now, not as the first one did
        if cfg.key:
            return [KEY_PREFIX + c for c in cfg.key]
        return [cfg.match or "", *[f for f in cfg.action.required if f != cfg.match]]
    if cfg.match:
        return [cfg.match]
    return [KEY_PREFIX + c for c in cfg.key]


def _filled_by_refs(cfg: SyncConfig, desired: Desired) -> set[str]:
    """Required fields a mapped reference column may fill (checked after resolution)."""
    refs = [r for r in cfg.action.refs if r.column in desired.fields]
    resolved = set() if cfg.native_match else {i.name for i in cfg.action.identifiers}
    return {name for r in refs for name in (r.field, *r.sets)} | resolved


def build_schema(
    cfg: SyncConfig, desired: Desired, kinds: attributes.Kinds | None = None
) -> pa.DataFrameSchema:
    """The pandera schema for this sync's mapped frame, generated from the registry row;
    ``kinds`` are the types Custify already holds attributes as."""
    frame = desired.frame
    kinds = kinds or {}
    keys = key_columns(cfg)
    required = set(keys) | set(cfg.action.required) if cfg.kind != Kind.TAG else set(keys)
    required -= _filled_by_refs(cfg, desired)
    columns: dict[str, pa.Column] = {}
    for path, fld in desired.fields.items():
        checks = _type_checks(fld, frame.schema[path], kinds.get(path))
        if fld.ftype is FieldType.FILE and cfg.files_dir is not None:
            checks = _file_checks(cfg.files_dir)
        if path in required:
            checks.append(_required_check(path))
        columns[path] = pa.Column(None, checks=checks, nullable=path not in required)
    for col in keys:
        if col not in columns:
            columns[col] = pa.Column(None, checks=[_required_check(col)], nullable=False)
    return pa.DataFrameSchema(
        columns, checks=_row_checks(cfg, frame), unique=keys or None, name=f"{cfg.name} rows"
    )


def _reasons(err: SchemaErrors) -> pl.DataFrame:
    """``__row`` -> "column: reason; ..." from pandera's failure cases."""
    cases = err.failure_cases.filter(pl.col("index").is_not_null())
    label = (
        pl.when(pl.col("check") == "not_nullable")
        .then(pl.col("column") + pl.lit(": is required"))
        .when(pl.col("check").str.contains("uniqueness"))
        .then(pl.lit("duplicate key: several rows name the same record"))
        .when(pl.col("column").is_null())
        .then(pl.col("check"))
        .otherwise(pl.col("column") + pl.lit(": ") + pl.col("check"))
    )
    return (
        cases.select(pl.col("index").cast(pl.Int64).alias("__index"), label.alias("reason"))
        .unique()
        .sort("__index", "reason")
        .group_by("__index", maintain_order=True)
        .agg(pl.col("reason").str.join("; "))
    )


def validate(
    cfg: SyncConfig, desired: Desired, kinds: attributes.Kinds | None = None
) -> tuple[Desired, pl.DataFrame]:
    """Split into rows to send (converted to payload types) and rejected rows with reasons."""
    frame = desired.frame
    schema = build_schema(cfg, desired, kinds)
    try:
        schema.validate(frame, lazy=True)
        reasons = pl.DataFrame(schema={"__index": pl.Int64, "reason": pl.String})
    except SchemaErrors as err:
        reasons = _reasons(err)
    if reasons.height == 0:  # the common case: nothing to split, nothing copied
        good, bad = frame, frame.clear().with_columns(pl.lit(None, pl.String).alias("reason"))
    else:
        flagged = pl.int_range(pl.len(), dtype=pl.Int64).is_in(
            reasons.get_column("__index").implode()
        )
        indexed = frame.with_row_index("__index").with_columns(pl.col("__index").cast(pl.Int64))
        bad = indexed.filter(flagged).join(reasons, on="__index", how="inner").drop("__index")
        good = frame.filter(~flagged)
    good = _decode_json(good, desired.fields)
    typed = good.with_columns(
        body_value(fld, pl.col(path), good.schema[path]).alias(path)
        for path, fld in desired.fields.items()
        if not fld.read_only
    )
    return Desired(typed, desired.fields), bad.sort(ROW)


def _decode_json(frame: pl.DataFrame, fields: dict[str, Field]) -> pl.DataFrame:
    """List and object fields given as JSON text become real lists/structs (their shape is
    inferred from every row, so the payload carries the structure, not a string)."""
    for path, fld in fields.items():
        nested = fld.ftype in (FieldType.LIST, FieldType.OBJECT)
        if nested and frame.schema[path] == pl.String and frame[path].null_count() < frame.height:
            decoded = frame.get_column(path).str.json_decode(infer_schema_length=None)
            frame = frame.with_columns(decoded.alias(path))
    return frame

"""Type a batch against what the warehouse already holds, so a shape change loads, not fails.

dlt does not reconcile Arrow column types with its schema: an Arrow string column arriving for
a ``bigint`` column fails the load terminally (measured with dlt 1.31 on DuckDB: "Could not
convert string 'one' to INT64") and leaves a stuck package. Custify lets an attribute change
type (custom-api.md §1.4: the first value fixes the type, later changes are "discouraged", not
refused), so this module does what dlt's own normalizer does for Python dicts:

- a value whose type differs from the column's known type goes to a variant column
  ``<column>__v_<type>`` (dlt's naming), so it is loaded, not dropped, and reported;
- ``bigint`` into a ``double`` column is widened (lossless);
- ISO-8601 strings become ``timestamp`` when every value of a new column parses (§1.4: Custify
  sends ISO-8601 UTC), and are parsed into an existing ``timestamp`` column (failures: variant).

``Known`` remembers every column type of every table across batches of one run (it starts
from the pipeline's stored schema), because dlt's own schema is not the place to look for
columns emitted a moment ago by another batch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import polars as pl
import pyarrow as pa

from pipelines.frames import SEP, Table

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S%.f%#z"
TS_DTYPE = pl.Datetime("us", "UTC")
#: how every value Arrow reads as an ISO-8601 date-time begins
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass
class Change:
    table: str
    column: str
    data_type: str
    #: "new_column" (a field the table did not have) or "type_change" (a variant column)
    kind: str


@dataclass
class Known:
    """Column types per table: the stored schema plus everything emitted in this run."""

    types: dict[str, dict[str, str]] = field(default_factory=dict)
    #: tables that existed before this run (their new columns are shape changes)
    existing: set[str] = field(default_factory=set)

    @classmethod
    def from_schema(cls, schema: Any) -> Known:
        known = cls()
        for name, table in (schema.tables if schema is not None else {}).items():
            cols = {
                c: t["data_type"] for c, t in table.get("columns", {}).items() if t.get("data_type")
            }
            known.types[name] = cols
            if cols:
                known.existing.add(name)
        return known

    def table(self, name: str) -> dict[str, str]:
        return self.types.setdefault(name, {})


def intrinsic(dtype: pl.DataType, is_json: bool) -> str:
    if is_json:
        return "json"
    if dtype == pl.Boolean:
        return "bool"
    if dtype.is_integer():
        return "bigint"
    if dtype.is_float():
        return "double"
    if isinstance(dtype, pl.Datetime):
        return "timestamp"
    if dtype == pl.Date:
        return "date"
    return "text"


def conform(table: Table, naming: Any, known: Known) -> tuple[pl.DataFrame, set[str], list[Change]]:
    """The frame renamed and typed for ``known``; returns its JSON columns and the changes."""
    frame, json_cols, mixed = _normalise_names(table, naming)
    types = known.table(table.name)
    frame = _resolve_mixed(frame, mixed, types)
    out: list[pl.Series] = []
    final_json: set[str] = set()
    changes: list[Change] = []
    for name in frame.columns:
        for series, kind in _typed(frame[name], name in json_cols, types.get(name)):
            target = series.name
            if types.get(target) not in (None, kind):
                target = naming.normalize_path(f"{series.name}{SEP}v_{kind}")
                series = series.alias(target)
            if target not in types:
                types[target] = kind
                if table.name in known.existing:
                    change = "type_change" if "__v_" in target else "new_column"
                    changes.append(Change(table.name, target, kind, change))
            if kind == "json":
                final_json.add(target)
            out.append(series)
    return complete(pl.DataFrame(out), types), final_json, changes


_DTYPES: dict[str, Any] = {
    "text": pl.String, "json": pl.String, "bigint": pl.Int64, "double": pl.Float64,
    "bool": pl.Boolean, "timestamp": TS_DTYPE, "date": pl.Date,
}  # fmt: skip


def complete(frame: pl.DataFrame, types: dict[str, str]) -> pl.DataFrame:
    """Every known column of the table, in one order, with one Arrow type per column.

    dlt writes the Arrow batches of a table into one parquet file and fills a column a batch
    lacks with ITS type for that column (``string``), which clashes with polars'
    ``large_string`` of the batches that have it ("Schema at index 1 was different"). Batches
    that all carry every column, typed here, never need filling.
    """
    missing = [
        pl.lit(None, dtype=_DTYPES.get(kind, pl.String)).alias(name)
        for name, kind in types.items()
        if name not in frame.columns and not name.startswith("_dlt")
    ]
    if missing:
        frame = frame.with_columns(missing)
    order = [n for n in types if n in frame.columns]
    return frame.select(order + [c for c in frame.columns if c not in types])


def _normalise_names(table: Table, naming: Any) -> tuple[pl.DataFrame, set[str], dict]:
    """dlt's path naming per column (``entityModel`` -> ``entity_model``); collisions coalesce."""
    mapping = {c: naming.normalize_path(c) for c in table.frame.columns}
    json_cols = {mapping[c] for c in table.json_cols if c in mapping}
    mixed = {
        naming.normalize_path(k): {t: mapping[s] for t, s in subs.items()}
        for k, subs in table.mixed.items()
    }
    if len(set(mapping.values())) == len(mapping):
        return table.frame.rename(mapping), json_cols, mixed
    groups: dict[str, list[str]] = {}
    for src, dst in mapping.items():
        groups.setdefault(dst, []).append(src)
    exprs = []
    for dst, srcs in groups.items():
        cols = [pl.col(s).cast(pl.String) for s in srcs] if len(srcs) > 1 else [pl.col(srcs[0])]
        exprs.append(pl.coalesce(cols).alias(dst))
    return table.frame.select(exprs), json_cols, mixed


def _resolve_mixed(frame: pl.DataFrame, mixed: dict, types: dict[str, str]) -> pl.DataFrame:
    """Of a field seen with several types, the known type (else the first seen) keeps the name."""
    renames = {}
    for key, subs in mixed.items():
        primary = types.get(key)
        kind = primary if primary in subs else next(iter(subs))
        renames[subs[kind]] = key
    return frame.rename(renames) if renames else frame


def _typed(series: pl.Series, is_json: bool, known_type: str | None) -> list[tuple[pl.Series, str]]:
    """(series, dlt type) pieces of one column; strings may split into timestamps + text."""
    kind = intrinsic(series.dtype, is_json)
    if kind == "bigint" and known_type == "double":
        return [(series.cast(pl.Float64), "double")]
    if kind != "text" or known_type == "text" or series.null_count() == len(series):
        return [(series, kind)]
    parsed = _iso_timestamps(series)
    if parsed is not None:
        return [(parsed, "timestamp")]
    if known_type != "timestamp":
        return [(series, "text")]
    # a timestamp column with some unreadable values: those go to the text variant
    parsed = series.str.strptime(TS_DTYPE, TIMESTAMP_FORMAT, strict=False)
    failed = parsed.is_null() & series.is_not_null()
    rest = pl.select(pl.when(failed).then(series)).to_series()
    return [(parsed, "timestamp"), (rest.alias(f"{series.name}{SEP}v_text"), "text")]


def _iso_timestamps(series: pl.Series) -> pl.Series | None:
    """Every value as a UTC timestamp, or None if one is not ISO-8601 with a zone (§1.4).

    Arrow's cast parses ISO-8601 in C++, about 14x faster than ``str.strptime``; it refuses
    the whole column on the first bad value, which is exactly the test wanted here. A refusal
    costs far more than a success (milliseconds for a batch of names), so a column whose first
    value does not even begin with a date is text without asking Arrow.
    """
    first = series.drop_nulls().head(1)
    if first.len() and not _ISO_DATE.match(str(first[0])):
        return None
    try:
        cast = series.to_arrow().cast(pa.timestamp("us", "UTC"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return pl.Series(series.name, cast, dtype=TS_DTYPE)

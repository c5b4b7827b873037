"""Row keys, JSON payloads and payload hashes, built column-wise with polars.

The payload JSON is the exact body (or batch job payload) the row would send, with keys sorted,
so its hash names "this row's content": the ledger, the confirmed snapshot and the events'
``deduplication_id`` all hang on it. Building it with polars expressions (not a Python loop per
row) keeps 100k-row syncs cheap.

Null policy (custify-api.md §1.4, §1.5): ``skip`` leaves null fields out (Custify keeps what it
has; sending null would clear it); ``unset`` lists them in ``$unset`` where Custify allows it.
"""

from __future__ import annotations

import hashlib
import json

import polars as pl

from reverse_etl.config import Kind, SyncConfig
from reverse_etl.config.fields import Field
from reverse_etl.source.desired import ROW, Desired
from reverse_etl.validate.schema import key_columns

KEY_SEP = "|"
DEDUP_FIELD = "deduplication_id"


def _fragment(name: str, value: pl.Expr) -> pl.Expr:
    """``"name":<json value>`` or null when the value is null (so concat_str skips it)."""
    encoded = pl.struct(value.alias(name)).struct.json_encode()
    inner = encoded.str.strip_prefix("{").str.strip_suffix("}")
    return pl.when(value.is_not_null()).then(inner)


def _object(parts: list[pl.Expr]) -> pl.Expr:
    return pl.concat_str([pl.lit("{"), pl.concat_str(parts, separator=",", ignore_nulls=True),
                          pl.lit("}")])  # fmt: skip


def _unset(cfg: SyncConfig, fields: dict[str, Field]) -> pl.Expr | None:
    """``"$unset":[...]`` listing the null fields Custify can clear, or None if none can."""
    if cfg.nulls != "unset":
        return None
    paths = sorted(p for p, f in fields.items() if f.unsettable and not f.read_only)
    if not paths:
        return None
    listed = pl.concat_list([pl.when(pl.col(p).is_null()).then(pl.lit(p)) for p in paths])
    listed = listed.list.drop_nulls()
    return pl.when(listed.list.len() > 0).then(_fragment("$unset", listed))


def payload_json(cfg: SyncConfig, fields: dict[str, Field]) -> pl.Expr:
    """The JSON payload of each row (keys sorted; nested groups for dot paths)."""
    top: dict[str, pl.Expr] = {}
    groups: dict[str, list[tuple[str, str]]] = {}
    for path, fld in fields.items():
        if fld.read_only:
            continue
        if fld.sub is None:
            top[path] = _fragment(path, pl.col(path))
        else:
            groups.setdefault(fld.top, []).append((fld.sub, path))
    for group, members in groups.items():
        inner = [_fragment(sub, pl.col(path)) for sub, path in sorted(members)]
        any_set = pl.any_horizontal([pl.col(path).is_not_null() for _, path in members])
        top[group] = pl.when(any_set).then(pl.concat_str([pl.lit(f'"{group}":'), _object(inner)]))
    unset = _unset(cfg, fields)
    if unset is not None:
        top["$unset"] = unset
    return _object([top[name] for name in sorted(top)])


def key_expr(cfg: SyncConfig) -> pl.Expr:
    """The row's identity as one string (``value`` or ``value|value`` for pairs and events)."""
    cols = key_columns(cfg)
    return pl.concat_str([pl.col(c).cast(pl.String) for c in cols], separator=KEY_SEP)


def stable_hash(values: pl.Series) -> pl.Series:
    """A 128-bit BLAKE2b hex digest per string; stable across processes and library versions.

    (polars' own ``hash`` may change between versions, and the ledger outlives them.) Hashed
    a slice at a time, so a million rows never exist as a million Python strings at once.
    """
    if values.len() <= _HASH_SLICE:
        return _digests(values)
    parts = [_digests(values.slice(i, _HASH_SLICE)) for i in range(0, values.len(), _HASH_SLICE)]
    return pl.concat(parts, rechunk=True).alias(values.name)


#: rows hashed per slice: large enough that the per-slice cost vanishes, small enough that
#: the slice's Python strings stay a few MB
_HASH_SLICE = 65_536


def _digests(values: pl.Series) -> pl.Series:
    blake2b = hashlib.blake2b
    digests = [
        blake2b(v.encode(), digest_size=16).hexdigest() if v is not None else None
        for v in values.to_list()
    ]
    return pl.Series(values.name, digests, dtype=pl.String)


def dedup_id(sync: str, key: str, payload_hash: str) -> str:
    """Deterministic ``deduplication_id``: a resent event is the same event (custify-api.md §4)."""
    raw = f"custify-sync\0{sync}\0{key}\0{payload_hash}".encode()
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


def token(sync: str, key: str) -> str:
    """Deterministic per (sync, key): the hidden marker and external key of a create, so a
    resend after a crash carries the same one and the earlier record can be found (§16)."""
    raw = f"custify-sync\0{sync}\0{key}".encode()
    return hashlib.blake2b(raw, digest_size=8).hexdigest()


def marker(tok: str) -> str:
    """An HTML comment: never rendered in the note, kept in its stored HTML (see README)."""
    return f"<!--custify-sync:{tok}-->"


def external_key(tok: str) -> str:
    return f"custify-sync-{tok}"


def _recoverable(cfg: SyncConfig, frame: pl.DataFrame) -> pl.DataFrame:
    """Add the recovery marker / external key (registry ``Recovery``) to each payload."""
    rec = cfg.action.recovery
    if rec is None or not (rec.marker or rec.external_key):
        return frame
    out = []
    for key, text in zip(frame.get_column("key"), frame.get_column("payload"), strict=True):
        body, tok = json.loads(text), token(cfg.name, key)
        text_value = body.get(rec.marker) if rec.marker else None
        if isinstance(text_value, str) and marker(tok) not in text_value:
            body[rec.marker] = text_value + marker(tok)
        if rec.external_key and not body.get(rec.external_key):
            body[rec.external_key] = external_key(tok)
        out.append(json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")))
    return frame.with_columns(pl.Series("payload", out, dtype=pl.String))


def with_payloads(cfg: SyncConfig, desired: Desired) -> pl.DataFrame:
    """Add ``key``, ``payload`` and ``payload_hash`` to the valid rows.

    Columns that only name a record (``Field.send`` false: a note's ``company_id`` once it is
    resolved to ``entity``) stay out of the payload. A create with no key columns is keyed by
    its content: the same content is created once."""
    fields = {p: f for p, f in desired.fields.items() if f.send}
    if cfg.kind == Kind.TAG:
        fields = {p: f for p, f in fields.items() if p in ("tag", "type", cfg.match)}
    frame = desired.frame.with_columns(payload_json(cfg, fields).alias("payload"))
    if key_columns(cfg):
        frame = frame.with_columns(key_expr(cfg).alias("key"))
    else:
        frame = frame.with_columns(stable_hash(frame.get_column("payload")).alias("key"))
    frame = _recoverable(cfg, frame)
    frame = frame.with_columns(stable_hash(frame.get_column("payload")).alias("payload_hash"))
    if cfg.kind == Kind.APPEND and DEDUP_FIELD in cfg.action.body and DEDUP_FIELD not in fields:
        ids = [
            dedup_id(cfg.name, k, h)
            for k, h in zip(frame.get_column("key"), frame.get_column("payload_hash"), strict=True)
        ]
        frame = frame.with_columns(
            pl.concat_str(
                [pl.col("payload").str.strip_suffix("}"),
                 pl.lit(f',"{DEDUP_FIELD}":"'), pl.Series(ids), pl.lit('"}')]
            ).alias("payload")
        )  # fmt: skip
    return frame.sort(ROW)

"""Find records by an identifier the user knows: the extract first, then Custify.

Identifier resolution (``identify.refs``) asks "which records of ``object`` have ``by`` = v?" for
many values at once. The answer comes, in order of cost, from

1. the ELT's extracted table (free; it also shows when SEVERAL records share a value, e.g. two
   people with one e-mail after Custify's "new person" rule, §2);
2. the confirmed snapshot of any sync on that object (ids this tool created or matched);
3. Custify, as the registry's ``find_by`` says: the object's get action, ``GET <list>/<id>``,
   ``GET <list>?<by>=v`` (one request per value, in parallel), or one scan of the whole list
   per run (tags by name, financials by externalId: no filter exists, §5, §12). For an
   identifier that may name several records (``Finder.several``: people's e-mail and
   user_id, §2), a lookup that must count the matches (``count_all``) also lists the object
   filtered on it (``Finder.filter_type``, §1.7): a get may answer with one of several.

A value the extract lacks is still asked remotely (the extract may be older than the record).
Every answer is a list of the found records' ``take`` values: empty = nothing, 2+ = ambiguous.
A value nothing can check (no extract of the object and no way to ask Custify, e.g. a note by
id before the notes were extracted) is left out of the answer: unknown, Custify will judge.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import polars as pl

from custify import actions
from custify.envelopes import parse
from custify.errors import NotFound
from models.registry import Action, CustifyObject, Finder
from reverse_etl import ledger
from reverse_etl.config import SyncConfig
from reverse_etl.config.fields import snake
from reverse_etl.engine.context import Context
from reverse_etl.identify.extract import DELETED

Found = dict[str, list[str]]
_CHUNK = 500
#: joins a value with its narrowing fields (``Finder.within``): "VIP" + SEP + "people"
SEP = "\x1f"


def dig(record: dict[str, Any], path: str) -> Any:
    """``record["a"]["b"]`` for ``"a.b"`` (financials keep externalId in ``externalIds``, §1.3)."""
    value: Any = record
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def find(
    ctx: Context,
    cfg: SyncConfig,
    obj: CustifyObject,
    by: str,
    take: str,
    values: list[str],
    remote: bool = True,
    within: tuple[str, ...] = (),
    count_all: bool = False,
) -> Found:
    """``value -> [take of each record found]`` for every value (cached for the run);
    ``remote=False`` answers from the warehouse only. With ``within``, each value is
    ``by`` + ``SEP`` + the narrowing fields (an empty one matches any), from a scan only.
    ``count_all``: the caller must know when several records match (resolving to ONE id),
    so a remote lookup of a ``several`` identifier also asks the filtered list."""
    key = ("find", cfg.connection, obj.name, by, take, within, count_all)
    cache: Found = ctx.cache.setdefault(key, {})
    todo = [v for v in dict.fromkeys(values) if v not in cache]
    if within:
        if todo and remote:
            cache.update(_scan(ctx, cfg, obj, obj.find_by[by], take, todo))
        return {v: cache.get(v, []) for v in values}
    if todo:
        cache.update(_from_extract(ctx, obj, by, take, todo))
        todo = [v for v in todo if not cache.get(v)]
    finder = obj.find_by.get(by)
    counting = count_all and finder is not None and finder.several
    if todo and take == "id" and not counting:  # a snapshot knows one record, never how many
        known = ledger.known_ids(ctx.wh, obj.name, by)
        hits = known.filter(pl.col("key").is_in(todo))
        cache.update({k: [i] for k, i in hits.iter_rows()})
        todo = [v for v in todo if not cache.get(v)]
    if todo and remote:
        cache.update(_remote(ctx, cfg, obj, by, take, todo, count_all))
    checkable = (remote and by in obj.find_by) or (obj.extracted and ctx.wh.table_exists(obj.name))
    return {v: cache.get(v, []) for v in values if checkable or cache.get(v)}


def ids_by_key(
    ctx: Context, cfg: SyncConfig, keys: list[str], *, unique: bool = False
) -> dict[str, str]:
    """``key -> custify id`` for the keys Custify knows (extract, snapshot, then lookups);
    ``unique``: only keys that name exactly one record (a tag goes on that one or on none)."""
    if not keys:
        return {}
    found = find(ctx, cfg, cfg.target, cfg.match or "id", "id", keys)
    return {k: ids[0] for k, ids in found.items() if ids and (len(ids) == 1 or not unique)}


def existing(
    ctx: Context, cfg: SyncConfig, rows: pl.DataFrame, state: pl.DataFrame
) -> pl.DataFrame:
    """``(key, custify_id)`` of the desired keys that exist in Custify, for modes that care
    (update-only must not create, create-only must not overwrite, mirror must know what it made)
    when there is no extract; keys the snapshot knows are not asked again."""
    live = state.filter(pl.col("op") != "delete").get_column("key").implode()
    unknown = rows.filter(~pl.col("key").is_in(live)).get_column("key").unique().to_list()
    found = ids_by_key(ctx, cfg, unknown)
    return pl.DataFrame(
        {"key": list(found), "custify_id": list(found.values())},
        schema={"key": pl.String, "custify_id": pl.String},
    )


def _from_extract(ctx: Context, obj: CustifyObject, by: str, take: str, values: list[str]) -> Found:
    wh = ctx.wh
    if not obj.extracted or not wh.table_exists(obj.name):
        return {}
    columns = wh.columns(obj.name)
    by_col, take_col = snake(by if by != "_id" else "id"), snake(take if take != "_id" else "id")
    if by_col not in columns or take_col not in columns:
        return {}
    q = wh.quote
    live = f" AND {q(DELETED)} IS NULL" if DELETED in columns else ""
    out: Found = {}
    for start in range(0, len(values), _CHUNK):
        part = values[start : start + _CHUNK]
        marks = ", ".join(["%s"] * len(part))
        sql = (
            f"SELECT CAST({q(by_col)} AS VARCHAR), CAST({q(take_col)} AS VARCHAR) "
            f"FROM {wh.table(obj.name)} WHERE CAST({q(by_col)} AS VARCHAR) IN ({marks}){live}"
        )
        for value, found in wh.query_rows(sql, part):
            out.setdefault(str(value), [])
            if found is not None and found not in out[value]:
                out[value].append(str(found))
    return out


def _remote(
    ctx: Context,
    cfg: SyncConfig,
    obj: CustifyObject,
    by: str,
    take: str,
    values: list[str],
    count_all: bool,
) -> Found:
    finder = obj.find_by.get(by)
    if finder is None:
        return {}
    client = ctx.client(cfg)
    if finder.how == "scan":
        return _scan(ctx, cfg, obj, finder, take, values)
    filtered = count_all and finder.several and finder.filter_type is not None

    def one(value: str) -> tuple[str, list[str]]:
        try:
            rows = _lookup(client, obj, finder, by, value)
        except NotFound:
            rows = []
        if filtered:
            rows += filtered_list(client, obj, finder, value)
        hits = [r for r in rows if str(dig(r, finder.field)) == value]
        return value, list(dict.fromkeys(str(dig(r, take)) for r in hits if dig(r, take)))

    with ThreadPoolExecutor(max_workers=ctx.concurrency(cfg)) as pool:
        return dict(pool.map(one, values))


def _lookup(client: Any, obj: CustifyObject, finder: Finder, by: str, value: str) -> list[dict]:
    if finder.how == "get":
        return get_all(client, obj.action("get"), {by: value})
    if finder.how == "one":
        return [client.get_one(obj, by=obj.id_field, value=value)]
    body = client.get_json(obj.list_path or "", {by: value})
    return parse(body, obj.envelope, obj.envelope_key).rows


def get_all(client: Any, get: Action, payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Every record a get action answers with (``GET /people?email=`` is a list, §18.2; more
    than one when several people share the e-mail); a miss is an empty list."""
    prepared = actions.prepare(get, payload)
    try:
        body = client.get_json(prepared.path, prepared.params or None)
    except NotFound:
        return []
    return parse(body, get.response, get.response_key).rows


def filtered_list(client: Any, obj: CustifyObject, finder: Finder, value: str) -> list[dict]:
    """Every record holding ``value``: the list filtered on the finder's field (§1.7). One
    page only: a list that ignored the filter must not turn one lookup into a full scan (the
    hits are checked against the value either way)."""
    cond = {"fieldName": finder.field, "fieldType": finder.filter_type, "filterType": "is",
            "filterValue": value}  # fmt: skip
    params = {"filters": json.dumps([cond]), "properties": json.dumps([finder.field])}
    if not obj.accepts_properties:
        params.pop("properties")
    try:
        return client.list_page(obj, 1, params=params).rows
    except NotFound:
        return []


def _scan(
    ctx: Context, cfg: SyncConfig, obj: CustifyObject, finder: Finder, take: str, values: list[str]
) -> Found:
    """One listing of the whole object per run, indexed by the finder's field."""
    key = ("scan", cfg.connection, obj.name)
    if key not in ctx.cache:
        ctx.cache[key] = list(ctx.client(cfg).iter_rows(obj))
    index: Found = {}
    for row in ctx.cache[key]:
        value, found = dig(row, finder.field), dig(row, take)
        if value is None or found is None:
            continue
        names = [str(value)]
        if finder.within:  # "VIP" + SEP + "people", and "VIP" + SEP + "" for any category
            narrow = SEP.join(str(dig(row, w) or "") for w in finder.within)
            names = [str(value) + SEP + narrow, str(value) + SEP * len(finder.within)]
        for name in names:
            index.setdefault(name, [])
            if str(found) not in index[name]:
                index[name].append(str(found))
    return {v: index.get(v, []) for v in values}

"""The sandbox's state: one ``Table`` per Custify object, in READ shape, plus side stores.

Tables keep lazily built indexes so that listing a million people does not sort a million rows
on every page: a sorted index per sort field (kept up to date with ``bisect`` on every write)
and a hash index per equality field (for per-company/per-parent lists). Route code never
mutates a stored dict in place: it builds a new dict and calls ``put`` so indexes stay right.
"""

from __future__ import annotations

import bisect
import copy
import functools
import hashlib
import itertools
import json
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from sandbox import attributes

#: What a delete takes along, given the store, the object and the removed record
AfterDelete = Callable[["Store", str, dict], None]


def get_path(rec: dict, path: str) -> Any:
    """``rec[a][b]`` for ``"a.b"`` (filters and sorting use dot-notation, §1.7)."""
    if "." not in path:
        return rec.get(path)
    cur: Any = rec
    for part in path.split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur


def sort_key(value: Any) -> tuple:
    """A total order over mixed JSON values: null < numbers/booleans < strings < others."""
    if value is None:
        return (0, 0)
    if isinstance(value, bool | int | float):
        return (1, value)
    if isinstance(value, str):
        return (2, value)
    return (3, json.dumps(value, sort_keys=True, default=str))


def hash_values(value: Any) -> Iterable[Any]:
    """Index values of a field: list elements (``{id}`` objects by id) or the scalar."""
    if isinstance(value, list):
        for v in value:
            if isinstance(v, dict):
                v = v.get("id")
            if isinstance(v, str | int | float | bool):
                yield v
    elif isinstance(value, str | int | float | bool):
        yield value


class Table:
    """id -> record, with lazily built indexes kept current on ``put``/``remove``."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.rows: dict[str, dict] = {}
        self.version = 0
        self._sorted: dict[str, list[tuple]] = {}
        self._hash: dict[str, dict[Any, set[str]]] = {}
        self._cache: dict[Any, list[str]] = {}
        self._cache_version = 0

    def __len__(self) -> int:
        return len(self.rows)

    def load(self, records: Iterable[dict]) -> None:
        """Bulk insert (generator); indexes are dropped and rebuilt on first use."""
        for rec in records:
            self.rows[rec["id"]] = rec
        self._sorted.clear()
        self._hash.clear()
        self.version += 1

    def put(self, rec: dict) -> None:
        """Insert or replace ``rec`` (by ``rec["id"]``), keeping every built index right."""
        rid = rec["id"]
        old = self.rows.get(rid)
        for fld, idx in self._sorted.items():
            if old is not None:
                self._sorted_remove(idx, (*sort_key(get_path(old, fld)), rid))
            bisect.insort(idx, (*sort_key(get_path(rec, fld)), rid))
        for fld, hidx in self._hash.items():
            if old is not None:
                for v in hash_values(get_path(old, fld)):
                    hidx.get(v, set()).discard(rid)
            for v in hash_values(get_path(rec, fld)):
                hidx.setdefault(v, set()).add(rid)
        self.rows[rid] = rec
        self.version += 1

    def remove(self, rid: str) -> dict | None:
        old = self.rows.pop(rid, None)
        if old is None:
            return None
        for fld, idx in self._sorted.items():
            self._sorted_remove(idx, (*sort_key(get_path(old, fld)), rid))
        for fld, hidx in self._hash.items():
            for v in hash_values(get_path(old, fld)):
                hidx.get(v, set()).discard(rid)
        self.version += 1
        return old

    @staticmethod
    def _sorted_remove(idx: list[tuple], key: tuple) -> None:
        i = bisect.bisect_left(idx, key)
        if i < len(idx) and idx[i] == key:
            del idx[i]

    def sorted_index(self, fld: str) -> list[tuple]:
        """Ascending ``(rank, value, id)`` tuples; read backwards for descending order."""
        idx = self._sorted.get(fld)
        if idx is None:
            idx = sorted((*sort_key(get_path(r, fld)), rid) for rid, r in self.rows.items())
            self._sorted[fld] = idx
        return idx

    def ordered_ids(self, fld: str, desc: bool) -> Iterator[str]:
        idx = self.sorted_index(fld)
        seq = reversed(idx) if desc else iter(idx)
        return (k[2] for k in seq)

    def page_ids(self, fld: str, desc: bool, offset: int, limit: int) -> list[str]:
        """One page straight from the sorted index: O(limit), no scan."""
        idx = self.sorted_index(fld)
        n = len(idx)
        if desc:
            hi, lo = n - offset, max(0, n - offset - limit)
            return [idx[i][2] for i in range(hi - 1, lo - 1, -1)] if hi > 0 else []
        return [k[2] for k in idx[offset : offset + limit]]

    def lookup(self, fld: str, value: Any) -> set[str]:
        """Ids whose ``fld`` equals (or, for lists, contains) ``value``."""
        idx = self._hash.get(fld)
        if idx is None:
            idx = {}
            for rid, r in self.rows.items():
                for v in hash_values(get_path(r, fld)):
                    idx.setdefault(v, set()).add(rid)
            self._hash[fld] = idx
        return idx.get(value, set())

    def cached(self, key: Any, compute: Callable[[], list[str]]) -> list[str]:
        """Memoise a filtered id list until the next write to this table."""
        if self._cache_version != self.version:
            self._cache.clear()
            self._cache_version = self.version
        hit = self._cache.get(key)
        if hit is None:
            hit = compute()
            if len(self._cache) > 64:
                self._cache.clear()
            self._cache[key] = hit
        return hit


def _locked(method: Callable) -> Callable:
    """Run a public helper under the sandbox's state lock (tests may call helpers while the
    HTTP server's threads answer requests)."""

    @functools.wraps(method)
    def wrapper(self: Store, *args: Any, **kwargs: Any) -> Any:
        with self.lock:
            return method(self, *args, **kwargs)

    return wrapper


class Store:
    """All sandbox state. Public helpers return deep copies; ``table()`` is for route code.

    ``stamp``, ``new_id`` and ``cascade_bumps`` are injected by the account (they read its
    clock and fault knobs), and so are ``lock``, its state lock, ``tables``, the tables it
    serves, and ``after_delete``, what a delete takes along (sandbox/cascade.py).
    """

    def __init__(self, stamp: Callable[[], str], new_id: Callable[[], str],
                 lock: Any = None, seed: int = 0,
                 cascade_bumps: Callable[[], bool] = lambda: True,
                 tables: Iterable[str] = (),
                 after_delete: AfterDelete | None = None) -> None:  # fmt: skip
        self.lock = lock if lock is not None else threading.RLock()
        self.seed = seed
        #: does a record that loses a reference in a delete's cascade get a new updated_at?
        self.cascade_bumps = cascade_bumps
        self.tables: dict[str, Table] = {n: Table(n) for n in tables}
        self.after_delete = after_delete
        self.events: list[dict] = []
        self.event_dedup: set[str] = set()
        self.scores: dict[str, dict[str, dict]] = {"nps": {}, "csat": {}}
        self.batch_jobs: dict[str, dict] = {}
        #: ids of asynchronous jobs not completed yet, in submit order (routes/batch.py)
        self.batch_pending: list[str] = []
        self.custom_data: dict[tuple, dict] = {}
        #: scope (people / companies / events) -> attribute name -> the type its first value
        #: fixed (sandbox/attributes.py)
        self.attribute_types: dict[str, dict[str, str]] = {s: {} for s in attributes.SCOPES}
        self.stamp = stamp
        self.new_id = new_id

    def table(self, obj: str) -> Table:
        try:
            return self.tables[obj]
        except KeyError:
            raise KeyError(f"unknown sandbox table {obj!r}; known: {sorted(self.tables)}") from None

    # ---- inspection helpers (tests) -----------------------------------------------------
    @_locked
    def rows(self, obj: str) -> list[dict]:
        return copy.deepcopy(list(self.table(obj).rows.values()))

    @_locked
    def get(self, obj: str, rid: str) -> dict | None:
        rec = self.table(obj).rows.get(rid)
        return copy.deepcopy(rec) if rec is not None else None

    @_locked
    def find(self, obj: str, **fields: Any) -> list[dict]:
        """Rows whose fields equal the given values (``a__b=`` for the dot-path ``a.b``)."""
        want = {k.replace("__", "."): v for k, v in fields.items()}
        out = [
            r
            for r in self.table(obj).rows.values()
            if all(get_path(r, k) == v for k, v in want.items())
        ]
        return copy.deepcopy(out)

    @_locked
    def count(self, obj: str) -> int:
        return len(self.table(obj))

    @_locked
    def segments_of(self, obj: str, rid: str) -> list[dict]:
        """``[{id, name}]`` of the segments holding person / company ``rid`` (``obj``).

        Membership is modelled simply: each segment of the entity's type holds a seeded third
        of them, decided by a hash of (seed, segment, entity), so it is deterministic, costs
        no memory and covers records created later too (Custify's segments are live filters).
        """
        kind = "people" if obj == "people" else "company"
        segs = self.table("segments")
        return [{"id": sid, "name": segs.rows[sid]["name"]}
                for sid in sorted(segs.lookup("type", kind)) if self._member(sid, rid)]  # fmt: skip

    def _member(self, segment_id: str, rid: str) -> bool:
        digest = hashlib.blake2b(f"{self.seed}:{segment_id}:{rid}".encode(), digest_size=4)
        return int.from_bytes(digest.digest(), "big") % 3 == 0

    # ---- mutation helpers: changes made "in Custify", bypassing the API -------------------
    @_locked
    def create(self, obj: str, **fields: Any) -> dict:
        now = self.stamp()
        rec = {"id": fields.pop("id", None) or self.new_id(), **fields}
        rec.setdefault("created_at", now)
        rec.setdefault("updated_at", now)
        self.table(obj).put(rec)
        self._observe(obj, rec)
        return copy.deepcopy(rec)

    @_locked
    def update(self, obj: str, rid: str, **fields: Any) -> dict:
        old = self.table(obj).rows.get(rid)
        if old is None:
            raise KeyError(f"{obj} {rid} does not exist")
        rec = {**copy.deepcopy(old), **fields}
        rec["updated_at"] = fields.get("updated_at") or self.stamp()
        self.table(obj).put(rec)
        self._observe(obj, rec)
        return copy.deepcopy(rec)

    def _observe(self, obj: str, rec: dict) -> None:
        if obj in self.attribute_types:
            attributes.observe(self.attribute_types[obj], rec.get("custom_attributes"))

    def observe_attributes(self) -> None:
        """The stored people's and companies' attributes, typed by their values (table order:
        generation order, so the generated data fixes the same types every time)."""
        for scope in attributes.RECORD_SCOPES:
            if scope in self.tables:
                rows = self.tables[scope].rows.values()
                for rec in itertools.islice(rows, attributes.OBSERVE_SAMPLE):
                    attributes.observe(self.attribute_types[scope], rec.get("custom_attributes"))

    @_locked
    def touch(self, obj: str, rid: str) -> None:
        """Bump ``updated_at`` only (mutate-while-paging fault)."""
        old = self.table(obj).rows.get(rid)
        if old is not None:
            self.table(obj).put({**old, "updated_at": self.stamp()})

    @_locked
    def delete(self, obj: str, rid: str) -> dict:
        """Hard delete, with what it takes along (sandbox/cascade.py): a person's events and
        links, a company's objectives and links, a tag on every entity (§2, §3, §5). The API's
        DELETE endpoints call this too, so both ways of deleting cascade alike."""
        old = self.table(obj).remove(rid)
        if old is None:
            raise KeyError(f"{obj} {rid} does not exist")
        if self.after_delete is not None:
            self.after_delete(self, obj, old)
        return old

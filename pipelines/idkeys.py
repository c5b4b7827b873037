"""A compact set of record ids for the scan's dedup and for reconciliation.

A scan keeps every id it has seen (``jobs.py``: a row read twice because the list shifted is
dropped; reconciliation anti-joins the whole set). As Python ``str`` in a ``set`` a 24-hex
ObjectId (§1.3) costs ~110 bytes, ~110 MB per million rows, most of which stays with the
process after the scan (fragmented small-object arenas) and adds to the load step's peak.

Here an id of exactly 24 lowercase hex digits is kept as its 12 bytes: the newest ones in a
small ``set``, older ones in a few sorted NumPy arrays (12 bytes per id: its last 8 bytes as
one ``uint64``, the sort and search key, and its first 4, the ObjectId's time stamp, as a
``uint32`` beside it; one buffer each, given back whole when the set goes). Any other id (another length, upper case, not a
string) is kept as given, in a set of its own, so two different ids never meet. ``add_new``
takes a page at once, so the sorted arrays are searched once per page, not once per row.
Iteration gives every id back in its original text.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator
from typing import Any

import numpy as np

_BYTES = 12
#: an ObjectId's 12 bytes read as (first 4, last 8), big-endian: the order of the hex text
_SPLIT = np.dtype([("hi", ">u4"), ("lo", ">u8")])
#: ids kept in the ``set`` (~75 bytes each) before they move into a sorted array
_RECENT_MAX = 131_072

Level = tuple[np.ndarray, np.ndarray]  # (lo, hi), sorted by lo then hi


class IdKeys:
    """``add_new`` / ``in`` / ``len`` / iteration over record ids; ObjectIds as 12 bytes."""

    __slots__ = ("_recent", "_levels", "_sorted", "_other")

    def __init__(self, ids: Iterable[Any] = ()) -> None:
        self._recent: set[bytes] = set()
        self._levels: list[Level] = []
        self._sorted = 0  # ids in ``_levels``
        self._other: set[Hashable] = set()
        self.add_new(list(ids))

    def add_new(self, ids: list[Any]) -> list[bool]:
        """Add ``ids`` (one page); for each, True when it was not there before."""
        keys = [_as_bytes(rid) for rid in ids]
        known = self._in_levels([k for k in keys if k is not None])
        fresh: list[bool] = []
        recent, other = self._recent, self._other
        for rid, key in zip(ids, keys, strict=True):
            if key is None:
                new = rid not in other
                if new:
                    other.add(rid)
            else:
                new = key not in known and key not in recent
                if new:
                    recent.add(key)
            fresh.append(new)
        if len(recent) >= _RECENT_MAX:
            self._freeze()
        return fresh

    def __contains__(self, rid: Any) -> bool:
        key = _as_bytes(rid)
        if key is None:
            return rid in self._other
        return key in self._recent or bool(self._in_levels([key]))

    def __len__(self) -> int:
        return self._sorted + len(self._recent) + len(self._other)

    def __iter__(self) -> Iterator[Any]:
        for lo, hi in self._levels:
            for h, low in zip(hi.tolist(), lo.tolist(), strict=True):
                yield f"{h:08x}{low:016x}"
        for key in self._recent:
            yield key.hex()
        yield from self._other

    def _in_levels(self, keys: list[bytes]) -> set[bytes]:
        """Those of ``keys`` that are in a sorted array."""
        if not keys or not self._levels:
            return set()
        p_lo, p_hi = _split(keys)
        found: set[bytes] = set()
        for lo, hi in self._levels:
            at = np.searchsorted(lo, p_lo)
            end = len(lo)
            for i in np.flatnonzero(lo[np.minimum(at, end - 1)] == p_lo).tolist():
                j = int(at[i])  # the first of the ids sharing these 8 bytes (rarely two)
                while j < end and lo[j] == p_lo[i]:
                    if hi[j] == p_hi[i]:
                        found.add(keys[i])
                        break
                    j += 1
        return found

    def _freeze(self) -> None:
        """Move the recent ids into a sorted array; merge the arrays when there are many."""
        self._levels.append(_sorted(*_split(list(self._recent))))
        self._sorted += len(self._recent)
        self._recent = set()
        levels = self._levels  # merge while the newest is as big as the one before: O(log n)
        while len(levels) > 1 and 2 * len(levels[-1][0]) >= len(levels[-2][0]):
            (lo1, hi1), (lo2, hi2) = levels.pop(), levels.pop()
            levels.append(_sorted(np.concatenate([lo2, lo1]), np.concatenate([hi2, hi1])))


def _split(keys: list[bytes]) -> Level:
    """(last 8 bytes, first 4 bytes) of 12-byte keys, as native ``uint64`` / ``uint32``."""
    both = np.frombuffer(b"".join(keys), dtype=_SPLIT)
    return both["lo"].astype(np.uint64), both["hi"].astype(np.uint32)


def _sorted(lo: np.ndarray, hi: np.ndarray) -> Level:
    order = np.lexsort((hi, lo))
    return lo[order], hi[order]


def _as_bytes(rid: Any) -> bytes | None:
    """The 12 bytes of a 24-lowercase-hex id, None for any other id (kept as it is)."""
    if type(rid) is not str or len(rid) != 2 * _BYTES:
        return None
    try:
        key = bytes.fromhex(rid)
    except ValueError:
        return None
    # fromhex also takes upper case and spaces: keep only what prints back as it was
    return key if len(key) == _BYTES and key.hex() == rid else None

"""A compact set of record ids for the scan's dedup and for reconciliation.

A scan keeps every id it has seen (``jobs.py``: a row read twice because the list shifted is
dropped; reconciliation anti-joins the whole set). As Python ``str`` a 24-hex ObjectId
(§1.3) costs 73 bytes plus its set slot, ~110 MB per million rows held to the end of the
object's scan. Ids that are exactly 24 lowercase hex digits are kept here as ints (40
bytes); any other id (another length, upper case, not a string) is kept as given, in a set
of its own, so that an int can never collide with an id that was an int to begin with.
Iteration gives every id back in its original text.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator
from typing import Any

_WIDTH = 24


class IdKeys:
    """``add`` / ``in`` / ``len`` / iteration over record ids, ObjectIds stored as ints."""

    __slots__ = ("_hex", "_other")

    def __init__(self, ids: Iterable[Any] = ()) -> None:
        self._hex: set[int] = set()
        self._other: set[Hashable] = set()
        for rid in ids:
            self.add(rid)

    def add(self, rid: Any) -> bool:
        """Add ``rid``; False when it was already there."""
        key = _as_int(rid)
        target: set[Any] = self._other if key is None else self._hex
        item = rid if key is None else key
        if item in target:
            return False
        target.add(item)
        return True

    def __contains__(self, rid: Any) -> bool:
        key = _as_int(rid)
        return rid in self._other if key is None else key in self._hex

    def __len__(self) -> int:
        return len(self._hex) + len(self._other)

    def __iter__(self) -> Iterator[Any]:
        for key in self._hex:
            yield format(key, "024x")
        yield from self._other


def _as_int(rid: Any) -> int | None:
    """The int of a 24-lowercase-hex id, None for any other id (kept as it is)."""
    if type(rid) is not str or len(rid) != _WIDTH:
        return None
    try:
        key = int(rid, 16)
    except ValueError:
        return None
    # int() also takes "0x", "_", signs, spaces and upper case: keep only what prints back
    return key if format(key, "024x") == rid else None

"""An object's cursors: read from its dlt state, the scan's threshold, the advance, the write.

One cursor per stream (a variant's label, ``""`` for a plain list, ``*`` for per-parent lists,
a parent list's key), an ISO stamp as Custify wrote it. The rules (``pipelines/scan.py``):

- the threshold of an incremental scan is the cursor minus the overlap (never a strict ``>``:
  ties on the timestamp are read again, §17);
- the new cursor is the top of page 1 read at the start of the scan, never the newest row
  loaded; a scan whose ``total`` dropped (``unstable``) keeps the old one; and a cursor never
  moves backwards (a list emptied by deletes);
- the state keeps every stream's cursor (``cursors``) and, for the run summary and the
  status, the oldest of them (``cursor``).
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from pipelines.scan import parse_ts


@dataclass
class Cursors:
    """The stored cursors of one object and the ones this run's scans advanced to."""

    stored: dict[str, str] = field(default_factory=dict)
    advanced: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_state(cls, state: MutableMapping[str, Any]) -> Cursors:
        return cls(dict(state.get("cursors") or {}))

    def covers(self, keys: Iterable[str]) -> bool:
        """Does every stream have a cursor (else the object needs a full scan)?"""
        return all(k in self.stored for k in keys)

    def threshold(self, key: str, overlap_s: float) -> float | None:
        """Rows older than this end an incremental scan of ``key``; None: no cursor yet."""
        cursor = parse_ts(self.stored.get(key))
        return None if cursor is None else cursor - overlap_s

    def advance(self, key: str, top_raw: str | None, *, unstable: bool) -> None:
        """The new cursor of ``key``: the top seen at the start; kept if unstable."""
        old = self.stored.get(key)
        if unstable or top_raw is None:
            if old is not None:
                self.advanced[key] = old
            return
        if old is not None and (parse_ts(old) or 0) > (parse_ts(top_raw) or 0):
            top_raw = old  # never move backwards (a list emptied by deletes)
        self.advanced[key] = top_raw

    def merged(self) -> dict[str, str]:
        return {**self.stored, **self.advanced}

    def write(self, state: MutableMapping[str, Any]) -> None:
        """Every stream's cursor, and the oldest as the object's ``cursor``."""
        cursors = self.merged()
        state["cursors"] = cursors
        state["cursor"] = oldest(cursors.values())


def oldest(values: Iterable[str]) -> str | None:
    stamps = list(values)
    return min(stamps, key=lambda v: parse_ts(v) or 0) if stamps else None

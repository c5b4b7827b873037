"""Tombstones of forgotten people: salted hashes that keep them out of later extracts and pushes.

``custify-sync forget`` removes a person from Custify and from every table, and keeps only
``_custify_forgotten``: one row per identifier (``kind`` = id, email, user_id or name) holding
``sha256(salt, kind, normalised value)``, when, and by whom. No plaintext is kept anywhere,
so the table itself holds no personal data; the salt (one per dataset, stored in the rows)
only stops a lookup table built for another dataset from matching. Knowing a value, one can
still test whether it was forgotten: that is what the extract and the push must do.

The extract drops rows of a tombstoned person and redacts tombstoned tokens in other rows
(``redact_frame``); the push drops source rows that name one (``drop_rows``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl

TABLE = "_custify_forgotten"
#: the registry object whose records are people (their own rows are dropped, not redacted)
PERSON = "people"
KINDS = ("id", "email", "user_id", "name")
#: what replaces a forgotten value inside a text cell that stays
REDACTED = "[forgotten]"
SCHEMA: dict[str, pl.DataType] = {
    "hash": pl.String(), "kind": pl.String(), "salt": pl.String(),
    "forgotten_at": pl.Datetime("us", "UTC"), "forgotten_by": pl.String(),
}  # fmt: skip
#: identifier-like tokens inside free text (e-mails, ids, user ids)
_TOKEN = re.compile(r"[A-Za-z0-9_.+@-]+")
_WORD = re.compile(r"\w+", re.UNICODE)
#: names are matched as runs of up to this many words
MAX_NAME_WORDS = 5


def normalise(kind: str, value: Any) -> str:
    """E-mails and names compare case-insensitively and whitespace-folded; ids exactly."""
    text = str(value).strip()
    if kind == "email":
        return text.lower()
    if kind == "name":
        return " ".join(_WORD.findall(text.lower()))
    return text


def digest(salt: str, kind: str, value: Any) -> str:
    return hashlib.sha256(f"{salt}\x1f{kind}\x1f{normalise(kind, value)}".encode()).hexdigest()


def new_salt() -> str:
    return secrets.token_hex(16)


@dataclass
class Tombstones:
    """The hashes of one dataset, per kind, with the salts they were made with."""

    salts: list[str] = field(default_factory=list)
    hashes: dict[str, set[str]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return any(self.hashes.values())

    def matches(self, kind: str, value: Any) -> bool:
        if value is None or not self.hashes.get(kind):
            return False
        return any(digest(s, kind, value) in self.hashes[kind] for s in self.salts)

    def any_identifier(self, value: Any) -> bool:
        """``value`` is a forgotten id, e-mail or user_id (a whole cell, not a mention)."""
        return any(self.matches(k, value) for k in ("id", "email", "user_id"))

    def mentions(self, text: str) -> list[tuple[int, int]]:
        """Spans of ``text`` that are a forgotten identifier or name (to redact)."""
        spans = [m.span() for m in _TOKEN.finditer(text) if self.any_identifier(m.group())]
        if self.hashes.get("name"):
            words = list(_WORD.finditer(text))
            for i in range(len(words)):
                for n in range(1, MAX_NAME_WORDS + 1):
                    run = words[i : i + n]
                    if len(run) < n:
                        break
                    phrase = " ".join(w.group() for w in run)
                    if self.matches("name", phrase):
                        spans.append((run[0].start(), run[-1].end()))
        return spans

    def redact(self, text: str) -> str:
        spans = sorted(self.mentions(text))
        if not spans:
            return text
        out, last = [], 0
        for start, end in spans:
            if start < last:  # overlapping spans: the earlier one already covers it
                start = last
            if start >= end:
                continue
            out.append(text[last:start] + REDACTED)
            last = end
        return "".join(out) + text[last:]


def rows(
    salt: str, values: Mapping[str, Iterable[str]], when: dt.datetime, by: str
) -> pl.DataFrame:
    """Tombstone rows for every identifier of one person (``values``: kind -> its values)."""
    out = {
        (digest(salt, kind, v), kind)
        for kind, vs in values.items()
        for v in vs
        if v is not None and normalise(kind, v)
    }
    return pl.DataFrame(
        [
            {"hash": h, "kind": k, "salt": salt, "forgotten_at": when, "forgotten_by": by}
            for h, k in sorted(out)
        ],
        schema=SCHEMA,
    )


def from_frame(frame: pl.DataFrame) -> Tombstones:
    stones = Tombstones()
    if frame.height == 0:
        return stones
    stones.salts = sorted({str(s) for s in frame["salt"].to_list() if s})
    for h, k in frame.select("hash", "kind").iter_rows():
        stones.hashes.setdefault(str(k), set()).add(str(h))
    return stones


def load(client: Any) -> Tombstones:
    """The tombstones of ``client``'s dataset (a dlt SQL client); none when the table is
    missing (nobody was ever forgotten there)."""
    exists = client.execute_sql(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE lower(table_schema) = lower(%s) AND lower(table_name) = %s",
        client.dataset_name,
        TABLE,
    )
    if not exists or not exists[0][0]:
        return Tombstones()
    found = client.execute_sql(
        f"SELECT hash, kind, salt FROM {client.make_qualified_table_name(TABLE)}"
    )
    return from_frame(pl.DataFrame(list(found or []), schema=["hash", "kind", "salt"],
                                   orient="row"))  # fmt: skip


def person_mask(frame: pl.DataFrame, stones: Tombstones) -> pl.Series:
    """True for rows whose id, email or user_id is a forgotten person's."""
    mask = pl.Series([False] * frame.height)
    for kind in ("id", "email", "user_id"):
        if kind in frame.columns and stones.hashes.get(kind):
            values = frame[kind].cast(pl.String).to_list()
            mask = mask | pl.Series([stones.matches(kind, v) for v in values])
    return mask


def redact_frame(frame: pl.DataFrame, stones: Tombstones) -> pl.DataFrame:
    """Every text cell with its forgotten mentions redacted (rows stay)."""
    if not stones or frame.height == 0:
        return frame
    cols = [c for c, t in frame.schema.items() if t == pl.String]
    return frame.with_columns(
        pl.col(c).map_elements(stones.redact, return_dtype=pl.String, skip_nulls=True) for c in cols
    )


def drop_rows(frame: pl.DataFrame, stones: Tombstones) -> tuple[pl.DataFrame, int]:
    """Source rows of a push without those naming a forgotten person in any text column."""
    if not stones or frame.height == 0:
        return frame, 0
    mask = pl.Series([False] * frame.height)
    for c, t in frame.schema.items():
        if t == pl.String:
            mask = mask | pl.Series([stones.any_identifier(v) for v in frame[c].to_list()])
    return frame.filter(~mask), int(mask.sum())

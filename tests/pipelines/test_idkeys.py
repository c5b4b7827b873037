"""The compact id set gives back every id exactly as Custify wrote it, and never one twice."""

from __future__ import annotations

import random

from pipelines import idkeys
from pipelines.idkeys import IdKeys

ODD = [
    "65a1b2c3d4e5f60718293a4b",  # an ObjectId: kept as 12 bytes
    "65A1B2C3D4E5F60718293A4B",  # upper case: the same bytes, another id
    "65a1b2 c3d4e5f60718293a4",  # bytes.fromhex would read these; they stay text
    "000000000000000000000000",  # trailing zero bytes, which NumPy's S12 drops
    "650000000000000000000000",
    "short",
    "",
    1,  # an id that is a number to begin with
    "65a1b2c3d4e5f60718293a4b0",
]


def test_every_id_comes_back_as_written_and_none_collide():
    keys = IdKeys()
    assert keys.add_new(ODD) == [True] * len(ODD)
    assert keys.add_new(ODD) == [False] * len(ODD)  # all seen already
    assert len(keys) == len(ODD)
    assert sorted(map(repr, keys)) == sorted(map(repr, ODD))
    assert all(rid in keys for rid in ODD) and "65a1b2c3d4e5f60718293a4c" not in keys


def test_ids_moved_into_sorted_arrays_are_still_found(monkeypatch):
    monkeypatch.setattr(idkeys, "_RECENT_MAX", 7)  # freeze often, merge the arrays too
    rng = random.Random(4)
    ids = [f"{rng.getrandbits(96):024x}" for _ in range(500)] + ["0" * 24, "f" * 24]
    ids += [f"{n:08x}{'ab' * 8}" for n in range(40)]  # same last 8 bytes, other first 4
    keys = IdKeys()
    for start in range(0, len(ids), 9):  # pages of 9, one id repeated within its own page
        page = ids[start : start + 9]
        assert keys.add_new([*page, page[0]]) == [True] * len(page) + [False]
    assert keys.add_new(ids[::5]) == [False] * len(ids[::5])
    assert len(keys) == len(ids) and sorted(keys) == sorted(ids)
    assert all(rid in keys for rid in ids)

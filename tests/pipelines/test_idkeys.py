"""The compact id set gives back every id exactly as Custify wrote it."""

from __future__ import annotations

from pipelines.idkeys import IdKeys

ODD = [
    "65a1b2c3d4e5f60718293a4b",  # an ObjectId: kept as an int
    "65A1B2C3D4E5F60718293A4B",  # upper case: the same number, another id
    "0x a1b2c3d4e5f60718293a4",  # int(..., 16) would read these; they stay text
    "_5a1b2c3d4e5f60718293a4b",
    "+5a1b2c3d4e5f60718293a4b",
    "000000000000000000000001",
    "short",
    "",
    1,  # an id that is a number to begin with must not meet "000...001"
    "65a1b2c3d4e5f60718293a4b0",
]


def test_every_id_comes_back_as_written_and_none_collide():
    keys = IdKeys()
    assert all(keys.add(rid) for rid in ODD)
    assert not any(keys.add(rid) for rid in ODD)  # all seen already
    assert len(keys) == len(ODD)
    assert sorted(map(repr, keys)) == sorted(map(repr, ODD))
    assert all(rid in keys for rid in ODD) and "65a1b2c3d4e5f60718293a4c" not in keys

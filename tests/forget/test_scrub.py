"""``warehouse.scrub`` on its own, on both warehouses: whole-word mentions (adjacent ones, in
JSON, any case) are redacted, near misses stay, own rows go, other objects' rows stay."""

from __future__ import annotations

import polars as pl

from warehouse import SessionWarehouse
from warehouse.scrub import Traces, changes

TRACES = Traces(identifiers=("u1", "ann.lee@x.io"), names=("Ann Lee",))


def test_mentions_are_redacted_as_whole_words_and_own_rows_deleted(warehouse_cfg) -> None:
    with SessionWarehouse(warehouse_cfg) as wh:
        wh.replace_df("mine", pl.DataFrame({"key": ["u1", "u2"], "note": ["x", "y"]}))
        wh.replace_df("notes", pl.DataFrame({"text": [
            "ANN.LEE@x.io,ann.lee@x.io", "call Ann  Lee today", "u12 and xu1 and Annie Lee",
            '["u1","u2"]',
        ]}))  # fmt: skip
        with wh.client() as client, client.begin_transaction():
            found = changes(client, warehouse_cfg.destination, [warehouse_cfg.dataset], TRACES,
                            owned=lambda t: t != "notes", skip=lambda t: False, apply=True)  # fmt: skip
        by = {c.table: c for c in found}
        assert (by["mine"].deleted, by["notes"].redacted, by["notes"].deleted) == (1, 3, 0)
        assert wh.query_rows(f"SELECT key FROM {wh.table('mine')}") == [("u2",)]
        texts = sorted(r[0] for r in wh.query_rows(f"SELECT text FROM {wh.table('notes')}"))
    assert texts == sorted([
        "[forgotten],[forgotten]", "call [forgotten] today", "u12 and xu1 and Annie Lee",
        '["[forgotten]","u2"]',
    ])  # fmt: skip

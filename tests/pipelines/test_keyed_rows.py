"""Keyed lists (health scores by ObjectId, §3) as rows: which field is the value, which the name."""

from __future__ import annotations

import dataclasses

from models.registry import REGISTRY
from models.rows import KeyedList
from pipelines.frames import CHILD_IDX, PARENT_ID, TOMBSTONE, split_keyed

SCORES = KeyedList("metrics.scores", "scores", "score_id", ("score", "value"))
COMPANIES = dataclasses.replace(REGISTRY["companies"], keyed_lists=(SCORES,))


def rows_of(entries, names=None):
    record = {"id": "c1", "name": "Acme", "metrics": {"scores": entries, "mrr": 5}}
    parents, kids = split_keyed(COMPANIES, [record], {"scores": names or {}})
    return parents[0], kids["scores"]


def test_each_entry_is_one_row_with_the_first_value_field_present_and_its_other_fields():
    parent, kids = rows_of({
        "k1": {"score": 88, "value": 7, "label": "good", "name": "NPS"},
        "k2": {"score": None, "value": 3, "color": "#fff"},
    })  # fmt: skip
    assert parent == {"id": "c1", "name": "Acme", "metrics": {"mrr": 5}}
    assert kids == [
        {PARENT_ID: "c1", CHILD_IDX: 0, TOMBSTONE: False, "record_id": "c1", "score_id": "k1",
         "name": "NPS", "value": 88, "label": "good"},
        {PARENT_ID: "c1", CHILD_IDX: 1, TOMBSTONE: False, "record_id": "c1", "score_id": "k2",
         "name": None, "value": 3, "color": "#fff"},
    ]  # fmt: skip
    assert list(kids[0]) == [PARENT_ID, CHILD_IDX, TOMBSTONE, "record_id", "score_id", "name",
                             "value", "label"]  # fmt: skip


def test_names_come_from_the_entry_then_the_definitions_then_global_itself():
    _, kids = rows_of(
        {"k1": {"score": 1, "name": None}, "global": {"score": 2}, "k3": 4, "k4": {"score": 5}},
        names={"k1": "Usage", "k3": "Support"},
    )
    assert [(k["score_id"], k["name"], k["value"]) for k in kids] == [
        ("k1", "Usage", 1), ("global", "global", 2), ("k3", "Support", 4), ("k4", None, 5),
    ]  # fmt: skip


def test_an_entry_keeps_its_own_value_field_when_the_list_reads_another():
    only_score = dataclasses.replace(SCORES, value=("score",))
    companies = dataclasses.replace(REGISTRY["companies"], keyed_lists=(only_score,))
    record = {"id": "c1", "metrics": {"scores": {"k1": {"score": None, "value": 9}}}}
    _, kids = split_keyed(companies, [record], {})
    assert kids["scores"][0]["value"] == 9 and "score" not in kids["scores"][0]


def test_a_record_without_entries_gets_one_tombstone():
    parent, kids = rows_of({})
    assert kids == [{PARENT_ID: "c1", CHILD_IDX: -1, TOMBSTONE: True}]
    assert "scores" not in parent["metrics"]

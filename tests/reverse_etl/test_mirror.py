"""Mirror deletes only what this tool created (or what the user flags), behind a guard."""

from __future__ import annotations

import pytest

from reverse_etl import DeleteGuardError
from tests.reverse_etl.conftest import Pusher, extract, person_by


def _mirror(p: Pusher, share: float = 0.5) -> None:
    p.syncs["mirror"] = {"object": "people", "match": "user_id", "table": "desired",
                         "mode": "mirror", "allow_deletes": True, "max_delete_share": share}  # fmt: skip


def test_mirror_deletes_what_it_created_and_nothing_else(any_pusher: Pusher) -> None:
    p = any_pusher
    (kept,) = [r for r in p.sandbox.store.rows("people") if r.get("user_id")][:1]
    before = len(p.sandbox.store.rows("people"))
    _mirror(p)
    uids = ["m-1", "m-2", "m-3", "m-4", kept["user_id"]]
    p.table("desired", {"user_id": uids, "name": ["A", "B", "C", "D", "Pre-existing"]})
    assert p.push().exit_code == 0
    assert len(p.sandbox.store.rows("people")) == before + 4
    p.table("desired", {"user_id": ["m-1", "m-2", "m-3"], "name": ["A", "B", "C"]})
    report = p.push()
    assert report.exit_code == 0 and report.syncs[0].planned == {"delete": 1}
    assert person_by(p.sandbox, "user_id", "m-4") == []
    # the pre-existing person left the source too, but this tool did not create it
    assert person_by(p.sandbox, "user_id", kept["user_id"])
    assert len(p.sandbox.store.rows("people")) == before + 3
    seen = p.requests()
    assert p.push().requests == 0 and p.requests() == seen  # a confirmed delete is not repeated


def test_delete_guard_stops_the_run_before_anything_is_sent(any_pusher: Pusher) -> None:
    p = any_pusher
    _mirror(p, share=0.5)
    p.table("desired", {"user_id": ["g-1", "g-2", "g-3", "g-4"], "name": ["A", "B", "C", "D"]})
    assert p.push().exit_code == 0
    p.syncs["other"] = {"object": "people", "match": "user_id", "table": "other"}
    p.table("other", {"user_id": ["o-1"], "name": ["Would be sent"]})
    p.table("desired", {"user_id": ["g-1"], "name": ["A"]})
    seen = p.requests()
    with pytest.raises(DeleteGuardError, match=r"\[syncs.mirror\] max_delete_share: .* 3 of 4"):
        p.push()
    assert p.requests() == seen
    assert all(person_by(p.sandbox, "user_id", u) for u in ("g-2", "g-3", "g-4"))
    assert person_by(p.sandbox, "user_id", "o-1") == []


def test_delete_flag_deletes_listed_records_with_an_extract_as_target(pusher: Pusher) -> None:
    p = pusher
    victims = [r for r in p.sandbox.store.rows("people") if r.get("user_id")][:2]
    extract(p)
    p.syncs["gdpr"] = {"object": "people", "match": "user_id", "table": "forget",
                       "delete_flag": "forget", "allow_deletes": True,
                       "mapping": {"user_id": "user_id"}}  # fmt: skip
    p.table("forget", {"user_id": [v["user_id"] for v in victims], "forget": [True, False]})
    report = p.push()
    assert report.exit_code == 0 and report.syncs[0].planned.get("delete") == 1
    assert p.sandbox.store.get("people", victims[0]["id"]) is None
    assert p.sandbox.store.get("people", victims[1]["id"]) is not None

"""``forget`` end to end on the real ELT and reverse ETL, DuckDB and PostgreSQL: one person out
of Custify and out of every cell of every table, nothing else touched, and kept out."""

from __future__ import annotations

from collections import Counter

import polars as pl
import pytest

from custify.errors import ConfigError
from models.registry import EXTRACTED
from pipelines.run import run_extract
from reverse_etl.engine.forget import AmbiguousPerson, forget
from tests.forget.helpers import cells_holding, row_counts
from tests.reverse_etl.conftest import Pusher, extract
from warehouse import SessionWarehouse
from warehouse.forgotten import TABLE

ALL = [o.name for o in EXTRACTED]


def _target(sb) -> dict:
    """A person whose e-mail, user_id and name nobody else has, with a note on them."""
    people = list(sb.store.rows("people"))
    names = Counter(p["name"] for p in people)
    emails = Counter(p["email"].lower() for p in people if p.get("email"))
    noted = {n.get("entity") for n in sb.store.rows("notes")}
    return next(p for p in sorted(people, key=lambda r: r["id"])
                if p.get("user_id") and names[p["name"]] == 1 and p["id"] in noted
                and emails[p["email"].lower()] == 1)  # fmt: skip


def _needles(person: dict) -> list[str]:
    return [person["id"], person["email"], person["user_id"], person["name"]]


def _traces_everywhere(p: Pusher, person: dict) -> None:
    """The person in the extract, a push's ledger, snapshot, diff and runs, a user table, and
    a note on another person's company that names them."""
    extract(p, *ALL)
    p.table("crm", {"user_id": [person["user_id"], "keep-1"], "email": [person["email"],
            "keep-1@x.io"], "custom_attributes__tier": ["gold", "gold"]})  # fmt: skip
    p.syncs["crm"] = {"object": "people", "match": "user_id", "table": "crm"}
    assert p.push("crm").exit_code == 0
    p.close()
    extract(p, "people")  # the echo: trigger events with the person's changes


def _forget(p: Pusher, by: str, value: str, **kwargs):
    p.close()
    return forget(p.settings(), by=by, value=value, warehouse_cfg=p.wh_cfg,
                  client=p.client, by_whom="dpo@example.org", **kwargs)  # fmt: skip


@pytest.mark.parametrize("by", ["email", "user_id", "id"])
def test_forget_leaves_no_trace_in_any_cell_and_deletes_one_person(any_pusher: Pusher, by):
    p, sb = any_pusher, any_pusher.sandbox
    person = _target(sb)
    _traces_everywhere(p, person)
    assert cells_holding(p.wh_cfg, _needles(person))  # the search finds them before
    before = sb.store.count("people")
    others = row_counts(p.wh_cfg)["notes"]
    sb.journal.clear()
    report = _forget(p, by, person[by], yes=True)
    assert report.custify == "deleted" and report.rows > 0
    assert sb.store.count("people") == before - 1
    assert [e.path for e in sb.journal.filter("DELETE", "/people")] == [f"/people/{person['id']}"]
    assert cells_holding(p.wh_cfg, _needles(person)) == {}
    counts = row_counts(p.wh_cfg)
    assert counts["notes"] == others  # notes that named them stay, redacted
    assert counts["people"] == before - 1
    assert counts[TABLE] >= 4  # id, e-mail, user_id, name: hashes only


def test_a_later_extract_and_push_do_not_bring_them_back(any_pusher: Pusher) -> None:
    p, sb = any_pusher, any_pusher.sandbox
    person = _target(sb)
    _traces_everywhere(p, person)
    _forget(p, "email", person["email"], yes=True)
    sb.store.table("people").put(dict(person))  # Custify still (or again) serves them
    p.close()
    run_extract(p.settings(), objects=ALL, warehouse_cfg=p.wh_cfg, client=p.client,
                clock=p.clock, full_refresh=True)  # fmt: skip
    assert cells_holding(p.wh_cfg, _needles(person)) == {}
    p.table("crm", {"user_id": [person["user_id"], "keep-2"], "email": [person["email"],
            "keep-2@x.io"], "custom_attributes__tier": ["gold", "gold"]})  # fmt: skip
    sb.journal.clear()
    report = p.push("crm")  # the user's CRM still (or again) names them: not sent
    assert report.exit_code == 0
    sent = str([e.body for e in sb.journal.filter("POST", "")])
    assert person["email"] not in sent and person["user_id"] not in sent
    assert "keep-2" in sent  # the other row goes on as usual


def test_an_ambiguous_email_is_refused_and_nothing_changes(pusher: Pusher) -> None:
    p, sb = pusher, pusher.sandbox
    sb.configure(shared_emails=1)
    people = list(sb.store.rows("people"))
    shared = next(e for e, n in Counter(r["email"] for r in people).items() if n == 2)
    extract(p, "people", "notes")
    counts, before = row_counts(p.wh_cfg), sb.store.count("people")
    sb.journal.clear()
    with pytest.raises(AmbiguousPerson) as err:
        _forget(p, "email", shared, yes=True)
    assert shared not in str(err.value)  # no personal data in the message
    assert sb.store.count("people") == before and not sb.journal.filter("DELETE", "")
    assert row_counts(p.wh_cfg) == counts


def test_without_yes_nothing_is_sent_and_a_dry_run_only_counts(pusher: Pusher) -> None:
    p, sb = pusher, pusher.sandbox
    person = _target(sb)
    extract(p, "people", "notes", "tasks")
    counts = row_counts(p.wh_cfg)
    sb.journal.clear()
    with pytest.raises(ConfigError, match="--yes"):
        _forget(p, "email", person["email"])
    assert len(sb.journal) == 0
    report = _forget(p, "email", person["email"], dry_run=True)
    tables = {t.table: t for t in report.tables}
    assert tables["people"].deleted == 1 and report.custify == "not sent"
    assert not sb.journal.filter("DELETE", "") and row_counts(p.wh_cfg) == counts
    assert sb.store.get("people", person["id"]) is not None


def test_the_tombstone_holds_no_plaintext(pusher: Pusher) -> None:
    p, sb = pusher, pusher.sandbox
    person = _target(sb)
    extract(p, "people")
    _forget(p, "id", person["id"], yes=True)
    with SessionWarehouse(p.wh_cfg) as wh:
        stones = wh.query_df(f"SELECT * FROM {wh.table(TABLE)}")
    assert set(stones["kind"]) == {"id", "email", "user_id", "name"}
    text = stones.select(pl.all().cast(pl.String)).write_csv().lower()
    assert not any(n.lower() in text for n in _needles(person))
    assert set(stones["forgotten_by"]) == {"dpo@example.org"}


def test_a_person_gone_from_custify_is_still_forgotten_from_the_warehouse(pusher: Pusher) -> None:
    """The rerun after a crash between the Custify delete and the warehouse transaction."""
    p, sb = pusher, pusher.sandbox
    person = _target(sb)
    extract(p, "people", "notes")
    sb.store.delete("people", person["id"])
    report = _forget(p, "email", person["email"], yes=True)
    assert report.custify == "already gone"
    assert cells_holding(p.wh_cfg, _needles(person)) == {}

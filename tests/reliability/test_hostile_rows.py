"""Hostile rows: a hypothesis property over the rows of a people sync's
source table. Rows are valid or bad in one of six ways (wrong type, missing identifier,
duplicate identifier, nested object in a custom attribute, a 10,000-character string, a
number outside int32); every value is drawn from unicode text with SQL and HTML
meta-characters. Property: every bad row is rejected with a reason and no request carries it
(the sandbox journal's bodies); every valid row in the same run is sent exactly once, and
reaches Custify exactly unless Custify refuses it: the note attribute is known to no witness,
so the first note Custify receives fixes its type (§1.4: "4" makes it a Number), and a later
note of another type is refused (the sandbox's ``reject`` answer), which the run reports as
refused with Custify's reason, losing nothing.

tests/reverse_etl/test_validation.py checks each rule with fixed rows; this drives them mixed,
at random, through the whole engine.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from models.clock import FakeClock
from sandbox import Sandbox, attributes
from tests.reliability.conftest import soak
from tests.reverse_etl.conftest import Pusher, make_client
from warehouse import WarehouseConfig

META = ["'; DROP TABLE people; --", '"); DELETE FROM _custify_ledger; --', "<script>alert(1)</script>",
        "&amp;&lt;&#0;", "\\x00\\n", "Robert'); --", "${jndi:ldap://x}", "%s%s%n", "Zoë 🚀 日本語",
        "\u202eRTL", "a\tb\nc", "ＳＱＬ"]  # fmt: skip
TEXT = st.one_of(
    st.sampled_from(META),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40),
)
KINDS = ["valid"] * 4 + ["wrong_type", "missing_id", "duplicate_id", "nested", "long", "int32"]
ROW = st.fixed_dictionaries({"kind": st.sampled_from(KINDS), "text": TEXT, "attr": TEXT,
                             "count": st.integers(0, 2**31 - 1)})  # fmt: skip


def _frame(rows: list[dict]) -> tuple[pl.DataFrame, set[str], set[int]]:
    """Source rows, the user_ids that must arrive, the indexes that must be rejected."""
    cols: dict[str, list] = {"user_id": [], "name": [], "session_count": [],
                             "custom_attributes__note": [], "custom_attributes__obj": []}  # fmt: skip
    valid, bad = set(), set()
    for i, r in enumerate(rows):
        kind, uid = r["kind"], f"h{i}-{r['text'][:20]}"
        name, count, note, obj = f"n{i} {r['text']}", str(r["count"]), r["attr"], None
        if kind == "wrong_type":
            count = f"BADMARK{i} not a number"
        elif kind == "missing_id":
            uid, name = None, f"BADMARK{i} {name}"
        elif kind == "nested":
            obj, name = json.dumps({"x": i, "y": "nested"}), f"BADMARK{i} {name}"
        elif kind == "long":
            note = f"BADMARK{i}" + "é" * 10_000
        elif kind == "int32":
            count, name = str(2**31 + r["count"]), f"BADMARK{i} {name}"
        for c, v in zip(cols, (uid, name, count, note, obj), strict=True):
            cols[c].append(v)
        if kind == "duplicate_id":  # the row and its twin: both rejected
            name = f"BADMARK{i} {name}"
            cols["name"][-1] = name
            for c, v in zip(cols, (uid, name + " twin", count, note, obj), strict=True):
                cols[c].append(v)
            bad |= {len(cols["user_id"]) - 2, len(cols["user_id"]) - 1}
        elif kind == "valid":
            valid.add(uid)
        else:
            bad.add(len(cols["user_id"]) - 1)
    schema = {"user_id": pl.String, "name": pl.String, "session_count": pl.String,
              "custom_attributes__note": pl.String,
              "custom_attributes__obj": pl.String}  # fmt: skip
    return pl.DataFrame(cols, schema=schema), valid, bad


@settings(
    max_examples=soak(25),
    deadline=None,
    # the function-scoped ``tally`` is meant to span every example: it adds them up
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    report_multiple_bugs=False,
)  # no slow shrinking
@given(rows=st.lists(ROW, min_size=1, max_size=12))
def test_bad_rows_are_rejected_with_a_reason_and_never_sent(tally, rows: list[dict]) -> None:
    frame, valid, bad = _frame(rows)
    tally(hostile_rows=frame.height)
    with tempfile.TemporaryDirectory() as tmp:
        clock = FakeClock()
        sb = Sandbox(seed=3, scale=0.01, clock=clock)
        cfg = WarehouseConfig(duckdb_path=Path(tmp) / "w.duckdb", pipelines_dir=Path(tmp) / "dlt")
        p = Pusher(cfg, make_client(sb, clock), clock, sb)
        try:
            p.syncs["h"] = {"object": "people", "match": "user_id", "table": "src"}
            p.table("src", frame)
            src = p.wh.table("src")  # the nested column becomes a real STRUCT in the warehouse
            p.wh.execute(
                f"CREATE OR REPLACE TABLE {src} AS SELECT * REPLACE (json_transform("
                'custom_attributes__obj, \'{"x": "BIGINT", "y": "VARCHAR"}\') '
                f"AS custom_attributes__obj) FROM {src}"
            )
            types_before = dict(sb.store.attribute_types["people"])
            report = p.push()
            rejected = p.wh.query_df("SELECT row, key, reason FROM h__rejected").to_dicts()
        finally:
            p.close()
    sent = json.dumps([e.body for e in sb.journal], ensure_ascii=False)
    assert "BADMARK" not in sent  # no request carried a bad row
    jobs = [j["payload"] for e in sb.journal.filter("POST", "/batch") for j in e.body["jobs"]]
    assert sorted(j["user_id"] for j in jobs) == sorted(valid)  # each valid row sent once
    refused = _refused_by_type(jobs, types_before.get("note"))
    assert report.exit_code == (1 if bad or refused else 0), report.syncs[0]
    assert {r["row"] for r in rejected if r["row"] is not None} == bad, rejected
    assert {r["key"] for r in rejected if r["row"] is None} == refused, rejected
    assert all(r["reason"] and r["reason"].strip() for r in rejected)
    held = {p["user_id"]: p for p in sb.store.rows("people") if p.get("user_id") in valid}
    assert set(held) == valid - refused
    source = {r["user_id"]: r for r in frame.to_dicts() if r["user_id"] in valid}
    for uid, person in held.items():
        assert person["name"] == source[uid]["name"]
        assert person["session_count"] == int(source[uid]["session_count"])
        assert person["custom_attributes"]["note"] == source[uid]["custom_attributes__note"]


def _refused_by_type(jobs: list[dict], kind: str | None) -> set[str]:
    """The user_ids whose note does not fit the note's type, by the sandbox's rules for §1.4:
    ``kind``, the type the account held before the push, else the one the first note Custify
    received fixed (in the order the jobs went)."""
    out = set()
    for job in jobs:
        note = job.get("custom_attributes", {}).get("note")
        if note is None:
            continue
        if kind is None:
            kind = attributes.detect("note", note)
        elif not attributes.fits(kind, "note", note):
            out.add(job["user_id"])
    return out

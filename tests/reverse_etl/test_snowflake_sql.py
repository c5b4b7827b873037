"""Snowflake cannot be reached offline: check that every statement the engine issues parses as
Snowflake SQL (sqlglot), so the reverse ETL does not depend on DuckDB/Postgres-only syntax."""

from __future__ import annotations

import re

import pytest
import sqlglot

from tests.reverse_etl.conftest import Pusher
from warehouse import SessionWarehouse


def test_engine_sql_parses_as_snowflake(pusher: Pusher, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    for name in ("execute", "query_df", "query_rows"):
        original = getattr(SessionWarehouse, name)

        def record(self, sql, params=(), _original=original):  # noqa: ANN001
            seen.append(sql)
            return _original(self, sql, params)

        monkeypatch.setattr(SessionWarehouse, name, record)
    p = pusher
    tag = next(t for t in p.sandbox.store.rows("tags") if t["category"] == "people")
    p.syncs["crm"] = {"object": "people", "match": "user_id", "table": "desired",
                      "mode": "mirror", "allow_deletes": True, "max_delete_share": 1.0}  # fmt: skip
    p.syncs["vip"] = {"object": "tags", "action": "entity", "match": "user_id", "table": "tw"}
    p.table("desired", {"user_id": ["s-1", "s-2"], "name": ["A", "B"]})
    p.table("tw", {"user_id": ["s-1"], "tag": [tag["id"]]})
    # identifier resolution reads an extracted table (here a stand-in with the same columns)
    company = p.sandbox.store.rows("companies")[0]
    p.table("companies", {"id": [company["id"]], "company_id": [company["company_id"]],
                          "_custify_deleted_at": [None]})  # fmt: skip
    p.syncs["handover"] = {"object": "notes", "action": "create", "table": "notes_src"}
    p.table("notes_src", {"company_id": [company["company_id"], "nope"], "text": ["<p>x</p>"] * 2})
    assert p.push().exit_code == 1  # the note naming an unknown company is rejected
    p.table("desired", {"user_id": ["s-1"], "name": ["A2"]})
    assert p.push().exit_code == 1
    ours = [s for s in seen if "_custify" in s or "__diff" in s or "FROM" in s]
    assert len(ours) > 10
    for sql in ours:
        text = re.sub(r"%s", "'x'", sql)
        parsed = sqlglot.parse_one(text, read="duckdb")
        snowflake = parsed.sql(dialect="snowflake")
        assert sqlglot.parse_one(snowflake, read="snowflake") is not None, sql

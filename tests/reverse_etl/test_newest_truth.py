"""The newest known truth wins: the diff weighs the extract's read time against this sync's
confirmed writes, per field and per tag, on DuckDB and on Postgres.

- a value set back without an extract in between is sent (the older extract still shows it,
  but our later confirmed write says Custify holds the other one);
- a tag removed and then added back without an extract is added again;
- an edit someone makes in Custify after our write, once an extract has read it, is set
  back by the next push; before that extract, the push has no way to know (nothing is sent).
"""

from __future__ import annotations

import polars as pl
from rich.console import Console

from custify_sync.render import push_summary
from models.clock import ECHO_SKEW_S
from tests.reverse_etl.conftest import Pusher, extract


def _company(p: Pusher) -> dict:
    return sorted(p.sandbox.store.rows("companies"), key=lambda r: r["id"])[0]


def _seats(p: Pusher, company: dict) -> int:
    return p.sandbox.store.get("companies", company["id"])["custom_attributes"]["seats"]


def _push_seats(p: Pusher, company: dict, seats: int) -> None:
    p.table("want", {"company_id": [company["company_id"]], "custom_attributes__seats": [seats]})
    report = p.push("acct")
    assert report.exit_code == 0, report.syncs[0]


def test_a_value_set_back_without_an_extract_between_is_sent(any_pusher: Pusher) -> None:
    p = any_pusher
    company = _company(p)
    seats = company["custom_attributes"]["seats"]
    extract(p, "companies")
    p.syncs["acct"] = {"object": "companies", "match": "company_id", "table": "want"}
    _push_seats(p, company, seats + 500)
    assert _seats(p, company) == seats + 500
    _push_seats(p, company, seats)  # the extract still shows `seats`: our write is newer
    assert _seats(p, company) == seats
    jobs = [j["payload"] for b in p.bodies("POST", "/batch") for j in b["jobs"]]
    assert [j["custom_attributes"]["seats"] for j in jobs] == [seats + 500, seats]
    again = p.push("acct")  # and now nothing: our confirmed write is what Custify holds
    assert again.requests == 0 and again.syncs[0].skipped == {"unchanged": 1}


def test_a_tag_removed_then_added_back_is_present(any_pusher: Pusher) -> None:
    p = any_pusher
    sb = p.sandbox
    person = next(r for r in sorted(sb.store.rows("people"), key=lambda r: r["id"])
                  if r.get("user_id") and not r.get("tags"))  # fmt: skip
    tag = next(t for t in sb.store.rows("tags") if t["category"] == "people")
    extract(p, "people")
    p.syncs["vip"] = {"object": "tags", "action": "entity", "match": "user_id", "table": "vip"}
    for kind in ("add", "remove", "add"):
        p.table("vip", {"user_id": [person["user_id"]], "tag": [tag["name"]], "type": [kind]})
        assert p.push("vip").exit_code == 0
        held = tag["id"] in sb.store.get("people", person["id"])["tags"]
        assert held is (kind == "add"), kind
    patches = [e.body["type"] for e in sb.journal.filter("PATCH", "/tag/entity")]
    assert patches == ["add", "remove", "add"]


def test_an_edit_in_custify_after_our_write_is_set_back_after_an_extract(
    any_pusher: Pusher,
) -> None:
    p = any_pusher
    sb = p.sandbox
    company = _company(p)
    extract(p, "companies")
    p.syncs["acct"] = {"object": "companies", "match": "company_id", "table": "want"}
    _push_seats(p, company, 4242)
    p.clock.advance(ECHO_SKEW_S * 4)
    attrs = {**sb.store.get("companies", company["id"])["custom_attributes"], "seats": 7}
    sb.store.update("companies", company["id"], custom_attributes=attrs)  # a CSM's edit
    blind = p.push("acct")  # no extract since: the push cannot know, and sends nothing
    assert blind.requests == 0 and _seats(p, company) == 7
    p.clock.advance(ECHO_SKEW_S)
    extract(p, "companies")
    back = p.push("acct")
    assert back.syncs[0].confirmed == 1 and _seats(p, company) == 4242


def test_a_tag_taken_off_in_custify_is_put_back_after_an_extract(any_pusher: Pusher) -> None:
    p = any_pusher
    sb = p.sandbox
    person = next(r for r in sorted(sb.store.rows("people"), key=lambda r: r["id"])
                  if r.get("user_id") and not r.get("tags"))  # fmt: skip
    tag = next(t for t in sb.store.rows("tags") if t["category"] == "people")
    extract(p, "people")
    p.syncs["vip"] = {"object": "tags", "action": "entity", "match": "user_id", "table": "vip"}
    p.table("vip", {"user_id": [person["user_id"]], "tag": [tag["id"]]})
    assert p.push("vip").exit_code == 0
    p.clock.advance(ECHO_SKEW_S * 4)
    extract(p, "people")
    assert p.push("vip").requests == 0  # the extract shows the tag we added: settled
    p.clock.advance(ECHO_SKEW_S * 4)
    sb.store.update("people", person["id"], tags=[])  # someone takes it off in Custify
    extract(p, "people")
    again = p.push("vip")
    assert again.syncs[0].confirmed == 1
    assert tag["id"] in sb.store.get("people", person["id"])["tags"]


def test_the_dry_run_plan_says_what_custify_holds_and_why(any_pusher: Pusher) -> None:
    p = any_pusher
    sb = p.sandbox
    a, b = sorted(sb.store.rows("companies"), key=lambda r: r["id"])[:2]
    extract(p, "companies")
    p.syncs["acct"] = {"object": "companies", "match": "company_id", "table": "want"}
    p.table("want", {"company_id": [a["company_id"], b["company_id"], "brand-new"],
                     "industry": ["Robotics", b["industry"], "Space"]})  # fmt: skip
    assert p.push("acct").exit_code == 0
    p.clock.advance(ECHO_SKEW_S * 4)
    sb.store.update("companies", a["id"], industry="Typed In Custify")
    extract(p, "companies")
    p.table("want", {"company_id": [a["company_id"], b["company_id"], "brand-new"],
                     "industry": ["Robotics", "Aerospace", "Space"]})  # fmt: skip
    seen = p.requests()
    report = p.push("acct", dry_run=True)
    new = list(p.sandbox.journal)[seen:]  # a dry run sends nothing but its one key probe
    assert [(e.method, e.path) for e in new] == [("GET", "/people/all")]
    plan = p.wh.query_df("SELECT key, op, field, holds, sends, why FROM acct__plan ORDER BY key")
    rows = plan.drop("op").to_dicts()
    assert rows == [
        {"key": a["company_id"], "field": "industry", "holds": "Typed In Custify",
         "sends": "Robotics", "why": "set back"},
        {"key": b["company_id"], "field": "industry", "holds": b["industry"],
         "sends": "Aerospace", "why": "changed"},
    ]  # fmt: skip
    assert set(plan.get_column("op")) == {"upsert"}
    assert report.syncs[0].planned == {"upsert": 2}
    assert report.syncs[0].changes == {"set back": 1, "changed": 1}
    console = Console(record=True, width=200)
    console.print(push_summary(report))
    text = console.export_text()
    assert "acct: 1 changed, 1 set back; every change in acct__plan" in text
    assert f"{a['company_id']}  industry: 'Typed In Custify' -> 'Robotics' (set back)" in text


def test_the_dry_run_plan_lists_new_records_tags_and_deletes(pusher: Pusher) -> None:
    p = pusher
    sb = p.sandbox
    person = next(r for r in sorted(sb.store.rows("people"), key=lambda r: r["id"])
                  if r.get("user_id") and not r.get("tags"))  # fmt: skip
    tag = next(t for t in sb.store.rows("tags") if t["category"] == "people")
    extract(p, "people")
    p.syncs["crm"] = {"object": "people", "match": "user_id", "table": "crm", "mode": "mirror",
                      "allow_deletes": True, "max_delete_share": 1.0}  # fmt: skip
    p.syncs["vip"] = {"object": "tags", "action": "entity", "match": "user_id", "table": "vip"}
    p.table("crm", {"user_id": ["plan-1"], "name": ["Planned Person"]})
    p.table("vip", {"user_id": [person["user_id"]], "tag": [tag["name"]]})
    assert p.push().exit_code == 0
    p.table("crm", {"user_id": ["plan-2"], "name": ["Second Person"]})  # plan-1 leaves: delete
    p.push(dry_run=True)
    crm = p.wh.query_df("SELECT key, op, field, holds, sends, why FROM crm__plan ORDER BY key")
    assert crm.select("key", "op", "field", "why").rows() == [
        ("plan-1", "delete", None, "delete"), ("plan-2", "create", "name", "new"),
    ]  # fmt: skip
    assert p.wh.query_df("SELECT count(*) AS n FROM vip__plan").item() == 0
    assert sb.store.find("people", user_id="plan-2") == []
    del p.syncs["crm"]
    p.table("vip", {"user_id": [person["user_id"]], "tag": [tag["name"]], "type": ["remove"]})
    p.push(dry_run=True)
    vip = p.wh.query_df("SELECT key, field, holds, sends, why FROM vip__plan").to_dicts()
    assert vip == [{"key": f"{person['user_id']}|{tag['name']}", "field": "tags",
                    "holds": "present", "sends": f"remove {tag['name']}",
                    "why": "changed"}]  # fmt: skip
    assert pl.DataFrame(vip).height == 1


def _full_extract(p: Pusher, *objects: str) -> None:
    """Files are listed by created_at only: a full scan (here: with --reconcile) re-reads the
    flags and links of old files (§10)."""
    from pipelines.run import run_extract

    p.close()
    run_extract(p.settings(), objects=list(objects), warehouse_cfg=p.wh_cfg, client=p.client,
                clock=p.clock, reconcile=True)  # fmt: skip
    p.sandbox.journal.clear()


def _linked_file(p: Pusher) -> dict:
    return next(f for f in sorted(p.sandbox.store.rows("files"), key=lambda f: f["id"])
                if f["companies"] and not f["showInPortal"])  # fmt: skip


def test_a_portal_flag_undone_in_custify_is_put_back_after_a_full_extract(
    any_pusher: Pusher,
) -> None:
    p = any_pusher
    sb = p.sandbox
    f = _linked_file(p)
    _full_extract(p, "files")
    p.syncs["portal"] = {"object": "files", "action": "show_in_portal", "table": "portal"}
    p.table("portal", {"id": [f["id"]], "showInPortal": [True]})
    assert p.push().syncs[0].confirmed == 1
    p.clock.advance(ECHO_SKEW_S * 4)
    sb.store.update("files", f["id"], showInPortal=False)  # someone hides it again
    extract(p, "files")  # incremental: files are listed by created_at, the old file is not read
    assert p.push().requests == 0 and sb.store.get("files", f["id"])["showInPortal"] is False
    _full_extract(p, "files")
    again = p.push()
    assert again.syncs[0].confirmed == 1, again.syncs[0]
    assert sb.store.get("files", f["id"])["showInPortal"] is True
    assert [e.path for e in sb.journal.filter("PUT")] == [f"/file/{f['id']}/showInPortal"]


def test_an_unlink_undone_in_custify_is_put_back_after_a_full_extract(any_pusher: Pusher) -> None:
    p = any_pusher
    sb = p.sandbox
    f = _linked_file(p)
    company = sb.store.get("companies", f["companies"][0])
    _full_extract(p, "files", "companies")
    p.syncs["unlink"] = {"object": "files", "action": "unlink", "table": "unlink"}
    p.table("unlink", {"fileId": [f["id"]], "company_id": [company["company_id"]]})
    assert p.push().syncs[0].confirmed == 1
    assert company["id"] not in sb.store.get("files", f["id"])["companies"]
    p.clock.advance(ECHO_SKEW_S * 4)
    _full_extract(p, "files", "companies")
    assert p.push().requests == 0  # the extract shows the file unlinked: nothing to do
    p.clock.advance(ECHO_SKEW_S * 4)
    sb.store.update("files", f["id"], companies=[company["id"]])  # linked again in Custify
    _full_extract(p, "files", "companies")
    again = p.push()
    assert again.syncs[0].confirmed == 1, again.syncs[0]
    assert company["id"] not in sb.store.get("files", f["id"])["companies"]

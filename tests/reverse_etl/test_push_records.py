"""People and company pushes land exactly as the desired rows say (asserted on the sandbox)."""

from __future__ import annotations

import pytest

from tests.reverse_etl.conftest import Pusher, extract, person_by

PEOPLE_MAP = {
    "uid": "user_id",
    "mail": "email",
    "full_name": "name",
    "plan": "custom_attributes.plan",
}


def _existing_people(p: Pusher, n: int) -> list[dict]:
    rows = [r for r in p.sandbox.store.rows("people") if r.get("user_id") and r.get("email")]
    assert len(rows) >= n
    return sorted(rows, key=lambda r: r["id"])[:n]


def _people_sync(p: Pusher, match: str = "user_id", **extra: object) -> None:
    mapping = {k: v for k, v in PEOPLE_MAP.items() if v != "user_id" or match != "id"}
    if match == "id":
        mapping = {"cid": "id", **mapping}
    p.syncs["crm"] = {"object": "people", "match": match, "table": "desired",
                      "mapping": mapping, **extra}  # fmt: skip


def test_upsert_by_user_id_creates_updates_and_second_push_is_free(any_pusher: Pusher) -> None:
    p = any_pusher
    old = _existing_people(p, 2)
    before = len(p.sandbox.store.rows("people"))
    _people_sync(p)
    desired = {
        "uid": ["new-1", "new-2", old[0]["user_id"], old[1]["user_id"]],
        "mail": ["n1@ex.io", "n2@ex.io", old[0]["email"], old[1]["email"]],
        "full_name": ["New One", "New Two", "Renamed Zero", "Renamed One"],
        "plan": ["pro", "free", "enterprise", None],
    }
    p.table("desired", desired)
    report = p.push()
    assert report.exit_code == 0, report
    assert report.syncs[0].confirmed == 4
    assert len(p.sandbox.store.rows("people")) == before + 2
    for uid, mail, name, plan in zip(*desired.values(), strict=True):
        (rec,) = person_by(p.sandbox, "user_id", uid)
        assert (rec["email"], rec["name"]) == (mail, name)
        if plan is not None:
            assert rec["custom_attributes"]["plan"] == plan
    assert person_by(p.sandbox, "user_id", old[0]["user_id"])[0]["id"] == old[0]["id"]
    # nulls = "skip": the null plan left the stored attribute alone
    assert person_by(p.sandbox, "user_id", old[1]["user_id"])[0]["custom_attributes"].get(
        "plan"
    ) == old[1]["custom_attributes"].get("plan")
    seen = p.requests()
    again = p.push()
    assert p.requests() == seen and again.requests == 0 and again.exit_code == 0
    assert again.syncs[0].skipped == {"unchanged": 4}


def test_upsert_by_email_and_by_id(any_pusher: Pusher) -> None:
    p = any_pusher
    a, b = _existing_people(p, 2)
    p.syncs["by_email"] = {"object": "people", "match": "email", "table": "by_email"}
    p.syncs["by_id"] = {"object": "people", "match": "id", "table": "by_id"}
    p.table("by_email", {"email": [a["email"]], "name": ["Mailed"]})
    p.table("by_id", {"id": [b["id"]], "name": ["Ided"], "custom_attributes__tier": [3]})
    report = p.push()
    assert report.exit_code == 0
    assert p.sandbox.store.get("people", a["id"])["name"] == "Mailed"
    rec = p.sandbox.store.get("people", b["id"])
    assert rec["name"] == "Ided" and rec["custom_attributes"]["tier"] == 3
    assert len(person_by(p.sandbox, "email", a["email"])) == 1


def test_companies_by_company_id_and_by_id(any_pusher: Pusher) -> None:
    p = any_pusher
    comps = sorted(p.sandbox.store.rows("companies"), key=lambda r: r["id"])[:2]
    p.syncs["accounts"] = {"object": "companies", "match": "company_id", "table": "accounts"}
    p.syncs["by_id"] = {"object": "companies", "match": "id", "table": "by_id",
                        "mapping": {"cid": "id", "tier": "custom_attributes.tier"}}  # fmt: skip
    p.table("accounts", {"company_id": ["acme-new", comps[0]["company_id"]],
                         "name": ["Acme New", "Renamed Co"], "size": [12, 40]})  # fmt: skip
    p.table("by_id", {"cid": [comps[1]["id"]], "tier": ["gold"]})
    report = p.push()
    assert report.exit_code == 0, report
    (new,) = p.sandbox.store.find("companies", company_id="acme-new")
    assert (new["name"], new["size"]) == ("Acme New", 12)
    assert p.sandbox.store.get("companies", comps[0]["id"])["name"] == "Renamed Co"
    assert p.sandbox.store.get("companies", comps[1]["id"])["custom_attributes"]["tier"] == "gold"


@pytest.mark.parametrize("with_extract", [False, True])
def test_update_only_never_creates(any_pusher: Pusher, with_extract: bool) -> None:
    p = any_pusher
    (old,) = _existing_people(p, 1)
    if with_extract:
        extract(p)
    before = len(p.sandbox.store.rows("people"))
    p.syncs["upd"] = {"object": "people", "match": "user_id", "table": "desired",
                      "mode": "update_only"}  # fmt: skip
    p.table("desired", {"user_id": [old["user_id"], "ghost-1"], "name": ["Only Update", "Ghost"]})
    report = p.push()
    assert report.exit_code == 0
    assert len(p.sandbox.store.rows("people")) == before
    assert p.sandbox.store.get("people", old["id"])["name"] == "Only Update"
    assert report.syncs[0].skipped["skipped_by_mode"] == 1
    lookups = p.sandbox.journal.count("GET", "/people")
    assert lookups == (0 if with_extract else 2)  # the extract answers what gets would ask


def test_create_only_leaves_existing_records_alone(any_pusher: Pusher) -> None:
    p = any_pusher
    (old,) = _existing_people(p, 1)
    p.syncs["new"] = {"object": "people", "match": "user_id", "table": "desired",
                      "mode": "create_only"}  # fmt: skip
    p.table("desired", {"user_id": [old["user_id"], "fresh-1"], "name": ["Overwrite?", "Fresh"]})
    assert p.push().exit_code == 0
    assert p.sandbox.store.get("people", old["id"])["name"] == old["name"]
    assert person_by(p.sandbox, "user_id", "fresh-1")[0]["name"] == "Fresh"


def test_nulls_unset_clears_only_what_custify_allows(any_pusher: Pusher) -> None:
    p = any_pusher
    p.syncs["crm"] = {"object": "people", "match": "user_id", "table": "desired",
                      "nulls": "unset"}  # fmt: skip
    p.table(
        "desired", {"user_id": ["u-unset"], "phone": ["+40 700"], "custom_attributes__plan": ["x"]}
    )
    assert p.push().exit_code == 0
    p.table("desired", {"user_id": ["u-unset"], "phone": [None], "custom_attributes__plan": [None]})
    assert p.push().exit_code == 0
    (rec,) = person_by(p.sandbox, "user_id", "u-unset")
    assert rec.get("phone") in (None, "") and "plan" not in (rec.get("custom_attributes") or {})
    last = p.bodies("POST", "/batch")[-1]["jobs"][0]["payload"]
    assert sorted(last["$unset"]) == ["custom_attributes.plan", "phone"]


def test_rows_already_equal_in_the_extract_are_not_sent(any_pusher: Pusher) -> None:
    p = any_pusher
    a, b = _existing_people(p, 2)
    extract(p)
    p.syncs["crm"] = {"object": "people", "match": "user_id", "table": "desired"}
    p.table("desired", {"user_id": [a["user_id"], b["user_id"]],
                        "email": [a["email"], b["email"]],
                        "name": [a["name"], "Changed Name"]})  # fmt: skip
    report = p.push()
    assert report.exit_code == 0 and report.syncs[0].skipped["unchanged"] == 1
    jobs = [j for body in p.bodies("POST", "/batch") for j in body["jobs"]]
    assert [j["payload"]["user_id"] for j in jobs] == [b["user_id"]]


def test_email_match_warns_about_the_new_person_rule(pusher: Pusher, caplog) -> None:
    p = pusher
    (a,) = _existing_people(p, 1)
    p.syncs["crm"] = {"object": "people", "match": "email", "table": "desired"}
    p.table("desired", {"email": [a["email"]], "user_id": ["other-" + a["user_id"]]})
    report = p.push(dry_run=True)
    (warning,) = report.syncs[0].warnings
    assert "new person" in warning.lower() and "user_id" in warning
    assert "NEW person" in caplog.text
    assert [e.method for e in p.sandbox.journal] == ["GET"]  # the dry run's probe, no write

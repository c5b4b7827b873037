"""Two extracted records answering to one key: the most recently updated one is what Custify
holds for the diff (the extract is sorted and deduplicated only when a key repeats)."""

from __future__ import annotations

from tests.reverse_etl.conftest import Pusher, extract


def _older_copy(p: Pusher, company_id: str, seats: int) -> None:
    """A second, older record with the same ``company_id`` and other seats, as a re-created
    company would leave in the extracted table."""
    table = p.wh.table("companies")
    p.wh.execute(
        f"INSERT INTO {table} SELECT * REPLACE ({seats} AS custom_attributes__seats, "
        f"updated_at - INTERVAL 30 DAY AS updated_at) FROM {table} WHERE company_id = %s",
        [company_id],
    )


def test_the_newer_of_two_extracted_records_speaks_for_the_key(pusher: Pusher) -> None:
    p = pusher
    company = sorted(p.sandbox.store.rows("companies"), key=lambda r: r["id"])[0]
    seats = company["custom_attributes"]["seats"]
    extract(p, "companies")
    _older_copy(p, company["company_id"], seats + 7)
    p.syncs["acct"] = {"object": "companies", "match": "company_id", "table": "want"}
    p.table("want", {"company_id": [company["company_id"]], "custom_attributes__seats": [seats]})
    report = p.push("acct")  # the newer record holds the wanted value: nothing to send
    assert report.requests == 0 and report.syncs[0].skipped == {"unchanged": 1}
    p.table("want", {"company_id": [company["company_id"]],
                     "custom_attributes__seats": [seats + 7]})  # fmt: skip
    report = p.push("acct")  # only the older copy holds it: sent
    assert report.exit_code == 0 and report.syncs[0].confirmed == 1
    stored = p.sandbox.store.get("companies", company["id"])
    assert stored["custom_attributes"]["seats"] == seats + 7

"""The list knobs for what the notes leave open (§1.7, §10, §19): page caps, ignored pages,
and an unscoped ``GET /file`` refused; each also settable through ``POST /_sandbox/faults``."""

from __future__ import annotations


def test_a_page_cap_serves_fewer_rows_and_pages_by_its_own_size(sb, client):
    notes = client.get("/note", params={"itemsPerPage": 50, "sort": "created_at"}).json()
    sb.faults.page_caps = {"notes": 7}
    capped = [
        client.get("/note", params={"itemsPerPage": 50, "page": p, "sort": "created_at"}).json()
        for p in (1, 2)
    ]
    assert [len(b["notes"]) for b in capped] == [7, 7]
    assert {b["total"] for b in capped} == {notes["total"]}  # total stays the full count
    got = [r["id"] for b in capped for r in b["notes"]]
    assert got == [r["id"] for r in notes["notes"][:14]]  # page 2 starts at row 8
    assert len(client.get("/task", params={"itemsPerPage": 50}).json()["tasks"]) > 7


def test_ignore_page_answers_page_one_for_every_page(sb, client):
    sb.faults.ignore_page = {"surveys", "notes"}
    first, third = (client.get("/note", params={"itemsPerPage": 5, "page": p}).json()
                    for p in (1, 3))  # fmt: skip
    assert first == third and len(first["notes"]) == 5
    assert client.get("/survey", params={"page": 4}).json() == client.get("/survey").json()
    tasks = [client.get("/task", params={"itemsPerPage": 5, "page": p}).json() for p in (1, 2)]
    assert tasks[0] != tasks[1]


def test_ignore_sort_serves_by_id_whatever_the_sort_asked(sb, client):
    sort = {"sort": "updated_at", "order": "desc", "itemsPerPage": 50}  # notes, tasks: §1.7
    honoured = [r["updated_at"] for r in client.get("/note", params=sort).json()["notes"]]
    assert honoured == sorted(honoured, reverse=True)
    tasks = client.get("/task", params=sort).json()
    sb.faults.update(ignore_sort=["notes"])
    ignored = [r["id"] for r in client.get("/note", params=sort).json()["notes"]]
    assert ignored == sorted(ignored) and sb.faults.snapshot()["ignore_sort"] == ["notes"]
    assert client.get("/task", params=sort).json() == tasks  # other lists keep their order


def test_unscoped_files_refused_answers_400_and_scoped_lists_work(sb, client):
    company = sb.store.rows("files")[0]["companies"][0]
    assert client.get("/file").status_code == 200
    sb.faults.unscoped_files_refused = True
    refused = client.get("/file")
    assert refused.status_code == 400 and "companyId" in refused.json()["error"]
    scoped = client.get("/file", params={"companyId": company}).json()["files"]
    assert scoped and all(company in f["companies"] for f in scoped)


def test_the_knobs_are_settable_through_the_admin_endpoint(sb, client):
    knobs = {"page_caps": {"notes": 20}, "ignore_page": ["surveys"],
             "unscoped_files_refused": True}  # fmt: skip
    answer = client.post("/_sandbox/faults", json=knobs)
    assert answer.status_code == 200
    assert {k: answer.json()[k] for k in knobs} == knobs
    assert sb.faults.page_caps == {"notes": 20} and sb.faults.ignore_page == {"surveys"}
    assert client.get("/file").status_code == 400
    info = client.get("/_sandbox/info").json()["faults"]
    assert info["ignore_page"] == ["surveys"] and info["page_caps"] == {"notes": 20}

"""Every registry action through its named method, at the network edge: what goes on the wire.

The sandbox tests assert what each action does to Custify's state; these pin the request the
client builds from the registry row (method, path, query, body) for all 49 actions, including
the quirks: identifier locations and path overrides, upserts without an id, comments' parent
path, time tracks' ``user`` query, tasks' ``_id`` in path and body, multipart upload.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from custify.actions import prepare
from custify.client import CustifyClient
from custify.errors import NotFound
from custify.named_actions import method_name
from models.registry import ACTIONS

ID = "5b9f95d838ab5e09b8ed66cb"
NOTE = {"text": "<p>hi</p>", "entity": ID, "entityModel": "Company"}
FIN = {"externalId": "X-1", "company_id": "acme"}

# action: (positional args, keywords, method, path, query, json body subset or None)
CASES: dict[str, tuple[tuple, dict, str, str, dict, Any]] = {
    "people.create": (({"email": "a@b.c"},), {}, "POST", "/people", {}, {"email": "a@b.c"}),
    "people.update": (({"id": ID, "name": "A"},), {}, "POST", "/people", {}, {"id": ID}),
    "people.upsert": (({"user_id": "u1"},), {}, "POST", "/people", {}, {"user_id": "u1"}),
    "people.get": ((), {"email": "a@b.c"}, "GET", "/people", {"email": "a@b.c"}, None),
    "people.delete": ((), {"id": ID}, "DELETE", f"/people/{ID}", {}, None),
    "people.tag": (({"ids": [ID], "type": "add", "tag": ID},), {}, "POST", "/people/tag", {}, {"type": "add"}),
    "companies.create": (({"company_id": "acme"},), {}, "POST", "/company", {}, {"company_id": "acme"}),
    "companies.update": (({"id": ID, "plan": "pro"},), {}, "POST", "/company", {}, {"id": ID}),
    "companies.upsert": (({"company_id": "acme"},), {}, "POST", "/company", {}, {"company_id": "acme"}),
    "companies.get": ((), {"company_id": "acme"}, "GET", "/company", {"company_id": "acme"}, None),
    "companies.delete": ((), {"company_id": "acme"}, "DELETE", "/company", {"company_id": "acme"}, None),
    "events.insert": (({"name": "login", "created_at": "2024-01-01", "email": "a@b.c"},), {}, "POST", "/event", {}, {"name": "login"}),
    "notes.create": ((NOTE,), {}, "POST", "/note", {}, NOTE),
    "notes.update": ((ID, {"text": "x"}), {}, "POST", f"/note/{ID}", {}, {"text": "x"}),
    "notes.upsert": (({"text": "x"},), {"id": ID}, "POST", f"/note/{ID}", {}, {"text": "x"}),
    "tags.create": (({"name": "vip", "category": "company"},), {}, "POST", "/tag", {}, {"name": "vip"}),
    "tags.update": ((ID, {"name": "VIP"}), {}, "POST", f"/tag/{ID}", {}, {"name": "VIP"}),
    "tags.upsert": (({"name": "vip", "category": "company"},), {}, "POST", "/tag", {}, {"name": "vip"}),
    "tags.delete": ((ID,), {}, "DELETE", f"/tag/{ID}", {}, None),
    "tags.entity": (({"ids": [ID], "type": "remove", "category": "company", "tag": ID},), {}, "PATCH", "/tag/entity", {}, {"type": "remove"}),
    "scores.nps": (({"score": 9},), {"email": "a@b.c"}, "POST", "/nps_score", {"email": "a@b.c"}, {"score": 9}),
    "scores.csat": (({"score": 4},), {"id": ID}, "POST", f"/csat_score/{ID}", {}, {"score": 4}),
    "tickets.create": (({"externalId": "T-1", "company": "acme"},), {}, "POST", "/ticket", {}, {"externalId": "T-1"}),
    "tickets.update": (("T/1", {"title": "x"}), {}, "PUT", "/ticket/T%2F1", {}, {"title": "x"}),
    "tickets.delete": (("T-1",), {}, "DELETE", "/ticket/T-1", {}, None),
    "tickets.reply": (("T-1", {"body": "hello"}), {}, "POST", "/ticket/T-1/reply", {}, {"body": "hello"}),
    "tasks.create": (({"name": "n", "priority": "low", "status": "open"},), {}, "POST", "/task", {}, {"name": "n"}),
    "tasks.update": ((ID, {"status": "not relevant"}), {}, "PUT", f"/task/{ID}", {}, {"_id": ID, "status": "not relevant"}),
    "comments.create": (({"text": "c"},), {"entityModel": "Note", "entity": ID}, "POST", f"/comment/Note/{ID}", {}, {"text": "c"}),
    "comments.update": (({"id": "c1", "text": "c"},), {"entityModel": "Task", "entity": ID}, "POST", f"/comment/Task/{ID}", {}, {"id": "c1"}),
    "comments.upsert": (({"text": "c"},), {"entityModel": "Note", "entity": ID}, "POST", f"/comment/Note/{ID}", {}, {"text": "c"}),
    "files.upload": (({"companyId": ID},), {"files": {"file": ("a.txt", b"abc")}}, "POST", "/file", {}, None),
    "files.unlink": (({"fileId": ID, "companyId": ID},), {}, "POST", "/file/unlink", {}, {"fileId": ID}),
    "files.show_in_portal": ((ID, {"showInPortal": True}), {}, "PUT", f"/file/{ID}/showInPortal", {}, {"showInPortal": True}),
    "deals.create": ((FIN,), {}, "POST", "/financial/deal", {}, FIN),
    "deals.update": ((ID, {"value": 5}), {}, "POST", f"/financial/deal/{ID}", {}, {"value": 5}),
    "deals.upsert": ((FIN,), {}, "POST", "/financial/deal", {}, FIN),
    "deals.delete": ((), {"externalId": "X-1"}, "DELETE", "/financial/deal", {"externalId": "X-1"}, None),
    "invoices.create": ((FIN,), {}, "POST", "/financial/invoice", {}, FIN),
    "invoices.update": ((ID, {"total": 5.5}), {}, "POST", f"/financial/invoice/{ID}", {}, {"total": 5.5}),
    "invoices.upsert": ((FIN,), {}, "POST", "/financial/invoice", {}, FIN),
    "invoices.delete": ((), {"id": ID}, "DELETE", f"/financial/invoice/{ID}", {}, None),
    "subscriptions.create": ((FIN,), {}, "POST", "/financial/subscription", {}, FIN),
    "subscriptions.update": ((ID, {"mrr": 9.0}), {}, "POST", f"/financial/subscription/{ID}", {}, {"mrr": 9.0}),
    "subscriptions.upsert": ((FIN,), {}, "POST", "/financial/subscription", {}, FIN),
    "subscriptions.delete": ((), {"externalId": "X-1"}, "DELETE", "/financial/subscription", {"externalId": "X-1"}, None),
    "time_tracks.create": (({"name": "call", "duration": 60, "startedDate": "2024-01-01"},), {"user": "csm@x.io"}, "POST", "/time-track", {"user": "csm@x.io"}, {"duration": 60}),
    "time_tracks.update": (({"duration": 90},), {"id": ID, "user": "csm@x.io"}, "PUT", "/time-track", {"id": ID, "user": "csm@x.io"}, {"duration": 90}),
    "time_tracks.delete": ((), {"id": ID}, "DELETE", "/time-track", {"id": ID}, None),
}  # fmt: skip


def test_every_action_has_a_case_and_a_method() -> None:
    assert set(CASES) == set(ACTIONS) and len(ACTIONS) == 49
    for name in ACTIONS:
        assert callable(getattr(CustifyClient, method_name(ACTIONS[name])))


def answer(request: httpx.Request) -> httpx.Response:
    if request.method == "GET" and request.url.path == "/people":
        return httpx.Response(200, json=[{"people": [{"id": ID}], "total": 1}])
    if request.method == "GET" and request.url.path.startswith("/people/"):
        return httpx.Response(200, json={"id": ID, "email": "a@b.c"})  # bare person (§18.2)
    if request.method == "GET":
        return httpx.Response(200, json={"companies": [{"id": ID}], "total": 1})
    if request.url.path == "/event":
        return httpx.Response(202)
    return httpx.Response(200, json={"id": ID})


@pytest.mark.parametrize("name", sorted(CASES))
def test_named_method_sends_the_registry_request(scripted, name: str) -> None:
    args, kwargs, method, path, query, body = CASES[name]
    client, script = scripted(answer)
    result = getattr(client, method_name(ACTIONS[name]))(*args, **kwargs)
    sent = script.requests[-1]
    assert (sent.method, sent.url.raw_path.decode().split("?")[0]) == (method, path)
    assert dict(sent.url.params) == query
    if body is not None:
        sent_body = json.loads(sent.content)
        assert body.items() <= sent_body.items()
        for ident in ACTIONS[name].identifiers:  # path/query identifiers leave the body...
            if ident.location.value != "body" and ident.name != "_id":  # ...except _id (§8)
                assert ident.name not in sent_body
    elif name != "files.upload":
        assert sent.content == b""
    if ACTIONS[name].kind.value == "get":
        assert result == {"id": ID}
    if name == "events.insert":
        assert result is None


def test_upload_is_multipart_with_form_fields(scripted, tmp_path) -> None:
    client, script = scripted(httpx.Response(200, json={"id": ID}))
    path = tmp_path / "contract.pdf"
    path.write_bytes(b"%PDF-1.4 test")
    client.files_upload({"companyId": ID, "file": str(path)})
    sent = script.requests[-1]
    assert sent.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert b'name="file"; filename="contract.pdf"' in sent.content
    assert b"%PDF-1.4 test" in sent.content and ID.encode() in sent.content


def test_call_by_action_name_with_by_and_value(scripted) -> None:
    client, script = scripted(answer)
    assert client.call("people.get", by="user_id", value="u-7") == {"id": ID}
    assert dict(script.requests[-1].url.params) == {"user_id": "u-7"}
    assert client.call("people.get", by="id", value=ID)["email"] == "a@b.c"
    assert script.requests[-1].url.path == f"/people/{ID}"


def test_get_with_empty_array_is_not_found(scripted) -> None:
    client, _ = scripted(httpx.Response(200, json=[{"people": [], "total": 0}]))
    with pytest.raises(NotFound) as exc:
        client.people_get(email="nobody@example.com")
    assert "nobody@example.com" not in str(exc.value)


def test_get_one_through_the_registry(scripted) -> None:
    client, script = scripted(httpx.Response(200, json={"tasks": [{"id": ID}], "total": 1}))
    assert client.get_one("tasks", by="id", value=ID) == {"id": ID}
    assert script.requests[-1].url.path == f"/task/{ID}"
    client.get_one("tasks", by="externalId", value="T-1")
    assert dict(script.requests[-1].url.params) == {"externalId": "T-1"}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: c.people_get(), "needs one of id, user_id, email"),
        (lambda c: c.people_upsert({"name": "x"}), "needs one of id, user_id, email"),
        (lambda c: c.deals_delete(), "needs one of externalId, id"),
        (lambda c: c.people_get(id=ID, email="a@b.c"), "one identifier"),
        (lambda c: c.tickets_reply(), "argument: 'externalId'"),  # type: ignore[call-arg]
        (lambda c: c.comments_create({"text": "x"}), "needs parent 'entityModel'"),
        (lambda c: c.people_get(nickname="x"), "unexpected"),
        (lambda c: c.call("people.get", by="phone", value="1"), "cannot identify by 'phone'"),
        (lambda c: c.files_upload({"companyId": ID}), "needs a file"),
        (lambda c: c.call("nope.nope"), "unknown Custify action"),
    ],
)
def test_misuse_is_a_clear_error_before_any_request(scripted, call, message) -> None:
    client, script = scripted(answer)
    with pytest.raises((TypeError, ValueError, KeyError), match=message):
        call(client)
    assert script.requests == []


def test_replay_safety_follows_the_registry() -> None:
    for name, act in ACTIONS.items():
        args = CASES[name]
        kwargs = {k: v for k, v in args[1].items() if k != "files"}
        payload = next((a for a in args[0] if isinstance(a, dict)), None)
        positional = next((a for a in args[0] if isinstance(a, str)), None)
        ids = {k: v for k, v in kwargs.items() if k in {i.name for i in act.identifiers}}
        by, value = next(iter(ids.items()), (None, positional))
        if positional is not None:
            by = act.identifiers[0].name
        parent = {k: kwargs[k] for k in act.parent_params if k in kwargs}
        files = args[1].get("files")
        prepared = prepare(act, payload, by=by, value=value, parent=parent, files=files)
        if name == "events.insert":  # this payload has no deduplication_id
            assert prepared.replay_safe is False
            continue
        assert prepared.replay_safe is (not act.duplicates_on_retry), name


def test_events_are_replay_safe_only_with_a_deduplication_id() -> None:
    event = {"name": "login", "created_at": "2024-01-01", "user_id": "u1"}
    assert prepare("events.insert", event).replay_safe is False
    assert prepare("events.insert", {**event, "deduplication_id": "e1"}).replay_safe is True

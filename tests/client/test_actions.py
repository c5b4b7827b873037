"""Every registry action through its named method, at the network edge: what goes on the wire.

The sandbox tests assert what each action does to Custify's state; these pin the request the
client builds from the registry row (method, path, query, body) for every action, including
the quirks: identifier locations and path overrides, upserts without an id, comments' parent
path, time tracks' ``user`` query, tasks' ``_id`` in path and body, multipart upload.
Each action's call and expected request is its scenario's ``wire`` (``tests/scenarios.py``).
"""

from __future__ import annotations

import json

import httpx
import pytest

from custify.actions import prepare
from custify.client import CustifyClient
from custify.errors import NotFound
from custify.named_actions import method_name
from models.registry import ACTIONS
from tests.scenarios import ID, SCENARIOS


def test_every_action_has_a_scenario_and_a_method() -> None:
    assert set(SCENARIOS) == set(ACTIONS)
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


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_named_method_sends_the_registry_request(scripted, name: str) -> None:
    wire = SCENARIOS[name].wire
    client, script = scripted(answer)
    result = getattr(client, method_name(ACTIONS[name]))(*wire.args, **wire.kwargs)
    sent = script.requests[-1]
    assert (sent.method, sent.url.raw_path.decode().split("?")[0]) == (wire.method, wire.path)
    assert dict(sent.url.params) == wire.query
    if wire.body is not None:
        sent_body = json.loads(sent.content)
        assert wire.body.items() <= sent_body.items()
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
        wire = SCENARIOS[name].wire
        kwargs = {k: v for k, v in wire.kwargs.items() if k != "files"}
        payload = next((a for a in wire.args if isinstance(a, dict)), None)
        positional = next((a for a in wire.args if isinstance(a, str)), None)
        ids = {k: v for k, v in kwargs.items() if k in {i.name for i in act.identifiers}}
        by, value = next(iter(ids.items()), (None, positional))
        if positional is not None:
            by = act.identifiers[0].name
        parent = {k: kwargs[k] for k in act.parent_params if k in kwargs}
        files = wire.kwargs.get("files")
        prepared = prepare(act, payload, by=by, value=value, parent=parent, files=files)
        if name == "events.insert":  # this payload has no deduplication_id
            assert prepared.replay_safe is False
            continue
        assert prepared.replay_safe is (not act.duplicates_on_retry), name


def test_events_are_replay_safe_only_with_a_deduplication_id() -> None:
    event = {"name": "login", "created_at": "2024-01-01", "user_id": "u1"}
    assert prepare("events.insert", event).replay_safe is False
    assert prepare("events.insert", {**event, "deduplication_id": "e1"}).replay_safe is True

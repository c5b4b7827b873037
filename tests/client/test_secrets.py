"""The API key never shows: not in logs (any logger, DEBUG), messages, reprs or tracebacks."""

from __future__ import annotations

import logging
import pickle
import traceback

import httpx
import pytest

from custify.errors import CustifyError
from tests.client.conftest import SECRET

REQ = httpx.Request("GET", "https://api.custify.example/x")

ANSWERS = {
    "ok": httpx.Response(200, json=[{"people": [{"id": "p1", "email": "a@b.c"}], "total": 1}]),
    "401": httpx.Response(401, json={"error": "Access forbidden, invalid API-KEY was used"}),
    "403": httpx.Response(403, json={"error": "Permission denied"}),
    "404": httpx.Response(404, json={"error": "User: a@b.c not found"}),
    "empty": httpx.Response(200, json=[{"people": [], "total": 0}]),
    "500": httpx.Response(500, json={"error": "Some other error occurred"}),
    "429": httpx.Response(429, headers={"Retry-After": "1"}),
    "drop": httpx.RemoteProtocolError("Server disconnected", request=REQ),
    "connect": httpx.ConnectError("refused", request=REQ),
    "garbage": httpx.Response(200, content=b"<html>oops"),
}


def assert_clean(text: str) -> None:
    assert SECRET not in text
    assert SECRET[8:] not in text  # not even a fragment of it


@pytest.mark.parametrize("case", sorted(ANSWERS))
def test_key_never_in_logs_errors_or_reprs(scripted, caplog, case: str) -> None:
    caplog.set_level(logging.DEBUG)  # every logger: custify, httpx, httpcore
    client, script = scripted(ANSWERS[case], max_retries=1)
    error: BaseException | None = None
    try:
        client.people_get(email="a@b.c")
    except CustifyError as exc:
        error = exc
    assert script.requests[0].headers["authorization"] == f"Bearer {SECRET}"  # it was sent
    assert (error is None) == (case == "ok")
    texts = [r.getMessage() for r in caplog.records] + [caplog.text]
    texts += [repr(client), repr(client.settings), repr(client.budget), str(client.stats)]
    if error is not None:
        texts += [str(error), repr(error), "".join(traceback.format_exception(error))]
        texts.append(repr(pickle.loads(pickle.dumps(error))))
        if case != "404":  # (Custify's own error text may name the record, §1.9)
            assert "a@b.c" not in str(error)  # no query string in messages
    for text in texts:
        assert_clean(text)
    assert any(r.name == "custify" and "GET /people ->" in r.getMessage() for r in caplog.records)


def test_custify_log_lines_have_method_path_status_elapsed(scripted, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="custify")
    client, _ = scripted(ANSWERS["ok"])
    client.people_get(email="a@b.c")
    (line,) = [r.getMessage() for r in caplog.records if r.name == "custify"]
    assert line.startswith("GET /people -> 200 in ") and " ms" in line
    assert "a@b.c" not in line and "Bearer" not in line


def test_repr_of_client_shows_base_url_and_connection_only(scripted) -> None:
    client, _ = scripted(ANSWERS["ok"])
    assert repr(client) == (
        "CustifyClient(connection='default', base_url='https://api.custify.example')"
    )


def test_key_never_logged_over_real_http(caplog, tmp_path) -> None:
    """Over real sockets (every logger at DEBUG), success and failure alike."""
    from custify.client import CustifyClient
    from custify.errors import AuthError, NotFound, RecordRejected
    from custify.settings import ApiKey, ConnectionSettings
    from sandbox import Sandbox, serve

    caplog.set_level(logging.DEBUG)
    sandbox = Sandbox(seed=2, scale=0.05, api_key=SECRET)
    with serve(sandbox) as server:
        settings = ConnectionSettings(
            api_key=ApiKey(SECRET), base_url=server.url, budget_path=tmp_path / "b.sqlite3"
        )
        errors: list[BaseException] = []
        with CustifyClient(settings) as client:
            assert client.list_page("people", 1).rows
            for call in (
                lambda: client.people_get(email="ghost@example.com"),
                lambda: client.tasks_create({"name": "x", "priority": "urgent", "status": "open"}),
            ):
                with pytest.raises((NotFound, RecordRejected)) as exc:
                    call()
                errors.append(exc.value)
            texts = [repr(client), repr(settings)]
        wrong = ConnectionSettings(
            api_key=ApiKey(SECRET[::-1]), base_url=server.url, budget_path=tmp_path / "w.sqlite3"
        )
        with CustifyClient(wrong) as client, pytest.raises(AuthError) as exc:
            client.list_page("people", 1)
        errors.append(exc.value)
    assert any(r.name == "custify" for r in caplog.records)  # the request trace was on
    for err in errors:
        texts += [str(err), repr(err), "".join(traceback.format_exception(err))]
    for text in [*texts, caplog.text, *(r.getMessage() for r in caplog.records)]:
        assert_clean(text)
        assert SECRET[::-1] not in text

"""custify.errors: classify is the one status-code reader; messages carry no secrets."""

from __future__ import annotations

import pickle

import httpx
import pytest

from custify.errors import (
    AuthError,
    CustifyError,
    FatalError,
    NotFound,
    RateLimitedError,
    RecordRejected,
    RetriableError,
    classify,
    error_from_response,
    error_from_transport,
    parse_retry_after,
)


def resp(status: int, body: object = None, headers: dict | None = None) -> httpx.Response:
    kwargs = {"json": body} if body is not None else {}
    return httpx.Response(status, headers=headers or {}, **kwargs)


@pytest.mark.parametrize(
    ("status", "record", "expected"),
    [
        (200, False, None),
        (202, False, None),
        (204, True, None),
        (301, False, FatalError),
        (400, False, FatalError),
        (400, True, RecordRejected),
        (409, True, RecordRejected),
        (422, True, RecordRejected),
        (422, False, FatalError),
        (401, True, AuthError),
        (403, False, AuthError),
        (404, False, NotFound),
        (404, True, NotFound),
        (408, False, RetriableError),
        (429, True, RateLimitedError),
        (500, False, RetriableError),
        (502, True, RetriableError),
        (503, False, RetriableError),
        (418, False, FatalError),
    ],
)
def test_classify(status: int, record: bool, expected: type | None) -> None:
    assert classify(resp(status), record=record) is expected


def test_taxonomy_by_what_the_caller_does() -> None:
    assert issubclass(AuthError, FatalError)
    assert issubclass(RateLimitedError, RetriableError)
    for cls in (FatalError, RetriableError, RecordRejected, NotFound):
        assert issubclass(cls, CustifyError)
    assert not issubclass(RecordRejected, FatalError)


def test_message_has_method_path_status_and_custify_text_but_no_query() -> None:
    err = error_from_response(
        resp(404, {"error": "User: a@b.c not found"}), "GET", "/people?email=a@b.c"
    )
    assert isinstance(err, NotFound)
    assert str(err) == "GET /people -> 404: User: a@b.c not found"
    assert err.path == "/people" and err.status == 404 and err.method == "GET"


def test_error_text_fallbacks() -> None:
    assert (
        error_from_response(resp(422, {"errors": ["bad"]}), "POST", "/x", record=True).detail
        == "['bad']"
    )
    assert error_from_response(resp(500, {"message": "boom"}), "POST", "/x").detail == "boom"
    assert (
        error_from_response(httpx.Response(502, text="<html>"), "GET", "/x").detail == "Bad Gateway"
    )


def test_auth_errors_say_what_to_fix() -> None:
    err = error_from_response(resp(401, {"error": "Unauthorized"}), "GET", "/people/all")
    assert isinstance(err, AuthError) and "CUSTIFY_API_KEY" in str(err)
    err = error_from_response(resp(403, {}), "GET", "/people/all")
    assert isinstance(err, AuthError) and "may not use this endpoint" in str(err)


def test_retriable_maybe_applied() -> None:
    five = error_from_response(resp(503), "POST", "/note")
    assert isinstance(five, RetriableError) and five.maybe_applied
    limited = error_from_response(resp(429, headers={"Retry-After": "0"}), "POST", "/note")
    assert isinstance(limited, RateLimitedError)
    assert limited.maybe_applied is False and limited.retry_after == 0.0
    req = httpx.Request("POST", "https://api.custify.com/note")
    before = error_from_transport(httpx.ConnectError("refused", request=req), "POST", "/note")
    after = error_from_transport(httpx.ReadTimeout("timed out", request=req), "POST", "/note")
    dropped = error_from_transport(httpx.RemoteProtocolError("gone", request=req), "POST", "/n")
    assert before.maybe_applied is False
    assert after.maybe_applied is True and dropped.maybe_applied is True


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", 0.0), ("7", 7.0), ("1.5", 1.5), ("-3", 0.0), ("soon", None), (None, None)],
)
def test_retry_after_seconds(value: str | None, expected: float | None) -> None:
    headers = {"Retry-After": value} if value is not None else {}
    assert parse_retry_after(resp(429, headers=headers)) == expected


def test_retry_after_http_date() -> None:
    headers = {
        "Retry-After": "Wed, 21 Oct 2015 07:28:30 GMT",
        "Date": "Wed, 21 Oct 2015 07:28:00 GMT",
    }
    assert parse_retry_after(resp(429, headers=headers)) == 30.0


def test_errors_survive_pickling() -> None:
    err = RateLimitedError("slow down", retry_after=3, method="GET", path="/x", status=429)
    clone = pickle.loads(pickle.dumps(err))
    assert (type(clone), str(clone), clone.retry_after) == (RateLimitedError, str(err), 3)
    assert clone.maybe_applied is False

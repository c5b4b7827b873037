"""Extraction that stays safe where the notes are silent (§1.7, §10, §19): lower page caps,
one object failing alone, excluded objects, files listed per parent. In-process sandbox on a
FakeClock; the CLI versions are in test_unknowns_cli.py."""

from __future__ import annotations

import math
import random

import httpx
import pytest

from custify.errors import (
    AuthError,
    ConfigError,
    FatalError,
    NotFound,
    PaginationError,
    RateLimitedError,
    RetriableError,
)
from models.registry import EXTRACTED
from pipelines import ExtractOptions, extract_status, run_extract
from pipelines.failures import failure_line
from pipelines.options import RETRY_UNSCOPED_S
from sandbox import Sandbox
from tests.pipelines.changes import make_changes
from tests.pipelines.helpers import assert_matches_sandbox, events, make_client, marked_deleted
from warehouse import make_pipeline

ALL = [o.name for o in EXTRACTED]
OPTIONS = ExtractOptions(intervals={}, batch_rows=40)


def extract(client, cfg, clock, options=OPTIONS, **kw):
    return run_extract(client.settings, warehouse_cfg=cfg, client=client, clock=clock,
                       options=options, **kw)  # fmt: skip


def requests_to(sb, path: str, start: int = 0) -> list:
    return [e for e in list(sb.journal)[start:] if e.path == path]


def resource_state(cfg, name: str) -> dict:
    state = make_pipeline(cfg).state["sources"]["custify"]["resources"]
    return dict(state.get(name, {}))


def test_a_page_cap_below_the_registry_loads_every_note_and_is_reported(duckdb_cfg, clock):
    sb = Sandbox(seed=3, scale=0.05, clock=clock, sizes={"notes": 150})
    sb.faults.page_caps = {"notes": 20}
    with make_client(sb, clock) as client:
        full = extract(client, duckdb_cfg, clock, objects=["notes"])
        asked = [int(e.query["itemsPerPage"]) for e in requests_to(sb, "/note")]
        # the cap from page 2 on, and page 1 again at the end of the concurrent scan
        assert asked == [50] + [20] * math.ceil((150 - 20) / 20) + [20]
        assert full.page_caps == {"notes": 20} and full.exit_code == 0
        assert "at most 20 per page" in full.objects["notes"].note
        assert_matches_sandbox(sb, duckdb_cfg, ["notes"])
        for i in range(45):  # an incremental run that needs three capped pages
            clock.advance(1)
            sb.store.create("notes", text=f"<p>late {i}</p>")
        clock.advance(60)
        start = len(sb.journal)
        incremental = extract(client, duckdb_cfg, clock, objects=["notes"])
    assert incremental.objects["notes"].mode == "incremental"
    assert incremental.objects["notes"].page_cap == 20
    asked = [int(e.query["itemsPerPage"]) for e in requests_to(sb, "/note", start)]
    assert asked == [50, 20, 20]  # 45 new rows at 20 a page; page 3 reaches the cursor
    assert_matches_sandbox(sb, duckdb_cfg, ["notes"])


def test_a_cap_that_shows_mid_scan_re_plans_without_losing_a_row(duckdb_cfg, clock):
    """Pages 2.. are already planned at 50 when the server starts serving 20: the scan
    re-plans at 20 from the first short page on (pages read at 50 stay; merged on id)."""
    sb = Sandbox(seed=4, scale=0.05, clock=clock, sizes={"notes": 230})
    with make_client(sb, clock) as client:
        inner = client._session._transport

        class CapAfterPageOne(httpx.BaseTransport):
            def handle_request(self, request):
                answer = inner.handle_request(request)
                if request.url.path == "/note":
                    sb.faults.page_caps = {"notes": 20}
                return answer

        client._session._transport = CapAfterPageOne()
        report = extract(client, duckdb_cfg, clock, objects=["notes"])
    assert report.objects["notes"].page_cap == 20
    asked = [int(e.query["itemsPerPage"]) for e in requests_to(sb, "/note")]
    assert asked[0] == 50 and 20 in asked
    assert_matches_sandbox(sb, duckdb_cfg, ["notes"])


class Answer(httpx.BaseTransport):
    """The network answering ``status`` on some list paths (and passing the rest on)."""

    def __init__(self, inner: httpx.BaseTransport, statuses: dict[str, int]) -> None:
        self.inner, self.statuses = inner, statuses

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        status = self.statuses.get(request.url.path)
        if status is not None:
            return httpx.Response(status, json={"error": "injected", "statusCode": status})
        return self.inner.handle_request(request)


#: object -> what its list does in the failing run, and a word its failure line must hold
FAILING = {
    "tickets": "403",
    "tasks": "404",
    "meetings": "503",
    "notes": "repeats",
    "comments": "repeats",
}  # comments are read under notes (and tasks): they fail too


def test_objects_that_fail_fail_alone_keep_their_state_and_lose_no_event(duckdb_cfg, clock):
    sb = Sandbox(seed=8, scale=0.05, clock=clock)
    options = ExtractOptions(intervals={}, batch_rows=5, page_size=5)  # partial loads happen
    with make_client(sb, clock, max_retries=2) as client:
        extract(client, duckdb_cfg, clock, options)
        before = {n: resource_state(duckdb_cfg, n) for n in FAILING}
        clock.advance(600)
        changes = make_changes(sb, clock, random.Random(5), per_object=3)
        clock.advance(60)
        inner = client._session._transport
        client._session._transport = Answer(inner, {"/task": 404, "/calendar/meeting": 503})
        sb.faults.forbidden_paths = ["/ticket"]
        sb.faults.ignore_page = {"notes"}
        failed = extract(client, duckdb_cfg, clock, options)
        assert failed.exit_code == 1
        assert {o for o, r in failed.objects.items() if r.status == "failed"} == set(FAILING)
        assert len(failed.failures) == len(FAILING)
        for name, word in FAILING.items():
            line = failed.objects[name].error
            assert name in line and word in line and "\n" not in line, line
            assert resource_state(duckdb_cfg, name) == before[name]  # cursor, baseline, run id
        assert_matches_sandbox(sb, duckdb_cfg, [n for n in ALL if n not in FAILING])
        client._session._transport = inner
        sb.faults.forbidden_paths, sb.faults.ignore_page = [], set()
        clock.advance(60)
        healed = extract(client, duckdb_cfg, clock, options)
    assert healed.exit_code == 0
    assert_matches_sandbox(sb, duckdb_cfg)
    got = events(duckdb_cfg, failed.run_id) + events(duckdb_cfg, healed.run_id)
    triples = [(e["object"], e["record_id"], e["event_type"]) for e in got]
    assert len(triples) == len(set(triples)), "an event twice"
    assert set(triples) == changes.expected_events()  # the failed objects' changes too


def test_reconcile_never_reads_a_failed_listing_as_deletes(duckdb_cfg, clock):
    sb = Sandbox(seed=9, scale=0.05, clock=clock)
    with make_client(sb, clock) as client:
        extract(client, duckdb_cfg, clock, objects=["tickets", "people"])
        sb.faults.forbidden_paths = ["/ticket", "/people"]
        clock.advance(60)
        report = extract(client, duckdb_cfg, clock, objects=["tickets", "people"], reconcile=True)
    assert {r.status for r in report.objects.values()} == {"failed"}
    assert marked_deleted(duckdb_cfg, "tickets") == set() == marked_deleted(duckdb_cfg, "people")
    assert not [e for e in events(duckdb_cfg, report.run_id) if e["event_type"].endswith("deleted")]


def test_excluded_objects_cost_no_request_and_are_checked(duckdb_cfg, clock, sandbox, client):
    options = ExtractOptions(intervals={}, exclude=("files", "surveys"))
    off = {"files", "surveys", "survey_responses"}  # responses are listed under surveys
    report = extract(client, duckdb_cfg, clock, options)
    assert report.exit_code == 0 and set(report.objects) == set(ALL) - off
    assert report.excluded == ["files", "surveys", "survey_responses"]
    assert not [e for e in sandbox.journal if e.path.startswith(("/file", "/survey"))]
    with pytest.raises(ConfigError, match=r"survey_responses .* listed under surveys"):
        extract(client, duckdb_cfg, clock, options, objects=["survey_responses"])
    with pytest.raises(ConfigError, match=r"files is turned off by \[extract\] exclude"):
        extract(client, duckdb_cfg, clock, options, objects=["people", "files"])
    with pytest.raises(ConfigError, match=r"\[extract\] exclude: unknown object 'fils'"):
        ExtractOptions.from_raw({"extract": {"exclude": ["fils"]}})
    with pytest.raises(ConfigError, match="list of object names"):
        ExtractOptions.from_raw({"extract": {"exclude": "files"}})


def test_files_are_listed_per_parent_when_the_unscoped_list_is_refused(duckdb_cfg, clock):
    sb = Sandbox(seed=6, scale=0.05, clock=clock)
    sb.faults.unscoped_files_refused = True
    unscoped = lambda start: [  # noqa: E731
        e for e in requests_to(sb, "/file", start) if not {"companyId", "peopleId"} & set(e.query)
    ]
    with make_client(sb, clock) as client:
        first = extract(client, duckdb_cfg, clock, objects=["files"])
        assert first.exit_code == 0 and first.objects["files"].listing == "scoped"
        assert "400 on GET /file refused: listed per companies and per people" in (
            first.objects["files"].note
        )
        assert [e.status for e in unscoped(0)] == [400]
        assert_matches_sandbox(sb, duckdb_cfg, ["files"])
        company = sb.store.rows("companies")[0]["id"]
        clock.advance(60)
        sb.store.create("files", name="late.pdf", companies=[company], peoples=[], size=3)
        clock.advance(60)
        start = len(sb.journal)
        second = extract(client, duckdb_cfg, clock, objects=["files"])
        assert unscoped(start) == [] and second.objects["files"].listing == "scoped"
        assert_matches_sandbox(sb, duckdb_cfg, ["files"])
        reconciled = extract(client, duckdb_cfg, clock, objects=["files"], reconcile=True)
        assert reconciled.objects["files"].reconcile.startswith("skipped: listed per parent")
        clock.advance(RETRY_UNSCOPED_S + 1)  # time to try the unscoped list again
        sb.faults.unscoped_files_refused = False
        start = len(sb.journal)
        retried = extract(client, duckdb_cfg, clock, objects=["files"])
    assert [e.status for e in unscoped(start)] == [200] and retried.objects["files"].listing == ""
    assert "listing" not in resource_state(duckdb_cfg, "files")
    assert_matches_sandbox(sb, duckdb_cfg, ["files"])
    assert extract_status(duckdb_cfg).tables["files"] == sb.store.count("files")


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (AuthError("denied", method="GET", path="/file", status=403),
         ["403 on GET /file", "cannot read files", "exclude"]),
        (NotFound("gone", method="GET", path="/file", status=404), ["404 on GET /file", "exclude"]),
        (FatalError("scope", method="GET", path="/file", status=400), ["400", "rerun"]),
        (RetriableError("down", method="GET", path="/file", status=503), ["503", "rerun later"]),
        (RateLimitedError("busy", method="GET", path="/file", status=429), ["429", "rerun later"]),
        (RetriableError("RemoteProtocolError after sending", method="GET", path="/file"),
         ["files: RemoteProtocolError", "rerun later"]),
        (PaginationError("files: page 2 repeats page 1", method="GET", path="/file"),
         ["repeats", "exclude"]),
        (AuthError("bad key", method="GET", path="/file", status=401), None),
        (FatalError("redirect", method="GET", path="/file", status=302), None),
        (ConfigError("bad option"), None),
        (FatalError("unexpected response shape"), None),
        (ValueError("a bug"), None),
    ],
)  # fmt: skip
def test_which_errors_fail_one_object_and_what_their_line_says(error, words):
    line = failure_line("files", error)
    if words is None:
        assert line is None  # the run stops instead (exit 2 for the CLI)
        return
    assert line is not None and "files" in line and "\n" not in line
    for word in words:
        assert word in line, line

"""Exactly-once creates: a push that dies between Custify applying a create and the ledger
recording it, then reruns, leaves exactly the records a clean push leaves.

Custify does not deduplicate notes, tasks, comments, replies, files or time tracks (§16). The
crash is made at the network edge: a transport forwards each request to the sandbox, and once
the sandbox has applied the first write (for ``/batch`` actions: once a status poll reports
the jobs done) it raises ``ProcessDied``, a ``BaseException`` that nothing in the engine
catches, so the run ends exactly there, its rows ``pending`` in the ledger. A real SIGKILL of
a child process against a served sandbox is in ``test_exactly_once_sigkill.py``.

Every create-type action (registry kind ``create``, or any action Custify duplicates on
retry) runs its warehouse case (``cases.py``) twice from the same seed: once clean, once
crashed and rerun. The sandbox's record counts must be the same, and the case's own checks
(which unpack exactly one record) must hold.
"""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest

import tests.reverse_etl.cases_work  # noqa: F401 -- registers the second half of CASES
from models.clock import FakeClock
from models.registry import ACTIONS, REGISTRY
from models.types import ActionKind
from sandbox.app import Sandbox
from tests.reverse_etl.cases import CASES
from tests.reverse_etl.conftest import Pusher, extract, make_client
from warehouse import WarehouseConfig

CREATE_TYPE = sorted(
    a.name for a in ACTIONS.values() if a.kind is ActionKind.CREATE or a.duplicates_on_retry
)


class ProcessDied(BaseException):  # noqa: N818 -- it stands for the process being gone
    """The push process ends here: nothing after the send runs (no ledger write)."""


class DiesAfterFirstWrite(httpx.BaseTransport):
    """Forwards to the sandbox; once a write has been applied, the 'process' dies."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner, self.armed, self.died = inner, True, False
        self.lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        response.read()
        with self.lock:
            if self.armed and _applied(request, response):
                self.armed, self.died = False, True
                raise ProcessDied(f"killed after {request.method} {request.url.path}")
        return response


def _applied(request: httpx.Request, response: httpx.Response) -> bool:
    if not response.is_success:
        return False
    if request.url.path.startswith("/batch"):
        body = response.json() if request.method == "GET" else {}
        return str(body.get("status", "")).lower() in ("completed", "done", "finished")
    return request.method != "GET" and not request.url.path.startswith("/_sandbox")


def _pusher(root: Path, transport: httpx.BaseTransport | None = None) -> Pusher:
    clock = FakeClock()
    sb = Sandbox(seed=7, scale=0.05, clock=clock)
    client = make_client(sb, clock, transport=transport(sb) if transport else None)
    cfg = WarehouseConfig(duckdb_path=root / "custify.duckdb", pipelines_dir=root / "dlt")
    return Pusher(cfg, client, clock, sb)


def _counts(p: Pusher) -> dict[str, int]:
    store = p.sandbox.store
    counts = {o: len(store.rows(o)) for o in REGISTRY if REGISTRY[o].list_path}
    counts["replies"] = sum(len(t.get("replies") or []) for t in store.rows("tickets"))
    counts["events"] = len(store.events)
    return counts


def _run(p: Pusher, root: Path, name: str):
    case = CASES[name](p, root, name)
    if case.extract:
        extract(p, *case.extract)
    p.syncs["s"] = {**case.sync, "action": name, "table": "src"}
    p.table("src", case.rows)
    return case


@pytest.mark.parametrize("name", CREATE_TYPE)
def test_crash_between_send_and_ledger_write_creates_once(tmp_path: Path, name: str) -> None:
    clean = _pusher(tmp_path / "clean")
    _run(clean, tmp_path / "clean", name)
    clean_report = clean.push()
    clean.close()

    dying: list[DiesAfterFirstWrite] = []

    def transport(sb: Sandbox) -> httpx.BaseTransport:
        dying.append(DiesAfterFirstWrite(sb.transport()))
        return dying[0]

    p = _pusher(tmp_path / "crash", transport)
    case = _run(p, tmp_path / "crash", name)
    before = _counts(p)
    with pytest.raises(ProcessDied):
        p.push()
    created_before_death = _counts(p) != before
    assert dying[0].died
    pending = p.wh.query_df("SELECT key FROM _custify_ledger WHERE status = 'pending'")
    assert pending.height >= 1  # the write-ahead rows of the dead run
    rerun = p.push()
    assert rerun.exit_code == clean_report.exit_code, rerun.syncs[0]
    assert _counts(p) == _counts(clean)
    case.check(p, rerun)
    confirmed = p.wh.query_df(
        "SELECT key, count(*) AS n FROM _custify_ledger WHERE status = 'confirmed' GROUP BY key"
    )
    assert confirmed.get_column("n").max() == 1
    recovered = p.wh.query_df(
        "SELECT key FROM _custify_ledger WHERE status = 'confirmed' AND error LIKE 'found in%'"
    )
    if created_before_death and ACTIONS[name].kind is ActionKind.CREATE:
        assert recovered.height >= 1  # the rerun found the dead run's create, did not resend
    p.close()


class LosesFirstWriteAnswer(httpx.BaseTransport):
    """Custify applies the first write, its answer is lost on the way back (a dropped
    connection): the client must not resend a create Custify does not deduplicate."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner, self.armed = inner, True
        self.lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        response.read()
        with self.lock:
            if self.armed and _applied(request, response):
                self.armed = False
                raise httpx.ReadError("answer lost after Custify applied it", request=request)
        return response


RECOVERABLE = sorted(a.name for a in ACTIONS.values() if a.recovery is not None)


@pytest.mark.parametrize("name", RECOVERABLE)
def test_a_lost_answer_stays_unconfirmed_then_is_found_not_resent(
    tmp_path: Path, name: str
) -> None:
    p = _pusher(tmp_path, lambda sb: LosesFirstWriteAnswer(sb.transport()))
    case = _run(p, tmp_path, name)
    before = _counts(p)
    first = p.push()
    sync = first.syncs[0]
    assert sync.unconfirmed == 1 and first.exit_code == 1, sync  # "sent": may have landed
    made = {k: v - before[k] for k, v in _counts(p).items() if v != before[k]}
    writes = len([e for e in p.sandbox.journal if e.method != "GET"])
    second = p.push()
    assert second.exit_code == case.exit_code, second.syncs[0]
    case.check(p, second)
    again = {k: v - before[k] for k, v in _counts(p).items() if v != before[k]}
    assert made.items() <= again.items()  # what the lost answer made is still there, once
    resent = len([e for e in p.sandbox.journal if e.method != "GET"]) - writes
    # the lost create was found, not sent again (an upsert by name may resolve it first and
    # send an update of it instead, which duplicates nothing; a create keyed by its own
    # identifier, a ticket's externalId, is found while planning and sends nothing at all)
    found = 0 if ACTIONS[name].kind is ActionKind.UPSERT else 1
    assert resent <= max(0, second.syncs[0].sent - found)
    p.close()

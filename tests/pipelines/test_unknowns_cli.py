"""The ELT where the notes are silent, end to end: ``custify-sync extract`` in a fresh directory
against a served sandbox whose list knobs play each plausible answer (§1.7, §10, §17, §19).

The sandbox runs in this process on a FakeClock (its timestamps and latency are the test's);
the CLI runs in its own process with the real clock, as a scheduled job would.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from models.clock import FakeClock
from models.registry import EXTRACTED
from pipelines import extract_status
from sandbox import Sandbox, serve
from sandbox.util import iso_ms
from tests.pipelines.helpers import assert_matches_sandbox
from warehouse import WarehouseConfig, make_pipeline

ROOT = Path(__file__).resolve().parents[2]
ALL = [o.name for o in EXTRACTED]
TOML = """
[custify]
rate_limit = 1000
[warehouse]
duckdb_path = "custify.duckdb"
pipelines_dir = "dlt"
[extract]
intervals = {}
"""


@pytest.fixture
def served(sandbox_factory):
    sb = sandbox_factory(seed=21, rate_limit=None, sizes={"notes": 150})
    with serve(sb) as server:
        yield sb, server.url


class Project:
    """A project directory with its pipelines.toml, driven through the real CLI."""

    def __init__(self, root: Path, name: str, sb: Sandbox, url: str, extra: str = "") -> None:
        self.dir, self.sb, self.url = root / name, sb, url
        self.dir.mkdir()
        self.configure(extra)
        self.cfg = WarehouseConfig(duckdb_path=self.dir / "custify.duckdb",
                                   pipelines_dir=self.dir / "dlt")  # fmt: skip

    def configure(self, extra: str = "") -> None:
        (self.dir / "pipelines.toml").write_text(TOML + extra)

    def extract(self, *args: str) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CUSTIFY_", "DESTINA"))}
        env |= {"PYTHONPATH": str(ROOT), "CUSTIFY_BASE_URL": self.url,
                "CUSTIFY_API_KEY": self.sb.api_key}  # fmt: skip
        done = subprocess.run([sys.executable, "-m", "custify_sync.cli", "extract", *args],
                              cwd=self.dir, env=env, capture_output=True, text=True,
                              timeout=300)  # fmt: skip
        assert "Traceback" not in done.stderr, done.stderr[-3000:]
        return done

    def errors(self, done: subprocess.CompletedProcess) -> list[str]:
        return [line for line in done.stderr.splitlines() if line.startswith("error:")]

    def cursors(self) -> dict[str, str | None]:
        return {o.object: o.cursor for o in extract_status(self.cfg).objects}

    def last_run(self) -> dict:
        return extract_status(self.cfg).last_run or {}


def knobs(url: str, sb: Sandbox, **values) -> None:
    """Set sandbox knobs the way an out-of-process test would: ``POST /_sandbox/faults``."""
    headers = {"Authorization": f"Bearer {sb.api_key}"}
    httpx.post(f"{url}/_sandbox/faults", json=values, headers=headers).raise_for_status()


def requests_to(sb: Sandbox, prefix: str, start: int = 0) -> list:
    return [e for e in list(sb.journal)[start:] if e.path.startswith(prefix)]


def test_a_lowered_page_cap_loads_every_note_and_names_the_cap(tmp_path, served):
    sb, url = served
    knobs(url, sb, page_caps={"notes": 20})
    p = Project(tmp_path, "cap", sb, url)
    done = p.extract("--objects", "notes")
    assert done.returncode == 0, done.stderr[-3000:]
    assert_matches_sandbox(sb, p.cfg, ["notes"])
    assert sb.store.count("notes") == 150
    assert p.last_run()["objects"]["notes"]["page_cap"] == 20
    asked = [int(e.query["itemsPerPage"]) for e in requests_to(sb, "/note")]
    assert asked == [50] + [20] * 7 + [20]  # page 1 again at the end of the concurrent scan


def test_a_list_that_ignores_page_fails_alone_within_its_page_bound(tmp_path, served):
    sb, url = served
    knobs(url, sb, ignore_page=["notes", "surveys"])
    p = Project(tmp_path, "ignore", sb, url)
    done = p.extract()
    assert done.returncode == 1, done.stderr[-3000:]
    errors = p.errors(done)
    # comments are read under notes and responses under surveys: their lists fail with them
    failing = ("notes", "surveys", "comments", "survey_responses")
    assert len(errors) == len(failing) and all("repeats" in e for e in errors), errors
    assert all(any(e.startswith(f"error: {n}:") for e in errors) for n in failing), errors
    notes = requests_to(sb, "/note")  # the notes' scan and the comments' scan of notes
    assert 2 * 2 <= len(notes) <= 2 * (math.ceil(150 / 50) + 2)
    surveys = requests_to(sb, "/survey")  # the surveys' scan and the responses' id listing
    assert 2 * 2 <= len(surveys) <= 2 * (math.ceil(sb.store.count("surveys") / 50) + 2)
    assert_matches_sandbox(sb, p.cfg, [n for n in ALL if n not in failing])
    cursors = p.cursors()
    assert all(cursors[n] is None for n in failing)  # nothing advanced
    unread = ("customer_objectives",)  # not due
    assert all(cursors[n] for n in ALL if n not in failing + unread)


def test_a_403_on_files_loads_the_rest_and_exclude_sends_nothing(tmp_path, served):
    sb, url = served
    p = Project(tmp_path, "forbidden", sb, url)
    assert p.extract("--objects", "files").returncode == 0
    before = p.cursors()
    assert before["files"]
    knobs(url, sb, forbidden_paths=["/file"])
    company = sb.store.rows("companies")[0]["id"]
    sb.store.create("files", name="unseen.pdf", companies=[company], peoples=[], size=9)
    sb.store.create("notes", text="<p>seen</p>")
    done = p.extract()
    assert done.returncode == 1, done.stderr[-3000:]
    (error,) = p.errors(done)
    assert "403 on GET /file" in error and "files" in error and "[extract] exclude" in error
    assert p.cursors()["files"] == before["files"]
    assert_matches_sandbox(sb, p.cfg, [n for n in ALL if n != "files"])
    p.configure('exclude = ["files"]\n')
    start = len(sb.journal)
    excluded = p.extract()
    assert excluded.returncode == 0 and p.errors(excluded) == [], excluded.stderr[-3000:]
    assert requests_to(sb, "/file", start) == []
    assert p.cursors()["files"] == before["files"]


def test_files_load_per_parent_when_the_unscoped_list_is_refused(tmp_path, served):
    sb, url = served
    knobs(url, sb, unscoped_files_refused=True)
    p = Project(tmp_path, "scoped", sb, url)
    done = p.extract("--objects", "files")
    assert done.returncode == 0, done.stderr[-3000:]
    assert_matches_sandbox(sb, p.cfg, ["files"])
    unscoped = [e for e in requests_to(sb, "/file") if not {"companyId", "peopleId"} & {*e.query}]
    assert [e.status for e in unscoped] == [400]
    assert p.last_run()["objects"]["files"]["listing"] == "scoped"
    files = make_pipeline(p.cfg).state["sources"]["custify"]["resources"]["files"]
    assert files["listing"] == "scoped"  # remembered: the next run lists per parent at once


def _late_write_scenario(tmp_path: Path, sb: Sandbox, url: str, clock: FakeClock):
    """Ten notes written last, then a write stamped below the cursor that only becomes
    visible after the first run (a replica catching up): inside the default overlap."""
    projects = {
        "default": Project(tmp_path, "default_overlap", sb, url, "page_size = 5\n"),
        "none": Project(tmp_path, "no_overlap", sb, url, "page_size = 5\noverlap_s = 0\n"),
    }
    notes = sorted(sb.store.rows("notes"), key=lambda r: r["updated_at"])
    for rec in notes[-10:]:
        clock.advance(10)
        sb.store.update("notes", rec["id"], text=f"<p>fresh {rec['id']}</p>")
    cursor = clock.now()
    for p in projects.values():
        assert p.extract("--objects", "notes").returncode == 0
    late = notes[0]["id"]
    sb.store.update("notes", late, text="<p>late</p>", updated_at=iso_ms(cursor - 150))
    clock.advance(60)
    for p in projects.values():
        assert p.extract("--objects", "notes").returncode == 0
    return projects, late


def _warehouse_text(p: Project, note_id: str) -> str:
    import duckdb

    with duckdb.connect(str(p.dir / "custify.duckdb"), read_only=True) as con:
        row = con.execute("SELECT text FROM custify.custify.notes WHERE id = ?", [note_id])
        return row.fetchone()[0]


def test_a_late_visible_write_is_loaded_with_the_default_overlap(tmp_path, served, clock):
    sb, url = served
    projects, late = _late_write_scenario(tmp_path, sb, url, clock)
    assert _warehouse_text(projects["default"], late) == "<p>late</p>"
    assert_matches_sandbox(sb, projects["default"].cfg, ["notes"])
    # the same run without an overlap stops at the cursor and misses it: the overlap did it
    assert _warehouse_text(projects["none"], late) != "<p>late</p>"


def test_rows_bumped_while_the_clock_moves_between_pages_are_caught_without_overlap(
    tmp_path, served, clock
):
    sb, url = served
    names = ["people", "notes", "tasks", "tickets"]
    p = Project(tmp_path, "moving", sb, url, "page_size = 5\noverlap_s = 0\n")
    assert p.extract("--objects", ",".join(names)).returncode == 0
    clock.advance(600)
    knobs(url, sb, latency_s=3.0, mutate_while_paging=2)  # each request: 3 s on the clock
    start, before = len(sb.journal), sb.clock.now()
    assert p.extract("--objects", ",".join(names)).returncode == 0
    paged = requests_to(sb, "/", start)
    # the clock moved 3 s per request (concurrent requests may read it at the same moment,
    # so the journal's times need not be 3 s apart) and pages were read at different times
    assert sb.clock.now() - before >= 3 * len(paged)
    assert paged[-1].t > paged[0].t
    knobs(url, sb, latency_s=0.0, mutate_while_paging=0)
    clock.advance(1)
    assert p.extract("--objects", ",".join(names)).returncode == 0
    assert_matches_sandbox(sb, p.cfg, names)

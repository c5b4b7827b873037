"""`custify-sync demo` (the README's first command) runs the whole job and leaves its results."""

from __future__ import annotations

import subprocess
import sys

import duckdb


def test_demo_extracts_pushes_and_detects_changes(tmp_path):
    workdir = tmp_path / "demo"
    proc = subprocess.run(
        [sys.executable, "-m", "custify_sync.cli", "demo", "--workdir", str(workdir),
         "--scale", "0.1"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:] + proc.stdout[-3000:]
    con = duckdb.connect(str(workdir / "custify.duckdb"), read_only=True)
    q = lambda sql: con.execute(sql).fetchall()  # noqa: E731
    assert q("SELECT count(*) FROM custify.custify.people")[0][0] == 101  # 100 + the new one
    events = dict(q("SELECT event_type, count(*) FROM custify.custify.trigger_events GROUP BY 1"))
    assert events["person.created"] == 1
    assert events["ticket.updated"] == 1
    assert events["note.deleted"] == 1
    deleted = q("SELECT count(*) FROM custify.custify.notes WHERE _custify_deleted_at IS NOT NULL")
    assert deleted[0][0] == 1
    ledger = dict(q("SELECT status, count(*) FROM custify.custify._custify_ledger GROUP BY 1"))
    assert set(ledger) == {"confirmed"} and ledger["confirmed"] > 0
    assert "Sandbox at http://127.0.0.1:" in proc.stdout
    assert (workdir / "pipelines.demo.toml").exists()

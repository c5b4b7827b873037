"""What an operator sees: the first cron cycle, logs for an orchestrator, one-line failures."""

from __future__ import annotations

import json
import re
import socket
import subprocess

from tests.deploy.conftest import CLI, clean_env, ok, one_error, project

RECIPE = """
[syncs.ticket_task]
object = "tasks"
action = "create"
key = ["event_id"]
query = \"\"\"
SELECT e.event_id, 'Follow up: ' || t.title AS name, 'high' AS priority, 'open' AS status,
       json_extract_string(t.company, '$[0]') AS company
FROM trigger_events e JOIN tickets t ON t.id = e.record_id
WHERE e.event_type = 'ticket.created' AND e.origin = 'custify'\"\"\"
"""


def test_the_first_cron_cycle_works(tmp_path, cli, sandboxes):
    """`extract && push` on an empty warehouse: trigger_events exists (empty) after the first
    extract, so a recipe reading it runs and sends nothing."""
    served = sandboxes(51)
    d = project(tmp_path / "p", RECIPE)
    ok(cli(d, "extract", env=served.env()))
    tables = ok(cli(d, "sql", "--format", "json", "SELECT count(*) AS n FROM trigger_events",
                    env=served.env()))  # fmt: skip
    assert json.loads(tables.stdout) == {"n": 0}
    before = len(served.sb.journal)
    ok(cli(d, "push", env=served.env()))
    assert len(served.sb.journal) == before  # nothing to do yet: no request at all
    ticket = served.sb.store.create("tickets", title="Printer on fire", externalId="T-1",
                                    company=[served.sb.store.rows("companies")[0]["id"]])  # fmt: skip
    ok(cli(d, "extract", env=served.env()))
    ok(cli(d, "push", env=served.env()))
    assert [t["name"] for t in served.sb.store.rows("tasks") if "Printer" in t["name"]] == [
        f"Follow up: {ticket['title']}"
    ]


def test_a_broken_sync_fails_alone(tmp_path, cli, sandboxes):
    served = sandboxes(52)
    toml = ('[syncs.good]\nobject = "people"\nmatch = "user_id"\ntable = "desired"\n'
            '[syncs.bad]\nobject = "people"\nmatch = "user_id"\ntable = "no_such_table"\n')  # fmt: skip
    d = project(tmp_path / "p", toml)
    ok(cli(d, "extract", "--objects", "companies", env=served.env()))
    ok(cli(d, "sql", "CREATE TABLE desired AS SELECT 'u-1' AS user_id, 'u1@x.io' AS email",
           env=served.env()))  # fmt: skip
    done = ok(cli(d, "push", env=served.env()), 1)
    assert "no_such_table" in done.stderr
    assert served.sb.store.find("people", user_id="u-1")  # the good sync went


def test_json_logs_carry_run_connection_and_counts(tmp_path, cli, sandboxes):
    served = sandboxes(53)
    d = project(tmp_path / "p")
    done = ok(cli(d, "--log-format", "json", "extract", "--objects", "people,notes",
                  env=served.env()))  # fmt: skip
    records = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    objects = {r["object"]: r for r in records if r.get("step") == "object"}
    assert set(objects) == {"people", "notes"}
    people = objects["people"]
    assert people["rows"] == served.sb.store.count("people") and people["requests"] >= 1
    assert people["connection"] == "default" and people["run_id"] and "rate_limited" in people
    (run,) = [r for r in records if r.get("step") == "extract"]
    assert run["requests"] == len(served.sb.journal)
    assert served.key not in done.stderr + done.stdout


def test_progress_lines_when_not_on_a_terminal(tmp_path, cli, sandboxes):
    served = sandboxes(54)
    d = project(tmp_path / "p")
    done = ok(cli(d, "extract", "--objects", "people,companies", env=served.env()))
    assert re.search(r"^people: done, \d+ rows", done.stderr, re.M)
    assert re.search(r"^companies: done, \d+ rows", done.stderr, re.M)


def test_version(tmp_path, cli):
    done = ok(cli(tmp_path, "--version"))
    assert re.fullmatch(r"custify-sync \d+\.\d+\.\S+\n", done.stdout)


def _sandbox(home, *args: str) -> subprocess.Popen:
    return subprocess.Popen([*CLI, "sandbox", "--scale", "0.01", *args], env=clean_env(home),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def test_the_sandbox_prints_a_fresh_key_per_start(home):
    keys = []
    for _ in range(2):
        proc = _sandbox(home, "--port", "0")
        lines = [proc.stdout.readline() for _ in range(2)]
        keys.append(re.search(r"API key: (\S+)", lines[1]).group(1))
        proc.terminate()
        assert proc.wait(timeout=20) == 0
    assert keys[0] != keys[1] and all(k.startswith("sk_sandbox_") for k in keys)
    proc = _sandbox(home, "--port", "0", "--api-key", "sk_mine")
    assert "sk_mine" in proc.stdout.readline() + proc.stdout.readline()
    proc.terminate()
    proc.wait(timeout=20)


def test_a_busy_or_invalid_sandbox_port_is_one_line(tmp_path, cli):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        one_error(cli(tmp_path, "sandbox", "--port", str(port), timeout=60), 2, str(port), "--port")
    one_error(cli(tmp_path, "sandbox", "--port", "70000", timeout=60), 2, "70000")
    one_error(cli(tmp_path, "sandbox", "--port", "abc", timeout=60), 2, "--port")

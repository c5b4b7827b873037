"""Trigger events out to a webhook: a real receiver on 127.0.0.1 that answers 503 to the
first batches before it recovers gets every event at least once, with the secret header; the
backlog is empty when the watch stops, and the secret never shows in the CLI's output or the
health file."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.deploy.conftest import CLI, clean_env, project
from tests.watch.test_watch_cli import TOML, _cycles, _wait_for

SECRET = "whsec_do_not_print_" + "7" * 12


class Receiver:
    """Answers 503 to the first ``fail`` batches, then 200; keeps what it accepted."""

    def __init__(self, fail: int) -> None:
        self.fail, self.calls, self.accepted, self.headers = fail, 0, [], []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.calls += 1
                if receiver.calls <= receiver.fail:
                    self.send_response(503)
                    self.end_headers()
                    return
                receiver.headers.append(self.headers.get("X-Hook-Secret"))
                receiver.accepted.extend(json.loads(body)["events"])
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_the_webhook_receives_every_event_at_least_once_across_an_outage(
    tmp_path: Path, cli, sandboxes
) -> None:
    served, receiver = sandboxes(5), Receiver(fail=3)
    toml = TOML + f'webhook_url = "{receiver.url}"\nwebhook_header = "X-Hook-Secret"\n'
    path = project(tmp_path / "p", toml)
    env = {**served.env(), "CUSTIFY_WEBHOOK_SECRET": SECRET}
    # no --duration: on a loaded machine the outage and the retries take what they take;
    # SIGTERM ends the watch once the receiver holds every event
    proc = subprocess.Popen([*CLI, "-vv", "run", "--watch"], cwd=path,
                            env=clean_env(tmp_path / "home", env),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        _wait_for(lambda: _cycles(path) >= 1, proc)
        store = served.sb.store
        made = [store.create("people", email=f"hook{i}@new.example", name=f"H{i}", tags=[],
                             companies=[], custom_attributes={}) for i in range(3)]  # fmt: skip
        ticket = sorted(store.rows("tickets"), key=lambda r: r["id"])[0]
        store.update("tickets", ticket["id"], ticketStatus="solved")
        expected = {p["id"] for p in made} | {ticket["id"]}
        _wait_for(lambda: expected <= {e["record_id"] for e in receiver.accepted}, proc, 240)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            proc.kill()
        receiver.stop()
    assert proc.returncode == 0, err[-3000:]
    got = {e["record_id"]: e for e in receiver.accepted}
    assert {p["id"] for p in made} <= set(got)
    assert got[ticket["id"]]["event_type"] == "ticket.updated"
    assert got[ticket["id"]]["changes"]["ticket_status"][1] == "solved"
    assert receiver.calls > receiver.fail  # it failed first, then took the batches
    assert set(receiver.headers) == {SECRET}
    health = (path / ".custify-sync" / "watch-default.json").read_text()
    assert json.loads(health)["webhook_backlog"] == 0
    assert SECRET not in out + err + health
    ids = [e["event_id"] for e in receiver.accepted]
    assert len(set(ids)) == len({e["event_id"] for e in receiver.accepted})

"""`custify-sync sandbox` starts a real server that a real client can use."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from custify.client import CustifyClient
from custify.settings import ApiKey, ConnectionSettings
from tests.sandbox.sockets import idle_connection_closed, sandbox_banner

CLI = [sys.executable, "-m", "custify_sync.cli"]


@pytest.fixture
def sandbox_process(tmp_path: Path):
    proc = subprocess.Popen(
        [*CLI, "sandbox", "--port", "0", "--seed", "7", "--scale", "0.1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    url, key = sandbox_banner(proc)
    yield proc, url, key
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=10)


def test_cli_sandbox_serves_a_client_over_http(sandbox_process, tmp_path):
    proc, url, key = sandbox_process
    settings = ConnectionSettings(
        base_url=url, api_key=ApiKey(key), budget_path=tmp_path / "budget.sqlite"
    )
    with CustifyClient(settings) as client:
        people = list(client.iter_rows("people"))
        companies = list(client.iter_rows("companies"))
        created = client.people_upsert({"user_id": "cli-test-1", "email": "cli@example.com"})
        fetched = client.people_get(user_id="cli-test-1")
    assert len(people) == 100 and len(companies) == 20  # scale 0.1: 1,000 and 200 per unit
    assert len({p["id"] for p in people}) == len(people)
    assert fetched["id"] == created["id"] and fetched["email"] == "cli@example.com"
    assert proc.poll() is None, "the server must keep running until interrupted"


def test_cli_sandbox_stops_cleanly_on_interrupt(sandbox_process):
    proc, _, _ = sandbox_process
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=10) == 0


def test_cli_sandbox_closes_idle_connections_when_asked(tmp_path):
    """``--idle-timeout`` closes keep-alive connections left idle, as a load balancer in front
    of Custify may; the banner says so."""
    proc = subprocess.Popen(
        [*CLI, "sandbox", "--port", "0", "--scale", "0.01", "--idle-timeout", "0.2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
    )  # fmt: skip
    try:
        url, key = sandbox_banner(proc)
        closed = idle_connection_closed("127.0.0.1", int(url.rsplit(":", 1)[1]), key, 0.6)
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    assert closed
    assert "idle connections closed after 0.2 s" in out + err

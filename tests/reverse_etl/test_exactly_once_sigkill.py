"""A real SIGKILL between send and ledger write, then a rerun: each record exists once and
each create was sent once.

The push runs in a child process against a ``serve()``d sandbox over loopback HTTP. The
child's transport (the network edge) lets Custify apply the first write and then kills its own
process with SIGKILL before the answer can reach the ledger. The parent reruns the push: the
records the dead run made are found (hidden marker, content, file name and size, reply) and
not sent again.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import tests.reverse_etl.cases_work  # noqa: F401 -- registers the second half of CASES
from custify.client import CustifyClient
from custify.settings import load_settings
from reverse_etl import run_push
from tests.reverse_etl.cases import CASES
from tests.reverse_etl.conftest import Pusher
from warehouse import WarehouseConfig

REPO = Path(__file__).resolve().parents[2]
CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    import httpx
    from custify.client import CustifyClient
    from custify.settings import load_settings
    from reverse_etl import run_push
    from warehouse import WarehouseConfig

    class DiesAfterFirstWrite(httpx.HTTPTransport):
        def handle_request(self, request):
            response = super().handle_request(request)
            if request.method != "GET" and response.status_code < 300:
                response.read()
                os.kill(os.getpid(), signal.SIGKILL)  # applied; the answer never lands
            return response

    root = Path(sys.argv[1])
    settings = load_settings(root / "pipelines.toml", env={"CUSTIFY_API_KEY": sys.argv[2],
                                                           "CUSTIFY_BASE_URL": sys.argv[3]})
    cfg = WarehouseConfig(duckdb_path=root / "custify.duckdb", pipelines_dir=root / "dlt")
    run_push(settings, None, warehouse_cfg=cfg, client_factory=lambda name: CustifyClient(
        settings.connection(name), transport=DiesAfterFirstWrite()))
    sys.exit(3)  # never reached: the transport killed the process
    """
)
#: the create request of each action, and the object table its records land in
WRITES = {
    "notes.create": ("/note", "notes"),
    "files.upload": ("/file", "files"),
    "tickets.reply": ("/ticket/", "tickets"),
}


def _toml(sync: dict) -> str:
    # one request in flight: the kill lands right after the first write, never mid-request
    lines = ["[custify]", 'budget_path = "budget.sqlite3"', "concurrency = 1", "", "[syncs.s]"]
    for key, value in sync.items():
        lines.append(f"{key} = {json.dumps(value)}")
    return "\n".join(lines) + "\n"


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(WRITES))
def test_sigkill_between_send_and_ledger_write(tmp_path: Path, name: str) -> None:
    from sandbox.app import Sandbox
    from sandbox.server import serve

    sb = Sandbox(seed=7, scale=0.05)  # real clock: the child and the sandbox share time
    cfg = WarehouseConfig(duckdb_path=tmp_path / "custify.duckdb", pipelines_dir=tmp_path / "dlt")
    with serve(sb) as server:
        settings = load_settings(
            _write_config(tmp_path, {}),
            env={"CUSTIFY_API_KEY": sb.api_key, "CUSTIFY_BASE_URL": server.url},
        )
        with CustifyClient(settings.connection()) as client:
            p = Pusher(cfg, client, sb.clock, sb)
            case = CASES[name](p, tmp_path, name)
            p.table("src", case.rows)
            p.close()
        _write_config(tmp_path, {**case.sync, "action": name, "table": "src"})
        prefix, table = WRITES[name]
        before = _made(sb, name, table)
        child = subprocess.run(
            [sys.executable, "-c", CHILD, str(tmp_path), sb.api_key, server.url],
            cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True,
            timeout=120,
        )  # fmt: skip
        assert child.returncode == -signal.SIGKILL, child.stderr.decode()[-2000:]
        settings = load_settings(
            tmp_path / "pipelines.toml",
            env={"CUSTIFY_API_KEY": sb.api_key, "CUSTIFY_BASE_URL": server.url},
        )
        report = run_push(settings, None, warehouse_cfg=cfg)
    assert report.exit_code == case.exit_code, report.syncs[0]
    case.check(p, report)
    made = _made(sb, name, table) - before
    assert made >= 1
    sent = [e for e in sb.journal.filter("POST", prefix) if e.status < 300]
    assert len(sent) == made  # no create was ever sent twice


def _write_config(root: Path, sync: dict) -> Path:
    path = root / "pipelines.toml"
    path.write_text(_toml(sync) if sync else '[custify]\nbudget_path = "budget.sqlite3"\n')
    return path


def _made(sb, name: str, table: str) -> int:
    if name == "tickets.reply":
        return sum(len(t.get("replies") or []) for t in sb.store.rows("tickets"))
    return len(sb.store.rows(table))
